// The QuickPay adapter (API v10): payments and subscriptions with payment links, recurring charges, checksummed callbacks, read-back.
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeHex, encodeBase64, encodeHexLowerCase } from "@oslojs/encoding";
import * as z from "zod";
import {
  AcquirerUnavailableError,
  type Acquirer,
  type CallbackEvent,
  type CallbackVerification,
  type ChargeAnswer,
  type ChargeTokenRequest,
  type CreatedPayment,
  type CreatePaymentRequest,
  type LookUpRequest,
  type PaymentReference,
} from "./acquirer.ts";

export const QUICKPAY_DEFAULT_API_URL = "https://api.quickpay.net";
export const CHECKSUM_HEADER = "quickpay-checksum-sha256";
export const RESOURCE_TYPE_HEADER = "quickpay-resource-type";
export const CALLBACK_URL_HEADER = "QuickPay-Callback-Url";
/** QuickPay's code for an approved operation; every other final code is a refusal. */
export const QP_APPROVED = "20000";

/**
 * The payment window offers these (QuickPay's payment method names): Dankort, every card brand, and MobilePay.
 * A subscription saves a card for later charges without the payer present, which MobilePay's one-off payments cannot
 * do, so the subscription window offers cards only.
 */
export const PAYMENT_METHODS = "dankort, creditcard, mobilepay";
export const SUBSCRIPTION_METHODS = "dankort, creditcard";

export interface QuickPayOptions {
  /** The API user's key (HTTP Basic password, empty user name). */
  apiKey: string;
  /** The account's private key: signs callbacks (QuickPay-Checksum-Sha256). Not the API key. */
  privateKey: string;
  apiUrl?: string;
  /** Each request gives up after this long; the payment stays pending and is read back later. */
  requestTimeoutMs?: number;
  /**
   * Whether money from QuickPay's test mode (test cards, `test_mode: true`) may be credited. A live account left in
   * test mode would otherwise let anyone top up with a public test card number.
   */
  acceptTestMode: boolean;
  fetch?: typeof fetch;
}

/** The order id of the subscription that saves the card for a setup payment: our order id plus "S", still ≤ 20 characters. */
export function subscriptionOrderId(orderId: string): string {
  return `${orderId}S`;
}

const operationSchema = z.object({
  id: z.number().optional(),
  type: z.string(),
  amount: z.number().int().nullish(),
  pending: z.boolean().nullish(),
  qp_status_code: z.string().nullish(),
  qp_status_msg: z.string().nullish(),
  aq_status_code: z.string().nullish(),
  aq_status_msg: z.string().nullish(),
});

/** The fields of a QuickPay payment or subscription we read; everything else in the resource is ignored. */
const resourceSchema = z.object({
  id: z.number().int(),
  order_id: z.string(),
  accepted: z.boolean().nullish(),
  type: z.string().nullish(),
  currency: z.string().nullish(),
  state: z.string().nullish(),
  test_mode: z.boolean().nullish(),
  metadata: z.object({ brand: z.string().nullish(), last4: z.string().nullish() }).passthrough().nullish(),
  link: z.object({ amount: z.number().int().nullish() }).passthrough().nullish(),
  operations: z.array(operationSchema).nullish(),
});
type Resource = z.infer<typeof resourceSchema>;
type Operation = z.infer<typeof operationSchema>;

/** An answer from QuickPay that is not a success and not a server fault: a refusal of the request itself. */
export class QuickPayRequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    message: string,
  ) {
    super(message);
    this.name = "QuickPayRequestError";
  }
}

function reasonFor(operation: Operation): string {
  // 30100: the card needs the payer (3-D Secure) for this charge, so it cannot be charged without them present.
  if (operation.qp_status_code === "30100") return "authentication_required";
  if (operation.qp_status_code === "40000") return "card_declined";
  return `quickpay_${operation.qp_status_code ?? "unknown"}`;
}

const isDone = (operation: Operation) => !operation.pending && typeof operation.qp_status_code === "string" && operation.qp_status_code !== "";

/**
 * What a payment resource means for us. Money is only "captured" when an approved capture exists (auto_capture adds
 * it after the authorize or recurring operation); an approved authorize alone is still pending. A refused authorize,
 * recurring or capture is final.
 */
export function paymentEvent(resource: Resource, ref: PaymentReference): CallbackEvent {
  const operations = resource.operations ?? [];
  const testMode = resource.test_mode === true;
  const acquirerRef = String(resource.id);
  const captured = operations.filter((operation) => operation.type === "capture" && isDone(operation) && operation.qp_status_code === QP_APPROVED);
  if (captured.length > 0) {
    const amountOre = captured.reduce((sum, operation) => sum + (operation.amount ?? 0), 0);
    return {
      kind: "payment",
      ref,
      amountOre,
      acquirerRef,
      testMode,
      status: "captured",
      ...(resource.metadata?.brand ? { cardBrand: resource.metadata.brand.slice(0, 40) } : {}),
      ...(resource.metadata?.last4 && /^\d{4}$/.test(resource.metadata.last4) ? { cardLast4: resource.metadata.last4 } : {}),
    };
  }
  const refused = [...operations].reverse().find((operation) => ["authorize", "recurring", "capture"].includes(operation.type) && isDone(operation) && operation.qp_status_code !== QP_APPROVED);
  const amountOre = refused?.amount ?? operations.find((operation) => operation.amount)?.amount ?? resource.link?.amount ?? 0;
  if (refused) {
    // A refused capture after an approved authorize: the card was not charged, but something is wrong at the acquirer.
    if (refused.type === "capture") return { kind: "payment", ref, amountOre, acquirerRef, testMode, status: "failed", reason: `capture_${reasonFor(refused)}` };
    return { kind: "payment", ref, amountOre, acquirerRef, testMode, status: "declined", reason: reasonFor(refused) };
  }
  if (resource.state === "rejected") return { kind: "payment", ref, amountOre, acquirerRef, testMode, status: "declined", reason: "rejected" };
  return { kind: "pending", ref, amountOre, acquirerRef };
}

/** A subscription saves the card once its authorize is approved; its id is the token for recurring charges. */
export function subscriptionEvent(resource: Resource, ref: PaymentReference): CallbackEvent {
  const operations = resource.operations ?? [];
  const acquirerRef = String(resource.id);
  const authorize = [...operations].reverse().find((operation) => operation.type === "authorize" && isDone(operation));
  const amountOre = authorize?.amount ?? resource.link?.amount ?? 0;
  if (authorize?.qp_status_code === QP_APPROVED && resource.accepted === true) {
    return {
      kind: "card_saved",
      ref,
      cardToken: acquirerRef,
      acquirerRef,
      testMode: resource.test_mode === true,
      ...(resource.metadata?.brand ? { cardBrand: resource.metadata.brand.slice(0, 40) } : {}),
      ...(resource.metadata?.last4 && /^\d{4}$/.test(resource.metadata.last4) ? { cardLast4: resource.metadata.last4 } : {}),
    };
  }
  if (authorize) return { kind: "payment", ref, amountOre, acquirerRef, status: "declined", reason: reasonFor(authorize) };
  return { kind: "pending", ref, amountOre, acquirerRef };
}

export class QuickPayAcquirer implements Acquirer {
  readonly name = "quickpay";
  private readonly apiUrl: string;
  private readonly authorization: string;
  private readonly encoder = new TextEncoder();
  /** Creates in flight per order id: two concurrent starts of one payment share one set of requests. */
  private readonly creating = new Map<string, Promise<CreatedPayment>>();

  constructor(private readonly options: QuickPayOptions) {
    this.apiUrl = (options.apiUrl ?? QUICKPAY_DEFAULT_API_URL).replace(/\/+$/, "");
    // HTTP Basic with an empty user name and the API key as the password, as QuickPay documents.
    this.authorization = `Basic ${encodeBase64(this.encoder.encode(`:${options.apiKey}`))}`;
  }

  createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    let created = this.creating.get(request.orderId);
    if (!created) {
      created = (request.saveCard ? this.createSubscription(request) : this.createOneOff(request)).finally(() => this.creating.delete(request.orderId));
      this.creating.set(request.orderId, created);
    }
    return created;
  }

  async chargeToken(request: ChargeTokenRequest): Promise<ChargeAnswer> {
    let resource: Resource;
    try {
      resource = resourceSchema.parse(
        await this.call("POST", `/subscriptions/${encodeURIComponent(request.token)}/recurring`, { amount: request.amountOre, order_id: request.orderId, auto_capture: true }, {
          // Recurring has no callback field: the header names where QuickPay posts this charge's result.
          [CALLBACK_URL_HEADER]: request.callbackUrl,
        }),
      );
    } catch (error) {
      // A refused request (a cancelled subscription, a token QuickPay does not know) is a final answer, not an outage.
      if (error instanceof QuickPayRequestError && error.status >= 400 && error.status < 500 && error.status !== 409) {
        return { status: "declined", reason: error.status === 404 ? "card_not_found" : "subscription_not_usable" };
      }
      throw error;
    }
    const event = paymentEvent(resource, { orderId: request.orderId });
    if (event.kind === "payment") {
      const { kind: _kind, ref: _ref, amountOre: _amount, acquirerRef: _acquirerRef, testMode: _testMode, ...outcome } = event;
      // The capture decides the money, and only its callback (or a read-back) is credited; an immediate refusal is final.
      if (outcome.status !== "captured") return outcome;
    }
    return { status: "pending", acquirerRef: String(resource.id) };
  }

  verifyCallback(headers: Headers, rawBody: string): CallbackVerification {
    const checksum = headers.get(CHECKSUM_HEADER);
    if (!checksum) return { ok: false, problem: "checksum missing" };
    if (!/^[0-9a-f]{64}$/i.test(checksum.trim())) return { ok: false, problem: "checksum malformed" };
    // The checksum is the hex HMAC-SHA256 of the exact raw body with the private key, compared in constant time.
    const expected = hmac(SHA256, this.encoder.encode(this.options.privateKey), this.encoder.encode(rawBody));
    if (!constantTimeEqual(expected, decodeHex(checksum.trim().toLowerCase()))) return { ok: false, problem: "checksum mismatch" };
    let resource: Resource;
    try {
      resource = resourceSchema.parse(JSON.parse(rawBody));
    } catch {
      return { ok: false, problem: "body has the wrong shape" };
    }
    const type = headers.get(RESOURCE_TYPE_HEADER) ?? resource.type ?? "";
    if (type === "Subscription") {
      if (!resource.order_id.endsWith("S")) return { ok: false, problem: "subscription order id is not ours" };
      return { ok: true, event: this.guardTestMode(subscriptionEvent(resource, { orderId: resource.order_id.slice(0, -1) })) };
    }
    if (type === "Payment") return { ok: true, event: this.guardTestMode(paymentEvent(resource, { orderId: resource.order_id })) };
    return { ok: false, problem: `unknown resource type ${type.slice(0, 40)}` };
  }

  async lookUp(request: LookUpRequest): Promise<CallbackEvent | null> {
    if (request.kind === "card_setup") {
      const subscription = await this.find("subscriptions", request.acquirerRef, subscriptionOrderId(request.orderId));
      return subscription ? this.guardTestMode(subscriptionEvent(subscription, { orderId: request.orderId })) : null;
    }
    const payment = await this.find("payments", request.acquirerRef, request.orderId);
    return payment ? this.guardTestMode(paymentEvent(payment, { orderId: request.orderId })) : null;
  }

  async cancelSavedCard(token: string): Promise<void> {
    const path = `/subscriptions/${encodeURIComponent(token)}`;
    try {
      await this.call("POST", `${path}/cancel`);
    } catch (error) {
      if (!(error instanceof QuickPayRequestError) || error.status === 401 || error.status === 403) throw error;
      if (error.status === 404) return;
      // A refused cancel is fine only when the subscription is already over (cancelled twice); read it back to know.
      const subscription = await this.find("subscriptions", token, "");
      if (subscription && subscription.state === "active") throw error;
    }
  }

  private async createOneOff(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const payment = await this.createOrFind("payments", { order_id: request.orderId, currency: "DKK", text_on_statement: "Kantinekort" }, request.orderId);
    const link = await this.call("PUT", `/payments/${payment.id}/link`, {
      amount: request.amountOre,
      continue_url: request.returnUrl,
      cancel_url: request.cancelUrl ?? request.returnUrl,
      callback_url: request.callbackUrl,
      auto_capture: true,
      payment_methods: PAYMENT_METHODS,
      language: "da",
    });
    return { redirectUrl: linkUrl(link), acquirerRef: String(payment.id) };
  }

  private async createSubscription(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const orderId = subscriptionOrderId(request.orderId);
    const subscription = await this.createOrFind("subscriptions", { order_id: orderId, currency: "DKK", description: request.description.slice(0, 100) }, orderId);
    // The link's amount is authorized to check the card, never captured: the first top-up is a recurring charge.
    const link = await this.call("PUT", `/subscriptions/${subscription.id}/link`, {
      amount: request.amountOre,
      continue_url: request.returnUrl,
      cancel_url: request.cancelUrl ?? request.returnUrl,
      callback_url: request.callbackUrl,
      payment_methods: SUBSCRIPTION_METHODS,
      language: "da",
    });
    return { redirectUrl: linkUrl(link), acquirerRef: String(subscription.id) };
  }

  /** Creates the payment or subscription; if QuickPay already has the order id (an earlier try got through), uses that one. */
  private async createOrFind(collection: "payments" | "subscriptions", body: Record<string, unknown>, orderId: string): Promise<Resource> {
    try {
      return resourceSchema.parse(await this.call("POST", `/${collection}`, body));
    } catch (error) {
      if (error instanceof QuickPayRequestError && (error.status === 400 || error.status === 409 || error.status === 422)) {
        const existing = await this.find(collection, null, orderId);
        if (existing) return existing;
      }
      throw error;
    }
  }

  private async find(collection: "payments" | "subscriptions", acquirerRef: string | null, orderId: string): Promise<Resource | null> {
    if (acquirerRef) {
      try {
        return resourceSchema.parse(await this.call("GET", `/${collection}/${encodeURIComponent(acquirerRef)}`));
      } catch (error) {
        if (error instanceof QuickPayRequestError && error.status === 404) return null;
        throw error;
      }
    }
    const list = z.array(resourceSchema).parse(await this.call("GET", `/${collection}?order_id=${encodeURIComponent(orderId)}`));
    return list.find((resource) => resource.order_id === orderId) ?? null;
  }

  /** One API request: Basic auth, Accept-Version v10, JSON; network trouble, timeouts and 5xx become AcquirerUnavailableError. */
  private async call(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
    const fetcher = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await fetcher(`${this.apiUrl}${path}`, {
        method,
        headers: {
          authorization: this.authorization,
          "accept-version": "v10",
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...extraHeaders,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new AcquirerUnavailableError(`QuickPay ${method} ${path.split("?")[0]}: ${error instanceof Error ? error.name : "network error"}`);
    }
    const text = await response.text().catch(() => "");
    if (response.status >= 500) throw new AcquirerUnavailableError(`QuickPay ${method} ${path.split("?")[0]}: HTTP ${response.status}`);
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (response.status === 401 || response.status === 403) {
      // A wrong or revoked API key is a configuration error that no retry fixes; say so plainly in the log.
      throw new QuickPayRequestError(response.status, json, `QuickPay refused the API key (HTTP ${response.status}): check QUICKPAY_API_KEY`);
    }
    if (!response.ok) throw new QuickPayRequestError(response.status, json, `QuickPay ${method} ${path.split("?")[0]}: HTTP ${response.status}`);
    return json;
  }

  /**
   * Test-mode money is refused unless allowed: the callback is genuine (it gets its 2xx), but what it reports was
   * paid with a test card, so the payment ends as failed and nothing is credited.
   */
  private guardTestMode(event: CallbackEvent): CallbackEvent {
    if (this.options.acceptTestMode || !("testMode" in event) || !event.testMode) return event;
    if (event.kind === "card_saved") return { kind: "payment", ref: event.ref, amountOre: 0, status: "declined", reason: "test_mode_refused", ...(event.acquirerRef ? { acquirerRef: event.acquirerRef } : {}) };
    if (event.status === "captured") return { kind: "payment", ref: event.ref, amountOre: event.amountOre, status: "failed", reason: "test_mode_refused", ...(event.acquirerRef ? { acquirerRef: event.acquirerRef } : {}) };
    return event;
  }
}

function linkUrl(answer: unknown): string {
  const parsed = z.object({ url: z.string().url() }).safeParse(answer);
  if (!parsed.success) throw new AcquirerUnavailableError("QuickPay link answer without a url");
  return parsed.data.url;
}

/** The checksum QuickPay puts on a callback: hex HMAC-SHA256 of the raw body with the private key (also used by the test fake). */
export function quickPayChecksum(privateKey: string, rawBody: string): string {
  return encodeHexLowerCase(hmac(SHA256, new TextEncoder().encode(privateKey), new TextEncoder().encode(rawBody)));
}
