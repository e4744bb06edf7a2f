// The acquirer simulator and callback signatures: hosted page outcomes, signed retried callbacks, tokens, tampering.
import { afterEach, describe, expect, test } from "vitest";
import { AcquirerSimulator } from "./simulator.ts";
import { SIGNATURE_HEADER, signatureProblem, signPayload } from "./signature.ts";

const secret = "test-secret-0123456789";

describe("callback signatures", () => {
  test("a fresh signature over the exact body verifies; anything else is refused", () => {
    const body = JSON.stringify({ paymentId: "p1", amountOre: 100, status: "captured" });
    const now = 1_800_000_000;
    const header = signPayload(secret, body, now);
    expect(signatureProblem(secret, header, body, now)).toBeNull();
    expect(signatureProblem(secret, header, body.replace("100", "999"), now)).toBe("mismatch");
    expect(signatureProblem("other-secret", header, body, now)).toBe("mismatch");
    expect(signatureProblem(secret, header, body, now + 301)).toBe("stale");
    expect(signatureProblem(secret, header, body, now - 301)).toBe("stale");
    expect(signatureProblem(secret, null, body, now)).toBe("missing");
    expect(signatureProblem(secret, "v1=abc", body, now)).toBe("malformed");
  });
});

describe("hosted payment page", () => {
  let server: ReturnType<typeof Bun.serve> | null = null;
  afterEach(async () => {
    await server?.stop(true);
    server = null;
  });

  async function setUp(options: { duplicateCallbacks?: boolean; failFirstCallbacks?: number } = {}) {
    const received: Array<{ ok: boolean; body: string }> = [];
    let failuresLeft = options.failFirstCallbacks ?? 0;
    const simulator = new AcquirerSimulator({ secret, duplicateCallbacks: options.duplicateCallbacks, callbackRetryDelaysMs: [0, 20, 40], timeoutMs: 50 });
    server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        const url = new URL(request.url);
        if (url.pathname === "/callback") {
          const raw = await request.text();
          if (failuresLeft > 0) {
            failuresLeft -= 1;
            return new Response("try later", { status: 503 });
          }
          received.push({ ok: simulator.verifyCallback(request.headers, raw).ok, body: raw });
          return new Response("ok");
        }
        return (await simulator.handle(request)) ?? new Response("not found", { status: 404 });
      },
    });
    const base = `http://127.0.0.1:${server.port}`;
    const start = (paymentId: string, saveCard = false) =>
      simulator.createPayment({ paymentId, orderId: `kp${paymentId}`, amountOre: 20_000, description: "Indbetaling", saveCard, returnUrl: `${base}/return`, callbackUrl: `${base}/callback` });
    const pay = async (redirectUrl: string, fields: Record<string, string>) =>
      fetch(`${base}${redirectUrl}`, { method: "POST", body: new URLSearchParams(fields), redirect: "manual" });
    return { simulator, base, received, start, pay };
  }

  test("a success card redirects back as completed and delivers one signed captured callback with a token", async () => {
    const { simulator, base, received, start, pay } = await setUp();
    const { redirectUrl } = await start("pay-1", true);
    const page = await fetch(`${base}${redirectUrl}`);
    const html = await page.text();
    expect(html).toContain("Gennemfør betaling");
    expect(html).toContain("200,00");
    const response = await pay(redirectUrl, { action: "pay", cardNumber: "4571 0000 0000 0001", expiry: "12/30", cvc: "123" });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(`${base}/return?paymentId=pay-1&result=completed`);
    await simulator.settle();
    expect(received).toHaveLength(1);
    expect(received[0]!.ok).toBe(true);
    const body = JSON.parse(received[0]!.body);
    expect(body).toMatchObject({ paymentId: "pay-1", amountOre: 20_000, status: "captured", cardBrand: "Dankort", cardLast4: "0001" });
    // The card number itself is never in the callback; the token is opaque and charges succeed with it.
    expect(received[0]!.body).not.toContain("4571000000000001");
    expect(await simulator.chargeToken({ paymentId: "pay-2", token: body.cardToken, amountOre: 5_000, description: "Auto-optank", orderId: "kt-pay-2", callbackUrl: `${base}/callback` })).toMatchObject({ status: "captured" });
    // The page cannot be paid twice.
    expect((await pay(redirectUrl, { action: "pay", cardNumber: "4571000000000001", expiry: "12/30", cvc: "123" })).status).toBe(404);
  });

  test("declined, timeout and cancelled payments report their outcome", async () => {
    const { simulator, received, start, pay } = await setUp();
    const declined = await start("pay-d");
    expect((await pay(declined.redirectUrl, { action: "pay", cardNumber: "4000000000000002", expiry: "12/30", cvc: "123" })).headers.get("location")).toContain("result=declined");
    const timeout = await start("pay-t");
    expect((await pay(timeout.redirectUrl, { action: "pay", cardNumber: "4000000000000119", expiry: "12/30", cvc: "123" })).headers.get("location")).toContain("result=pending");
    const cancelled = await start("pay-c");
    expect((await pay(cancelled.redirectUrl, { action: "cancel" })).headers.get("location")).toContain("result=cancelled");
    await simulator.settle();
    const outcomes = Object.fromEntries(received.map((entry) => [JSON.parse(entry.body).paymentId, JSON.parse(entry.body)]));
    expect(outcomes["pay-d"]).toMatchObject({ status: "declined", reason: "card_declined" });
    expect(outcomes["pay-t"]).toMatchObject({ status: "failed", reason: "timeout" });
    expect(outcomes["pay-c"]).toMatchObject({ status: "declined", reason: "cancelled" });
  });

  test("a double click on the page sends one result, never a decline and a capture", async () => {
    const { simulator, base, received, start } = await setUp();
    const { redirectUrl } = await start("pay-twice");
    const submit = (cardNumber: string) =>
      simulator.handle(new Request(`${base}${redirectUrl}`, { method: "POST", body: new URLSearchParams({ action: "pay", cardNumber, expiry: "12/30", cvc: "123" }) }));
    // Both requests start in the same tick, so both pass the first check before either has read its form.
    const answers = await Promise.all([submit("4000000000000002"), submit("4571000000000001")]);
    expect(answers.map((answer) => answer!.status).sort()).toEqual([303, 404]);
    await simulator.settle();
    expect(received).toHaveLength(1);
  });

  test("asking twice for the same payment gives the same hosted page", async () => {
    const { start } = await setUp();
    const [first, second] = await Promise.all([start("pay-same"), start("pay-same")]);
    expect(second.redirectUrl).toBe(first.redirectUrl);
    expect((await start("pay-other")).redirectUrl).not.toBe(first.redirectUrl);
  });

  test("bad card details re-show the form with a clear message", async () => {
    const { start, pay } = await setUp();
    const { redirectUrl } = await start("pay-bad");
    const response = await pay(redirectUrl, { action: "pay", cardNumber: "12", expiry: "13/99", cvc: "1" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Udfyld kortnummer");
  });

  test("callbacks are retried until accepted, and may be delivered twice", async () => {
    const retried = await setUp({ failFirstCallbacks: 2 });
    const first = await retried.start("pay-r");
    await retried.pay(first.redirectUrl, { action: "pay", cardNumber: "5100000000000008", expiry: "12/30", cvc: "123" });
    await retried.simulator.settle();
    expect(retried.received).toHaveLength(1);
    await server!.stop(true);
    const doubled = await setUp({ duplicateCallbacks: true });
    const second = await doubled.start("pay-2x");
    await doubled.pay(second.redirectUrl, { action: "pay", cardNumber: "5100000000000008", expiry: "12/30", cvc: "123" });
    await doubled.simulator.settle();
    expect(doubled.received.map((entry) => JSON.parse(entry.body).paymentId)).toEqual(["pay-2x", "pay-2x"]);
  });

  test("tampered or foreign tokens are declined", async () => {
    const { simulator } = await setUp();
    const token = simulator.tokenForTestCard("4571000000000001");
    const tampered = token.slice(0, -3) + (token.endsWith("A") ? "BBB" : "AAA");
    expect(await simulator.chargeToken({ paymentId: "x", token: tampered, amountOre: 100, description: "", orderId: "kt-x", callbackUrl: "http://127.0.0.1/callback" })).toEqual({ status: "declined", reason: "invalid_token" });
    const foreign = new AcquirerSimulator({ secret: "another-secret-000" }).tokenForTestCard("4571000000000001");
    expect(await simulator.chargeToken({ paymentId: "x", token: foreign, amountOre: 100, description: "", orderId: "kt-x", callbackUrl: "http://127.0.0.1/callback" })).toEqual({ status: "declined", reason: "invalid_token" });
    expect(await simulator.chargeToken({ paymentId: "x", token: simulator.tokenForTestCard("4000000000000002"), amountOre: 100, description: "", orderId: "kt-x", callbackUrl: "http://127.0.0.1/callback" })).toMatchObject({ status: "declined" });
  });

  test("verifyCallback refuses unsigned, stale and malformed callbacks", () => {
    const simulator = new AcquirerSimulator({ secret });
    const raw = JSON.stringify({ paymentId: "p", amountOre: 1, status: "captured" });
    expect(simulator.verifyCallback(new Headers(), raw)).toEqual({ ok: false, problem: "signature missing" });
    const stale = new Headers({ [SIGNATURE_HEADER]: signPayload(secret, raw, Math.floor(Date.now() / 1000) - 3600) });
    expect(simulator.verifyCallback(stale, raw)).toEqual({ ok: false, problem: "signature stale" });
    const wrongShape = JSON.stringify({ paymentId: "p", amountOre: -1, status: "captured" });
    expect(simulator.verifyCallback(new Headers({ [SIGNATURE_HEADER]: signPayload(secret, wrongShape) }), wrongShape).ok).toBe(false);
    expect(simulator.verifyCallback(new Headers({ [SIGNATURE_HEADER]: signPayload(secret, raw) }), raw)).toMatchObject({ ok: true, event: { kind: "payment", ref: { paymentId: "p" }, status: "captured" } });
  });
});
