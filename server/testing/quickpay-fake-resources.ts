// The fake QuickPay's resources (payments, subscriptions and their operations) as its API shows them, and its test cards.

/**
 * Test cards of the fake's payment window (QuickPay's public test cards where they exist). "recurring_declined" saves
 * fine but refuses later recurring charges; "authentication_required" saves fine but each recurring charge needs the
 * payer (qp_status_code 30100), as a card that insists on 3-D Secure does.
 */
export const fakeCards = {
  approved: "1000000000000008",
  rejected: "1000000000000016",
  captureRejected: "1000000000000032",
  recurringDeclined: "1000000000000065",
  authenticationRequired: "1000020000000006",
} as const;

export interface FakeOperation {
  id: number;
  type: "authorize" | "capture" | "recurring";
  amount: number;
  pending: boolean;
  qp_status_code: string | null;
  qp_status_msg: string | null;
  aq_status_code: string | null;
  aq_status_msg: string | null;
  data: Record<string, unknown>;
  callback_url: string | null;
  created_at: string;
}

export interface FakeResource {
  id: number;
  merchant_id: number;
  order_id: string;
  accepted: boolean;
  type: "Payment" | "Subscription";
  text_on_statement: string | null;
  description?: string;
  currency: string;
  state: "initial" | "pending" | "new" | "active" | "rejected" | "processed" | "cancelled";
  metadata: { type: string; brand: string | null; last4: string | null; exp_month: number | null; exp_year: number | null };
  link: { url: string; amount: number; continue_url: string | null; cancel_url: string | null; callback_url: string | null; auto_capture: boolean; payment_methods: string | null } | null;
  operations: FakeOperation[];
  test_mode: boolean;
  acquirer: string | null;
  balance: number;
  subscriptionId?: number;
  created_at: string;
  updated_at: string;
}

/** A new payment or subscription, before any link or operation. */
export function newResource(id: number, testMode: boolean, type: "Payment" | "Subscription", orderId: string, currency: string, description?: string): FakeResource {
  const now = new Date().toISOString();
  return {
    id,
    merchant_id: 1,
    order_id: orderId,
    accepted: false,
    type,
    text_on_statement: null,
    ...(type === "Subscription" ? { description: description ?? "" } : {}),
    currency,
    state: "initial",
    metadata: { type: "card", brand: null, last4: null, exp_month: null, exp_year: null },
    link: null,
    operations: [],
    test_mode: testMode,
    acquirer: "clearhaus",
    balance: 0,
    created_at: now,
    updated_at: now,
  };
}

/** A new operation, pending until finishOperation gives it a status code. */
export function newOperation(id: number, type: FakeOperation["type"], amount: number, callbackUrl: string | null): FakeOperation {
  return {
    id,
    type,
    amount,
    pending: true,
    qp_status_code: null,
    qp_status_msg: null,
    aq_status_code: null,
    aq_status_msg: null,
    data: {},
    callback_url: callbackUrl,
    created_at: new Date().toISOString(),
  };
}

/** Ends an operation with QuickPay's status code: 20000 approved, 30100 needs 3-D Secure, anything else rejected. */
export function finishOperation(operation: FakeOperation, code: string): void {
  operation.pending = false;
  operation.qp_status_code = code;
  operation.qp_status_msg = code === "20000" ? "Approved" : code === "30100" ? "3-D Secure is required" : "Rejected test operation";
  operation.aq_status_code = code === "20000" ? "20000" : "40000";
  operation.aq_status_msg = operation.qp_status_msg;
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}
