// Built-in acquirer simulator: a hosted card page under /acquirer/, signed (and retried, maybe duplicated) callbacks, card tokens.
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeBase64urlIgnorePadding, encodeBase64urlNoPadding } from "@oslojs/encoding";
import * as z from "zod";
import type { Acquirer, CallbackEvent, CallbackVerification, ChargeTokenRequest, CreatedPayment, CreatePaymentRequest, LookUpRequest, PaymentOutcome } from "./acquirer.ts";
import { SIGNATURE_HEADER, signatureProblem, signPayload } from "./signature.ts";
import { escapeHtml } from "../html.ts";

type TestOutcome = "success" | "decline" | "timeout";

/** The simulator's test cards, documented in the README. Any other number is declined. */
export const testCards: ReadonlyArray<{ number: string; brand: string; outcome: TestOutcome }> = [
  { number: "4571000000000001", brand: "Dankort", outcome: "success" },
  { number: "5100000000000008", brand: "MasterCard", outcome: "success" },
  { number: "4111111111111111", brand: "Visa", outcome: "success" },
  { number: "4000000000000002", brand: "Visa", outcome: "decline" },
  { number: "4000000000000119", brand: "Visa", outcome: "timeout" },
];

export interface SimulatorOptions {
  /** Shared secret for callback signatures and token integrity. */
  secret: string;
  /** Delays before each callback attempt; a non-2xx answer moves on to the next. */
  callbackRetryDelaysMs?: number[];
  /** Deliver every callback twice (as real acquirers sometimes do), to exercise idempotency. */
  duplicateCallbacks?: boolean;
  /** How long a "timeout" card keeps the payment hanging before the acquirer reports failure. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Session extends CreatePaymentRequest {
  sessionId: string;
  done: boolean;
}

const callbackBodySchema = z.strictObject({
  paymentId: z.string().min(1).max(100),
  amountOre: z.number().int().positive(),
  status: z.enum(["captured", "declined", "failed"]),
  reason: z.string().max(200).optional(),
  cardToken: z.string().max(500).optional(),
  cardBrand: z.string().max(40).optional(),
  cardLast4: z.string().regex(/^\d{4}$/).optional(),
});

const tokenPayloadSchema = z.object({ outcome: z.enum(["success", "decline", "timeout"]), brand: z.string(), last4: z.string(), nonce: z.string() });

function formatKroner(amountOre: number): string {
  return new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(amountOre / 100);
}

export class AcquirerSimulator implements Acquirer {
  readonly name = "simulator";
  private readonly sessions = new Map<string, Session>();
  /** Our payment id → its session: asking twice for one payment gives the same hosted page, never a second one. */
  private readonly sessionByPayment = new Map<string, string>();
  private readonly encoder = new TextEncoder();
  /** Callback deliveries still running, so tests and shutdown can wait for them. */
  private readonly deliveries = new Set<Promise<void>>();

  constructor(private readonly options: SimulatorOptions) {}

  /** What each payment ended as, for read-back (`lookUp`): kept in memory, like the sessions. */
  private readonly results = new Map<string, CallbackEvent>();

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    // Idempotent on the payment id, as a real acquirer's order id is: two pages for one payment could be paid twice.
    let sessionId = this.sessionByPayment.get(request.paymentId);
    if (!sessionId) {
      sessionId = crypto.randomUUID();
      this.sessions.set(sessionId, { ...request, sessionId, done: false });
      this.sessionByPayment.set(request.paymentId, sessionId);
    }
    return { redirectUrl: `/acquirer/pay/${sessionId}` };
  }

  async chargeToken(request: ChargeTokenRequest): Promise<PaymentOutcome> {
    const outcome = await this.decideCharge(request);
    this.results.set(request.paymentId, { kind: "payment", ref: { paymentId: request.paymentId }, amountOre: request.amountOre, ...outcome });
    return outcome;
  }

  /** Tokens whose agreement was cancelled: kept in memory like the sessions; charging one is refused. */
  private readonly cancelledTokens = new Set<string>();

  async cancelSavedCard(token: string): Promise<void> {
    this.cancelledTokens.add(token);
  }

  /** For tests: whether the agreement behind a token was cancelled here. */
  isCancelled(token: string): boolean {
    return this.cancelledTokens.has(token);
  }

  async lookUp(request: LookUpRequest): Promise<CallbackEvent | null> {
    const known = this.results.get(request.paymentId);
    if (known) return known;
    const sessionId = this.sessionByPayment.get(request.paymentId);
    if (!sessionId) return null;
    const session = this.sessions.get(sessionId)!;
    return { kind: "pending", ref: { paymentId: request.paymentId }, amountOre: session.amountOre };
  }

  private async decideCharge(request: ChargeTokenRequest): Promise<PaymentOutcome> {
    const token = this.readToken(request.token);
    if (!token) return { status: "declined", reason: "invalid_token" };
    // The same answer as QuickPay's adapter gives for a cancelled subscription.
    if (this.cancelledTokens.has(request.token)) return { status: "declined", reason: "subscription_not_usable" };
    if (token.outcome === "decline") return { status: "declined", reason: "card_declined" };
    if (token.outcome === "timeout") {
      await Bun.sleep(this.options.timeoutMs ?? 2_000);
      return { status: "failed", reason: "timeout" };
    }
    return { status: "captured", cardBrand: token.brand, cardLast4: token.last4 };
  }

  verifyCallback(headers: Headers, rawBody: string, nowMs: number = Date.now()): CallbackVerification {
    const problem = signatureProblem(this.options.secret, headers.get(SIGNATURE_HEADER), rawBody, Math.floor(nowMs / 1000));
    if (problem) return { ok: false, problem: `signature ${problem}` };
    let json: unknown;
    try {
      json = JSON.parse(rawBody);
    } catch {
      return { ok: false, problem: "body is not JSON" };
    }
    const parsed = callbackBodySchema.safeParse(json);
    if (!parsed.success) return { ok: false, problem: "body has the wrong shape" };
    const body = parsed.data;
    const ref = { paymentId: body.paymentId };
    const event: CallbackEvent =
      body.status === "captured"
        ? {
            kind: "payment",
            ref,
            amountOre: body.amountOre,
            status: "captured",
            ...(body.cardToken ? { cardToken: body.cardToken } : {}),
            ...(body.cardBrand ? { cardBrand: body.cardBrand } : {}),
            ...(body.cardLast4 ? { cardLast4: body.cardLast4 } : {}),
          }
        : { kind: "payment", ref, amountOre: body.amountOre, status: body.status, reason: body.reason ?? body.status };
    return { ok: true, event };
  }

  /** Serves the hosted payment page; returns null for paths that are not the simulator's. */
  async handle(request: Request): Promise<Response | null> {
    const url = new URL(request.url);
    const match = /^\/acquirer\/pay\/([0-9a-f-]{36})$/.exec(url.pathname);
    if (!url.pathname.startsWith("/acquirer/")) return null;
    if (!match) return new Response("Not found", { status: 404 });
    const session = this.sessions.get(match[1]!);
    if (!session || session.done) return this.page("Betalingen findes ikke eller er afsluttet", "<p>Gå tilbage til portalen og prøv igen.</p>", 404);
    if (request.method === "GET") return this.paymentForm(session);
    if (request.method !== "POST") return new Response("Method not allowed", { status: 405 });
    const form = await request.formData();
    // Checked again after the await: a double click sends two POSTs that both passed the first check. From here to
    // `session.done = true` nothing awaits, so only one of them can deliver a result.
    if (session.done) return this.page("Betalingen findes ikke eller er afsluttet", "<p>Gå tilbage til portalen og prøv igen.</p>", 404);
    if (form.get("action") === "cancel") {
      session.done = true;
      this.deliver(session, { paymentId: session.paymentId, amountOre: session.amountOre, status: "declined", reason: "cancelled" });
      return Response.redirect(this.returnUrl(session, "cancelled"), 303);
    }
    const cardNumber = String(form.get("cardNumber") ?? "").replace(/\s/g, "");
    const expiry = String(form.get("expiry") ?? "");
    const cvc = String(form.get("cvc") ?? "");
    if (!/^\d{12,19}$/.test(cardNumber) || !/^(0[1-9]|1[0-2])\/\d{2}$/.test(expiry) || !/^\d{3}$/.test(cvc)) {
      return this.paymentForm(session, "Udfyld kortnummer (12–19 cifre), udløb (MM/ÅÅ) og kontrolcifre (3 cifre).");
    }
    session.done = true;
    const card = testCards.find((candidate) => candidate.number === cardNumber);
    const outcome: TestOutcome = card?.outcome ?? "decline";
    const last4 = cardNumber.slice(-4);
    const brand = card?.brand ?? "Kort";
    if (outcome === "success") {
      const cardToken = session.saveCard ? this.makeToken({ outcome: "success", brand, last4 }) : undefined;
      this.deliver(session, { paymentId: session.paymentId, amountOre: session.amountOre, status: "captured", cardBrand: brand, cardLast4: last4, ...(cardToken ? { cardToken } : {}) });
      return Response.redirect(this.returnUrl(session, "completed"), 303);
    }
    if (outcome === "timeout") {
      // The acquirer hangs, then reports failure; the browser is sent back at once and sees "pending".
      const timer = Bun.sleep(this.options.timeoutMs ?? 2_000).then(() =>
        this.deliver(session, { paymentId: session.paymentId, amountOre: session.amountOre, status: "failed", reason: "timeout" }),
      );
      this.track(timer);
      return Response.redirect(this.returnUrl(session, "pending"), 303);
    }
    this.deliver(session, { paymentId: session.paymentId, amountOre: session.amountOre, status: "declined", reason: "card_declined" });
    return Response.redirect(this.returnUrl(session, "declined"), 303);
  }

  /** Waits until every callback delivery so far has finished (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.deliveries.size > 0) await Promise.allSettled([...this.deliveries]);
  }

  /** For tests: a token as the hosted page would have saved it, for a given test card. */
  tokenForTestCard(cardNumber: string): string {
    const card = testCards.find((candidate) => candidate.number === cardNumber);
    return this.makeToken({ outcome: card?.outcome ?? "decline", brand: card?.brand ?? "Kort", last4: cardNumber.slice(-4) });
  }

  private returnUrl(session: Session, result: string): string {
    const url = new URL(session.returnUrl);
    url.searchParams.set("paymentId", session.paymentId);
    url.searchParams.set("result", result);
    return url.toString();
  }

  private makeToken(payload: { outcome: TestOutcome; brand: string; last4: string }): string {
    const body = encodeBase64urlNoPadding(this.encoder.encode(JSON.stringify({ ...payload, nonce: crypto.randomUUID() })));
    const signature = encodeBase64urlNoPadding(hmac(SHA256, this.encoder.encode(this.options.secret), this.encoder.encode(body)));
    return `simtok_${body}.${signature}`;
  }

  private readToken(token: string): z.infer<typeof tokenPayloadSchema> | null {
    const match = /^simtok_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
    if (!match) return null;
    try {
      const expected = hmac(SHA256, this.encoder.encode(this.options.secret), this.encoder.encode(match[1]!));
      if (!constantTimeEqual(expected, decodeBase64urlIgnorePadding(match[2]!))) return null;
      const parsed = tokenPayloadSchema.safeParse(JSON.parse(new TextDecoder().decode(decodeBase64urlIgnorePadding(match[1]!))));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  private track(promise: Promise<unknown>): void {
    const settled = promise.then(
      () => undefined,
      () => undefined,
    );
    this.deliveries.add(settled);
    void settled.then(() => this.deliveries.delete(settled));
  }

  /** Posts the signed result to the callback URL, retrying on failure; optionally twice. */
  private deliver(session: Session, body: { paymentId: string; amountOre: number; status: "captured" | "declined" | "failed"; reason?: string; cardToken?: string; cardBrand?: string; cardLast4?: string }): void {
    const { paymentId, amountOre, status, reason, ...card } = body;
    this.results.set(paymentId, status === "captured" ? { kind: "payment", ref: { paymentId }, amountOre, status, ...card } : { kind: "payment", ref: { paymentId }, amountOre, status, reason: reason ?? status });
    const send = async () => {
      const delays = this.options.callbackRetryDelaysMs ?? [0, 200, 1_000, 3_000, 10_000];
      const fetcher = this.options.fetch ?? fetch;
      for (const delay of delays) {
        if (delay > 0) await Bun.sleep(delay);
        // Signed at send time, so a retry carries a fresh timestamp.
        const raw = JSON.stringify(body);
        try {
          const response = await fetcher(session.callbackUrl, {
            method: "POST",
            headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signPayload(this.options.secret, raw) },
            body: raw,
          });
          if (response.ok) return;
        } catch {
          // Network trouble: try again after the next delay, as a real acquirer would.
        }
      }
    };
    this.track(send());
    if (this.options.duplicateCallbacks) this.track(send());
  }

  private paymentForm(session: Session, error?: string): Response {
    const body = `
      <p class="amount">Beløb: <strong>${escapeHtml(formatKroner(session.amountOre))}</strong></p>
      <p>${escapeHtml(session.description)}</p>
      <p class="cards" aria-label="Kort der accepteres">Dankort · MasterCard · Visa</p>
      ${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ""}
      <form method="post">
        <label for="cardNumber">Kortnummer</label>
        <input id="cardNumber" name="cardNumber" inputmode="numeric" autocomplete="cc-number" required>
        <label for="expiry">Udløb (MM/ÅÅ)</label>
        <input id="expiry" name="expiry" placeholder="12/30" autocomplete="cc-exp" required>
        <label for="cvc">Kontrolcifre</label>
        <input id="cvc" name="cvc" inputmode="numeric" autocomplete="cc-csc" required>
        <button type="submit" name="action" value="pay">Gennemfør betaling</button>
      </form>
      <form method="post"><button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Annuller</button></form>`;
    return this.page("Betaling", body, error ? 400 : 200);
  }

  private page(title: string, body: string, status: number): Response {
    const html = `<!doctype html><html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>${escapeHtml(title)} – Betalingsvindue (simulator)</title>
      <style>
        body{font-family:system-ui,sans-serif;max-width:26rem;margin:2rem auto;padding:0 1rem;color:#1d2327}
        label{display:block;margin-top:.75rem;font-weight:600} input{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
        button{margin-top:1rem;width:100%;padding:.75rem;font:inherit;background:#0b5394;color:#fff;border:0;border-radius:.375rem}
        button.secondary{background:#fff;color:#0b5394;border:1px solid #0b5394}.error{color:#a61b1b}.notice{font-size:.85rem;color:#555}
      </style></head><body><h1>${escapeHtml(title)}</h1>
      <p class="notice">Testbetalingsvindue — brug et af testkortene fra README. Der trækkes ingen rigtige penge.</p>${body}</body></html>`;
    return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8" } });
  }
}
