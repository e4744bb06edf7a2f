// One acquirer contract, run against the built-in simulator and against the QuickPay adapter talking to a local fake QuickPay.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Server } from "bun";
import { AcquirerUnavailableError, type Acquirer, type CallbackEvent, type PaymentReference } from "./acquirer.ts";
import { AcquirerSimulator } from "./simulator.ts";
import { QuickPayAcquirer } from "./quickpay.ts";
import { FakeQuickPay, fakeCards } from "../testing/quickpay-fake.ts";

interface Received {
  headers: Headers;
  body: string;
}

/** What the contract needs from each adapter's world: how a payer pays on its hosted page, and how to break it. */
interface Harness {
  acquirer: Acquirer;
  /** The same adapter configured with other keys: it must refuse the genuine adapter's callbacks. */
  otherKeys: Acquirer;
  callbackUrl: string;
  returnUrl: string;
  received: Received[];
  /** Pays on the hosted page with an approving or declining card (or cancels); returns where the browser is sent. */
  pay(redirectUrl: string, card: "approved" | "declined" | "recurring_declined" | "cancel"): Promise<string>;
  settle(): Promise<void>;
  /** Makes the next gateway request fail with a 5xx or hang past the adapter's timeout; absent where there is no gateway. */
  breakNext?(fault: "5xx" | "timeout"): void;
  /** Requests with a wrong API key are refused (where the acquirer has one). */
  wrongApiKey?: Acquirer;
  close(): Promise<void>;
}

function receiver(): Promise<{ server: Server<undefined>; received: Received[] }> {
  const received: Received[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      received.push({ headers: request.headers, body: await request.text() });
      return new Response("ok");
    },
  });
  return Promise.resolve({ server, received });
}

async function simulatorHarness(): Promise<Harness> {
  const { server: callbacks, received } = await receiver();
  const options = { callbackRetryDelaysMs: [0, 20], timeoutMs: 30 };
  const acquirer = new AcquirerSimulator({ secret: "contract-simulator-secret-0001", ...options });
  const pages = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: async (request) => (await acquirer.handle(request)) ?? new Response("Not found", { status: 404 }) });
  const cards = { approved: "4571000000000001", declined: "4000000000000002", recurring_declined: "4000000000000002" } as const;
  return {
    acquirer,
    otherKeys: new AcquirerSimulator({ secret: "another-simulator-secret-0002", ...options }),
    callbackUrl: `http://127.0.0.1:${callbacks.port}/payments/callback`,
    returnUrl: "http://127.0.0.1/indbetal/resultat",
    received,
    async pay(redirectUrl, card) {
      const body =
        card === "cancel" ? new URLSearchParams({ action: "cancel" }) : new URLSearchParams({ action: "pay", cardNumber: cards[card], expiry: "12/30", cvc: "123" });
      const response = await fetch(`http://127.0.0.1:${pages.port}${redirectUrl}`, { method: "POST", body, redirect: "manual" });
      expect(response.status).toBe(303);
      return response.headers.get("location")!;
    },
    settle: () => acquirer.settle(),
    async close() {
      await acquirer.settle();
      await pages.stop(true);
      await callbacks.stop(true);
    },
  };
}

async function quickPayHarness(): Promise<Harness> {
  const { server: callbacks, received } = await receiver();
  const fake = new FakeQuickPay({ apiKey: "contract-api-key", privateKey: "contract-private-key", callbackRetryDelaysMs: [0, 20] });
  const apiUrl = await fake.start();
  const make = (apiKey: string, privateKey: string) => new QuickPayAcquirer({ apiKey, privateKey, apiUrl, requestTimeoutMs: 300, acceptTestMode: true });
  const cards = { approved: fakeCards.approved, declined: fakeCards.rejected, recurring_declined: fakeCards.recurringDeclined } as const;
  return {
    acquirer: make("contract-api-key", "contract-private-key"),
    otherKeys: make("contract-api-key", "another-private-key"),
    wrongApiKey: make("not-the-api-key", "contract-private-key"),
    callbackUrl: `http://127.0.0.1:${callbacks.port}/payments/callback`,
    returnUrl: "http://127.0.0.1/indbetal/resultat",
    received,
    pay: (redirectUrl, card) => fake.pay(redirectUrl, card === "cancel" ? "cancel" : cards[card]),
    settle: () => fake.settle(),
    breakNext(fault) {
      fake.failNext(1, fault === "5xx" ? { kind: "status", status: 502 } : { kind: "hang", ms: 1_000 });
    },
    async close() {
      await fake.stop();
      await callbacks.stop(true);
    },
  };
}

const sameRef = (a: PaymentReference, b: PaymentReference) => JSON.stringify(a) === JSON.stringify(b);

for (const [name, build] of [
  ["simulator", simulatorHarness],
  ["QuickPay adapter + fake QuickPay", quickPayHarness],
] as const) {
  describe(`acquirer contract: ${name}`, () => {
    let harness: Harness;
    beforeAll(async () => {
      harness = await build();
    });
    afterAll(async () => {
      await harness.close();
    });

    let counter = 0;
    function newPayment(amountOre = 12_300, saveCard = false) {
      counter += 1;
      const paymentId = crypto.randomUUID();
      return { paymentId, orderId: `kc${Date.now().toString(36)}${counter}`.slice(0, 18), amountOre, description: "Kontrakt", saveCard, returnUrl: harness.returnUrl, callbackUrl: harness.callbackUrl };
    }

    /** Every callback that names this payment, verified; all must be genuine. */
    function verifiedFor(ref: PaymentReference): CallbackEvent[] {
      return harness.received
        .map((entry) => harness.acquirer.verifyCallback(entry.headers, entry.body))
        .map((verified) => {
          expect(verified.ok).toBe(true);
          return verified.ok ? verified.event : null;
        })
        .filter((event): event is CallbackEvent => event !== null && sameRef(event.ref, ref));
    }

    /** The reference callbacks use for a payment: our payment id (simulator) or order id (QuickPay). */
    function refFor(payment: { paymentId: string; orderId: string }): PaymentReference {
      const seen = harness.received.map((entry) => harness.acquirer.verifyCallback(entry.headers, entry.body)).find((verified) => verified.ok && ("paymentId" in verified.event.ref ? verified.event.ref.paymentId === payment.paymentId : verified.event.ref.orderId === payment.orderId));
      return seen && seen.ok ? seen.event.ref : { paymentId: payment.paymentId };
    }

    async function finalEvent(payment: { paymentId: string; orderId: string }): Promise<CallbackEvent> {
      for (let wait = 0; wait < 200; wait += 1) {
        await harness.settle();
        const events = verifiedFor(refFor(payment)).filter((event) => event.kind !== "pending");
        if (events.length > 0) return events.at(-1)!;
        await Bun.sleep(10);
      }
      throw new Error("no final callback");
    }

    test("a hosted page per payment, the same page when asked again (also at once), and the browser returns to us", async () => {
      const payment = newPayment();
      const [first, second] = await Promise.all([harness.acquirer.createPayment(payment), harness.acquirer.createPayment(payment)]);
      expect(first.redirectUrl).toBe(second.redirectUrl);
      expect((await harness.acquirer.createPayment(payment)).redirectUrl).toBe(first.redirectUrl);
      expect(await harness.pay(first.redirectUrl, "cancel")).toMatch(/^http:\/\/127\.0\.0\.1\/indbetal\/resultat/);
    });

    test("an approved payment: a genuine callback says captured with our amount, and the read-back says the same", async () => {
      const payment = newPayment(12_300);
      const { redirectUrl, acquirerRef } = await harness.acquirer.createPayment(payment);
      expect(await harness.pay(redirectUrl, "approved")).toMatch(/^http:\/\/127\.0\.0\.1\/indbetal\/resultat/);
      const event = await finalEvent(payment);
      expect(event).toMatchObject({ kind: "payment", status: "captured", amountOre: 12_300 });
      const readBack = await harness.acquirer.lookUp({ paymentId: payment.paymentId, orderId: payment.orderId, acquirerRef: acquirerRef ?? null, kind: "payment" });
      expect(readBack).toMatchObject({ kind: "payment", status: "captured", amountOre: 12_300 });
    });

    test("a declined card: the callback says declined, nothing captured", async () => {
      const payment = newPayment(5_000);
      const { redirectUrl } = await harness.acquirer.createPayment(payment);
      await harness.pay(redirectUrl, "declined");
      const event = await finalEvent(payment);
      expect(event).toMatchObject({ kind: "payment", status: "declined" });
      expect(verifiedFor(event.ref).some((each) => each.kind === "payment" && each.status === "captured")).toBe(false);
    });

    test("a callback with a wrong checksum, a tampered body, no signature, or another key is refused", async () => {
      const payment = newPayment(7_700);
      const { redirectUrl } = await harness.acquirer.createPayment(payment);
      await harness.pay(redirectUrl, "approved");
      await finalEvent(payment);
      const genuine = harness.received.at(-1)!;
      expect(harness.acquirer.verifyCallback(genuine.headers, genuine.body).ok).toBe(true);
      expect(harness.otherKeys.verifyCallback(genuine.headers, genuine.body)).toMatchObject({ ok: false });
      const tampered = genuine.body.replace(/7700/g, "770000");
      expect(tampered).not.toBe(genuine.body);
      expect(harness.acquirer.verifyCallback(genuine.headers, tampered)).toMatchObject({ ok: false });
      const unsigned = new Headers([...genuine.headers].filter(([header]) => !/signature|checksum/i.test(header)));
      expect(harness.acquirer.verifyCallback(unsigned, genuine.body)).toMatchObject({ ok: false });
    });

    test("a saved card is charged again for a new order; the result is captured once with that amount", async () => {
      const setup = newPayment(10_000, true);
      const { redirectUrl } = await harness.acquirer.createPayment(setup);
      await harness.pay(redirectUrl, "approved");
      const saved = await finalEvent(setup);
      const token = saved.kind === "card_saved" ? saved.cardToken : saved.kind === "payment" && saved.status === "captured" ? saved.cardToken : undefined;
      expect(token).toBeTruthy();
      const charge = newPayment(6_000);
      const answer = await harness.acquirer.chargeToken({ paymentId: charge.paymentId, orderId: charge.orderId, token: token!, amountOre: 6_000, description: "Auto-optank", callbackUrl: harness.callbackUrl });
      const result = answer.status === "pending" ? await finalEvent(charge) : { kind: "payment", ...answer, amountOre: 6_000 };
      expect(result).toMatchObject({ kind: "payment", status: "captured", amountOre: 6_000 });
    });

    test("a saved card that the bank refuses: the recurring charge is declined, not captured", async () => {
      const setup = newPayment(10_000, true);
      const { redirectUrl } = await harness.acquirer.createPayment(setup);
      // The simulator saves no card for a declining number; its token for that card stands in for a card gone bad.
      let token: string | undefined;
      if (harness.acquirer instanceof AcquirerSimulator) {
        token = harness.acquirer.tokenForTestCard("4000000000000002");
      } else {
        await harness.pay(redirectUrl, "recurring_declined");
        const saved = await finalEvent(setup);
        token = saved.kind === "card_saved" ? saved.cardToken : undefined;
      }
      const charge = newPayment(6_000);
      const answer = await harness.acquirer.chargeToken({ paymentId: charge.paymentId, orderId: charge.orderId, token: token!, amountOre: 6_000, description: "Auto-optank", callbackUrl: harness.callbackUrl });
      const result = answer.status === "pending" ? await finalEvent(charge) : { kind: "payment", ...answer };
      expect(result).toMatchObject({ kind: "payment", status: "declined" });
    });

    test("a cancelled saved card is never charged again; cancelling twice is harmless", async () => {
      const setup = newPayment(10_000, true);
      const { redirectUrl } = await harness.acquirer.createPayment(setup);
      await harness.pay(redirectUrl, "approved");
      const saved = await finalEvent(setup);
      const token = saved.kind === "card_saved" ? saved.cardToken : saved.kind === "payment" && saved.status === "captured" ? saved.cardToken : undefined;
      expect(token).toBeTruthy();
      await harness.acquirer.cancelSavedCard(token!);
      await harness.acquirer.cancelSavedCard(token!);
      const charge = newPayment(6_000);
      const answer = await harness.acquirer.chargeToken({ paymentId: charge.paymentId, orderId: charge.orderId, token: token!, amountOre: 6_000, description: "Auto-optank", callbackUrl: harness.callbackUrl });
      const result = answer.status === "pending" ? await finalEvent(charge) : { kind: "payment", ...answer };
      expect(result).toMatchObject({ kind: "payment", status: "declined" });
    });

    test("a cancel the gateway cannot take (5xx) is 'unavailable', and goes through when tried again", async (context) => {
      if (!harness.breakNext) context.skip();
      const setup = newPayment(10_000, true);
      const { redirectUrl } = await harness.acquirer.createPayment(setup);
      await harness.pay(redirectUrl, "approved");
      const saved = await finalEvent(setup);
      const token = saved.kind === "card_saved" ? saved.cardToken : undefined;
      harness.breakNext!("5xx");
      await expect(harness.acquirer.cancelSavedCard(token!)).rejects.toBeInstanceOf(AcquirerUnavailableError);
      await harness.acquirer.cancelSavedCard(token!);
      const charge = newPayment(6_000);
      const answer = await harness.acquirer.chargeToken({ paymentId: charge.paymentId, orderId: charge.orderId, token: token!, amountOre: 6_000, description: "Auto-optank", callbackUrl: harness.callbackUrl });
      expect(answer).toMatchObject({ status: "declined" });
    });

    test("requests with a wrong API key are refused", async (context) => {
      if (!harness.wrongApiKey) context.skip();
      await expect(harness.wrongApiKey!.createPayment(newPayment())).rejects.toThrow(/API key/);
    });

    test("a 5xx or a timeout from the gateway is 'unavailable'; the same order then goes through once", async (context) => {
      if (!harness.breakNext) context.skip();
      for (const fault of ["5xx", "timeout"] as const) {
        const payment = newPayment(4_400);
        harness.breakNext!(fault);
        await expect(harness.acquirer.createPayment(payment)).rejects.toBeInstanceOf(AcquirerUnavailableError);
        const retried = await harness.acquirer.createPayment(payment);
        expect(retried.redirectUrl).toMatch(/^http/);
        expect(await harness.acquirer.lookUp({ paymentId: payment.paymentId, orderId: payment.orderId, acquirerRef: null, kind: "payment" })).toMatchObject({ kind: "pending" });
      }
    });

    test("an order the gateway never saw reads back as unknown", async () => {
      const payment = newPayment();
      expect(await harness.acquirer.lookUp({ paymentId: payment.paymentId, orderId: payment.orderId, acquirerRef: null, kind: "payment" })).toBeNull();
    });
  });
}
