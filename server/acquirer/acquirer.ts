// The card acquirer interface: hosted payment page, verified callbacks, saved-card tokens, read-back. We never see a card number.
export interface CreatePaymentRequest {
  /** Our payment id. */
  paymentId: string;
  /**
   * What the acquirer calls the order: 4–20 characters of [A-Za-z0-9], unique per payment (QuickPay's `order_id`).
   * An adapter that needs a second order for the same payment (a QuickPay subscription) derives it from this one.
   */
  orderId: string;
  amountOre: number;
  description: string;
  /** Ask the acquirer to save the card as a token for recurring charges (Auto-optank). */
  saveCard: boolean;
  /** Where the browser returns after the hosted page (success, decline or, without cancelUrl, cancel). */
  returnUrl: string;
  /** Where the browser returns when the payer cancels on the hosted page; the return URL when absent. */
  cancelUrl?: string;
  /** Where the acquirer posts the result, server to server: always on our own origin. */
  callbackUrl: string;
}

export interface CreatedPayment {
  /** The hosted page the browser is sent to. */
  redirectUrl: string;
  /** The acquirer's own id for what it created (a QuickPay payment or subscription id), kept for read-back. */
  acquirerRef?: string;
}

export interface ChargeTokenRequest {
  paymentId: string;
  /** A new order id for this charge, unique like every other (see CreatePaymentRequest.orderId). */
  orderId: string;
  token: string;
  amountOre: number;
  description: string;
  /** Where an acquirer that answers later posts the charge's result. */
  callbackUrl: string;
}

export type PaymentOutcome =
  | { status: "captured"; cardToken?: string; cardBrand?: string; cardLast4?: string }
  | { status: "declined"; reason: string }
  | { status: "failed"; reason: string };

/** A charge the acquirer accepted but has not decided yet: the result comes by callback or by read-back. */
export type ChargeAnswer = PaymentOutcome | { status: "pending"; acquirerRef?: string };

/** How a callback names the payment: by our payment id (the simulator) or by the order id we gave (QuickPay). */
export type PaymentReference = { paymentId: string } | { orderId: string };

/**
 * What a verified callback (or a read-back) says.
 * - `payment`: a money result (captured, declined, failed) for the payment with this reference and amount.
 * - `pending`: a genuine message that decides nothing yet (e.g. QuickPay's authorize before its capture).
 * - `card_saved`: the card was saved without moving money (a QuickPay subscription was authorized); `cardToken` is
 *   what later charges use.
 */
export type CallbackEvent =
  | ({ kind: "payment"; ref: PaymentReference; amountOre: number; acquirerRef?: string; testMode?: boolean } & PaymentOutcome)
  | { kind: "pending"; ref: PaymentReference; amountOre: number; acquirerRef?: string }
  | { kind: "card_saved"; ref: PaymentReference; cardToken: string; cardBrand?: string; cardLast4?: string; acquirerRef?: string; testMode?: boolean };

export type CallbackVerification = { ok: true; event: CallbackEvent } | { ok: false; problem: string };

/** What to read back: the payment as we know it. */
export interface LookUpRequest {
  paymentId: string;
  orderId: string;
  /** The acquirer's id if we learnt it (after createPayment or a pending charge). */
  acquirerRef: string | null;
  /** A card-saving setup (a subscription at QuickPay) or a money payment. */
  kind: "payment" | "card_setup";
}

export interface Acquirer {
  readonly name: string;
  /**
   * Registers a payment and returns the hosted payment page the browser is sent to. Must be idempotent on
   * `orderId` (the same page again): a retry after a timeout, or two concurrent starts of one payment, may both ask.
   */
  createPayment(request: CreatePaymentRequest): Promise<CreatedPayment>;
  /** Charges a saved card server to server (no browser). "pending": the result arrives by callback. */
  chargeToken(request: ChargeTokenRequest): Promise<ChargeAnswer>;
  /** Checks a callback's signature (and freshness where the acquirer has one) and parses it; nothing is trusted before this. */
  verifyCallback(headers: Headers, rawBody: string, nowMs?: number): CallbackVerification;
  /**
   * Reads the payment's current state back from the acquirer, to recover a lost callback: null when the acquirer
   * has no such order (it never reached them). Throws when the acquirer cannot be asked (network, 5xx).
   */
  lookUp(request: LookUpRequest): Promise<CallbackEvent | null>;
  /**
   * Ends a saved card's agreement at the acquirer (a QuickPay subscription is cancelled), so the token can never be
   * charged again. Cancelling twice, or a token the acquirer no longer knows, is not an error. Throws
   * AcquirerUnavailableError when the acquirer cannot be asked (network, 5xx): the caller retries or logs it.
   */
  cancelSavedCard(token: string): Promise<void>;
}

/** Whether an error from an adapter means "we could not reach the acquirer" (network, timeout, 5xx): retry later. */
export class AcquirerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AcquirerUnavailableError";
  }
}
