// The card acquirer interface: hosted payment page, signed callbacks, saved-card tokens. We never see a card number.
export interface CreatePaymentRequest {
  /** Our payment id; the acquirer echoes it in the callback. */
  paymentId: string;
  amountOre: number;
  description: string;
  /** Ask the acquirer to save the card as a token for recurring charges (Auto-optank). */
  saveCard: boolean;
  /** Where the browser returns after the hosted page (success, decline or cancel). */
  returnUrl: string;
  /** Where the acquirer posts the signed result, server to server. */
  callbackUrl: string;
}

export interface ChargeTokenRequest {
  paymentId: string;
  token: string;
  amountOre: number;
  description: string;
}

export type PaymentOutcome =
  | { status: "captured"; cardToken?: string; cardBrand?: string; cardLast4?: string }
  | { status: "declined"; reason: string }
  | { status: "failed"; reason: string };

/** What a verified callback says about a payment. */
export type CallbackEvent = { paymentId: string; amountOre: number } & PaymentOutcome;

export type CallbackVerification = { ok: true; event: CallbackEvent } | { ok: false; problem: string };

export interface Acquirer {
  readonly name: string;
  /**
   * Registers a payment and returns the hosted payment page the browser is sent to. Must be idempotent on
   * `paymentId` (the same page again): two concurrent starts of one payment may both ask.
   */
  createPayment(request: CreatePaymentRequest): Promise<{ redirectUrl: string }>;
  /** Charges a saved card server to server (no browser). */
  chargeToken(request: ChargeTokenRequest): Promise<PaymentOutcome>;
  /** Checks a callback's signature and freshness and parses it; nothing is trusted before this. */
  verifyCallback(headers: Headers, rawBody: string, nowMs?: number): CallbackVerification;
}
