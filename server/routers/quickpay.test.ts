// The server with ACQUIRER=quickpay against a local fake QuickPay, over real HTTP: Indbetal, callbacks genuine and not, lost ones, Auto-optank.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, lastMailTo, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";
import { checkLedger } from "../ledger/check.ts";
import { FakeQuickPay, fakeCards } from "../testing/quickpay-fake.ts";
import { quickPayChecksum } from "../acquirer/quickpay.ts";
import { reconcilePending } from "../services/payments/reconciliation.ts";
import { autoTopUpsSettled } from "../services/payments/auto-top-up.ts";
import { formatOre } from "../../common/money.ts";
import type { AutoTopUpEvent } from "../events/bus.ts";

const API_KEY = "qp-test-api-key-0001";
const PRIVATE_KEY = "qp-test-private-key-0001";

let fake: FakeQuickPay;
let server: TestServer;
let store: Store;
let canteen: Fixture;

beforeAll(async () => {
  fake = new FakeQuickPay({ apiKey: API_KEY, privateKey: PRIVATE_KEY, callbackRetryDelaysMs: [0, 30, 100] });
  const apiUrl = await fake.start();
  server = await startTestServer({ acquirer: "quickpay", quickpay: { apiKey: API_KEY, privateKey: PRIVATE_KEY, apiUrl, acceptTestMode: false, requestTimeoutMs: 500 } });
  store = server.services.store;
  canteen = await createCanteen(store);
});
// Every money test leaves the ledger whole.
afterEach(async () => {
  await fake.settle();
  await autoTopUpsSettled();
  fake.callbackMode = "deliver";
  fake.callbackDelayMs = 0;
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
  await fake.stop();
});

async function cardholder(balanceOre = 0) {
  const code = String(100000 + Math.floor(Math.random() * 900000));
  const email = `${crypto.randomUUID()}@example.dk`;
  const card = await createCard(store, canteen, { code, balanceOre, name: "Betaler", email });
  const client = new PortalClient(server.url);
  await client.login(card.cardNumber, code);
  return { card, client, email };
}

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);
const creditsOf = (accountId: number) => store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE credit_account_id = ?").get(accountId) as { n: number }).n);
const paymentRow = (paymentId: string) =>
  store.read((tx) => tx.sqlite.query("SELECT status, reason, order_id, acquirer_ref FROM payments WHERE id = ?").get(paymentId) as { status: string; reason: string | null; order_id: string; acquirer_ref: string | null });

async function deposit(client: PortalClient, accountId: number, email: string, amountKr: number, key = `qp-deposit-${crypto.randomUUID()}`) {
  return client.mutate("payments.startDeposit", { accountId, amountOre: amountKr * 100, receiptEmail: email, acceptedTerms: true, idempotencyKey: key });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let wait = 0; wait < 300; wait += 1) {
    if (check()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId: `qp-sale-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

describe("Indbetal through QuickPay", () => {
  test("the requests follow the API: Basic auth with the API key, v10, order id, DKK, a link with our URLs, auto capture, Dankort and MobilePay", async () => {
    const { card, client, email } = await cardholder();
    const before = fake.requests.length;
    const key = `qp-deposit-${crypto.randomUUID()}`;
    const started = await deposit(client, card.accountId, email, 200, key);
    expect(started.status).toBe(200);
    expect(started.data.redirectUrl).toMatch(new RegExp(`^${fake.url}/window/`));
    const [create, link] = fake.requests.slice(before);
    expect(create).toMatchObject({ method: "POST", path: "/payments", body: { currency: "DKK" } });
    expect(create!.headers.authorization).toBe(`Basic ${Buffer.from(`:${API_KEY}`).toString("base64")}`);
    expect(create!.headers["accept-version"]).toBe("v10");
    const orderId = (create!.body as { order_id: string }).order_id;
    expect(orderId).toMatch(/^[a-z0-9]{4,20}$/);
    expect(paymentRow(started.data.paymentId).order_id).toBe(orderId);
    expect(link!.method).toBe("PUT");
    expect(link!.body).toMatchObject({
      amount: 20_000,
      auto_capture: true,
      continue_url: `${server.url}/indbetal/resultat?paymentId=${started.data.paymentId}&result=completed&konto=${card.accountId}`,
      cancel_url: `${server.url}/indbetal/resultat?paymentId=${started.data.paymentId}&result=cancelled&konto=${card.accountId}`,
      callback_url: `${server.url}/payments/callback`,
    });
    expect((link!.body as { payment_methods: string }).payment_methods).toMatch(/dankort.*mobilepay|mobilepay.*dankort/);
    // A double-clicked Næste (same key) gets the same window, with no new requests.
    const count = fake.requests.length;
    expect((await deposit(client, card.accountId, email, 200, key)).data).toEqual(started.data);
    expect(fake.requests.length).toBe(count);
  });

  test("a genuine payment: credited once, only at the capture; the receipt is mailed; the window returns to our result page", async () => {
    const { card, client, email } = await cardholder();
    const started = await deposit(client, card.accountId, email, 150);
    const back = await fake.pay(started.data.redirectUrl, fakeCards.approved);
    expect(back).toBe(`${server.url}/indbetal/resultat?paymentId=${started.data.paymentId}&result=completed&konto=${card.accountId}`);
    await fake.settle();
    expect(paymentRow(started.data.paymentId)).toMatchObject({ status: "captured" });
    expect(balanceOf(card.accountId)).toBe(15_000);
    expect(creditsOf(card.accountId)).toBe(1);
    // Both callbacks (the authorize, then the capture) were answered 2xx.
    const ours = fake.callbacks.filter((callback) => JSON.parse(callback.body).order_id === paymentRow(started.data.paymentId).order_id);
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(ours.every((callback) => callback.status === 200)).toBe(true);
    expect(lastMailTo(store, email)?.subject).toBe(`Kvittering: Indbetaling på ${formatOre(15_000)}`);
    expect((await client.query("payments.get", { paymentId: started.data.paymentId })).data).toMatchObject({ status: "captured", amountOre: 15_000, cardLast4: "0008" });
  });

  test("authorize-only, a refused capture and a rejected card: every genuine callback gets a 2xx, nothing is credited", async () => {
    const { card, client, email } = await cardholder();
    const captureRefused = await deposit(client, card.accountId, email, 100);
    await fake.pay(captureRefused.data.redirectUrl, fakeCards.captureRejected);
    const rejected = await deposit(client, card.accountId, email, 100);
    await fake.pay(rejected.data.redirectUrl, fakeCards.rejected);
    await fake.settle();
    expect(paymentRow(captureRefused.data.paymentId)).toMatchObject({ status: "failed", reason: "capture_card_declined" });
    expect(paymentRow(rejected.data.paymentId)).toMatchObject({ status: "declined", reason: "card_declined" });
    const orders = new Set([paymentRow(captureRefused.data.paymentId).order_id, paymentRow(rejected.data.paymentId).order_id]);
    const ours = fake.callbacks.filter((callback) => orders.has(JSON.parse(callback.body).order_id));
    expect(ours.length).toBeGreaterThanOrEqual(3);
    expect(ours.every((callback) => callback.status === 200)).toBe(true);
    expect(balanceOf(card.accountId)).toBe(0);
  });

  test("forged callbacks get 401: a wrong checksum, one made with the API key instead of the private key, none at all", async () => {
    const { card, client, email } = await cardholder();
    const started = await deposit(client, card.accountId, email, 300);
    fake.callbackMode = "drop";
    await fake.pay(started.data.redirectUrl, fakeCards.approved);
    const genuine = fake.callbacks.filter((callback) => callback.dropped).at(-1)!;
    const post = (checksum: string | null, body = genuine.body) =>
      fetch(`${server.url}/payments/callback`, {
        method: "POST",
        headers: { "content-type": "application/json", "QuickPay-Resource-Type": "Payment", ...(checksum ? { "QuickPay-Checksum-Sha256": checksum } : {}) },
        body,
      });
    expect((await post("0".repeat(64))).status).toBe(401);
    expect((await post(quickPayChecksum(API_KEY, genuine.body))).status).toBe(401);
    expect((await post(null)).status).toBe(401);
    // A genuine checksum over another body (the amount raised) is a forgery too.
    expect((await post(genuine.headers["QuickPay-Checksum-Sha256"]!, genuine.body.replace('"amount":30000', '"amount":3000000'))).status).toBe(401);
    expect(balanceOf(card.accountId)).toBe(0);
    // The genuine one, replayed as often as anyone likes, credits once.
    for (let attempt = 0; attempt < 3; attempt += 1) expect((await post(genuine.headers["QuickPay-Checksum-Sha256"]!)).status).toBe(200);
    expect(balanceOf(card.accountId)).toBe(30_000);
    expect(creditsOf(card.accountId)).toBe(1);
  });

  test("duplicate callbacks (QuickPay's retries) credit once", async () => {
    const { card, client, email } = await cardholder();
    fake.callbackMode = "duplicate";
    const started = await deposit(client, card.accountId, email, 250);
    await fake.pay(started.data.redirectUrl, fakeCards.approved);
    await fake.settle();
    expect(balanceOf(card.accountId)).toBe(25_000);
    expect(creditsOf(card.accountId)).toBe(1);
  });

  test("a lost callback is recovered by the result page reading the payment back (GET /payments/{id}); the late one changes nothing", async () => {
    const { card, client, email } = await cardholder();
    fake.callbackMode = "drop";
    const started = await deposit(client, card.accountId, email, 120);
    await fake.pay(started.data.redirectUrl, fakeCards.approved);
    expect(paymentRow(started.data.paymentId).status).toBe("pending");
    const reads = fake.requests.length;
    expect((await client.query("payments.get", { paymentId: started.data.paymentId })).data).toMatchObject({ status: "captured", amountOre: 12_000 });
    expect(fake.requests.slice(reads).some((request) => request.method === "GET" && request.path.startsWith("/payments/"))).toBe(true);
    expect(balanceOf(card.accountId)).toBe(12_000);
    // The callback finally arrives (QuickPay retries for a day): still one credit.
    fake.callbackMode = "deliver";
    const dropped = fake.callbacks.filter((callback) => callback.dropped && JSON.parse(callback.body).order_id === paymentRow(started.data.paymentId).order_id);
    for (const callback of dropped) {
      const answer = await fetch(`${server.url}/payments/callback`, { method: "POST", headers: callback.headers, body: callback.body });
      expect(answer.status).toBe(200);
    }
    expect(creditsOf(card.accountId)).toBe(1);
  });

  test("a lost callback with nobody on the result page is recovered by the reconciler", async () => {
    const { card, client, email } = await cardholder();
    fake.callbackMode = "drop";
    const started = await deposit(client, card.accountId, email, 80);
    await fake.pay(started.data.redirectUrl, fakeCards.approved);
    expect(await reconcilePending(server.services, { olderThanMs: 0, recheckAfterMs: 0 })).toBeGreaterThanOrEqual(1);
    expect(paymentRow(started.data.paymentId).status).toBe("captured");
    expect(balanceOf(card.accountId)).toBe(8_000);
  });

  test("a late callback (after the result page gave up asking) credits once", async () => {
    const { card, client, email } = await cardholder();
    fake.callbackDelayMs = 200;
    const started = await deposit(client, card.accountId, email, 60);
    await fake.pay(started.data.redirectUrl, fakeCards.approved);
    expect(balanceOf(card.accountId)).toBe(0);
    await fake.settle();
    expect(balanceOf(card.accountId)).toBe(6_000);
    expect(creditsOf(card.accountId)).toBe(1);
  });

  test("a 5xx or a timeout from QuickPay leaves the payment pending without a window; the same Næste then works, with the same order", async () => {
    const { card, client, email } = await cardholder();
    const key = `qp-deposit-${crypto.randomUUID()}`;
    fake.failNext(1, { kind: "status", status: 503 });
    const failed = await deposit(client, card.accountId, email, 90, key);
    expect(failed.status).toBe(503);
    expect(failed.error?.message).toContain("Prøv igen");
    // The payment is created at QuickPay, but the link request hangs past the adapter's timeout.
    fake.failNext(1, { kind: "hang", ms: 2_000 }, 1);
    const hung = await deposit(client, card.accountId, email, 90, key);
    expect(hung.status).toBe(503);
    const pending = store.read((tx) => tx.sqlite.query("SELECT id, status, redirect_url FROM payments WHERE idempotency_key = ?").get(key)) as { id: string; status: string; redirect_url: string | null };
    expect(pending).toMatchObject({ status: "pending", redirect_url: null });
    const retried = await deposit(client, card.accountId, email, 90, key);
    expect(retried.status).toBe(200);
    expect(retried.data.paymentId).toBe(pending.id);
    expect(fake.payments.size).toBeGreaterThan(0);
    expect([...fake.payments.values()].filter((payment) => payment.order_id === paymentRow(pending.id).order_id)).toHaveLength(1);
    await fake.pay(retried.data.redirectUrl, fakeCards.approved);
    await fake.settle();
    expect(balanceOf(card.accountId)).toBe(9_000);
  });
});

describe("Auto-optank through a QuickPay subscription", () => {
  async function setUp(amountKr: number, cardNumber: string = fakeCards.approved) {
    const holder = await cardholder();
    const before = fake.requests.length;
    const set = await holder.client.mutate("autoTopUp.setUp", { accountId: holder.card.accountId, amountOre: amountKr * 100, receiptEmail: holder.email, acceptedTerms: true, idempotencyKey: `qp-setup-${crypto.randomUUID()}` });
    expect(set.status).toBe(200);
    const [create, link] = fake.requests.slice(before);
    expect(create).toMatchObject({ method: "POST", path: "/subscriptions", body: { currency: "DKK" } });
    expect((create!.body as { description: string }).description.length).toBeGreaterThan(0);
    expect((create!.body as { order_id: string }).order_id).toBe(`${paymentRow(set.data.paymentId).order_id}S`);
    expect(link).toMatchObject({ method: "PUT", body: { amount: amountKr * 100, callback_url: `${server.url}/payments/callback` } });
    expect(await fake.pay(set.data.redirectUrl, cardNumber)).toContain("/indbetal/auto-optank?paymentId=");
    await fake.settle();
    await autoTopUpsSettled();
    await fake.settle();
    return { ...holder, setupPaymentId: set.data.paymentId as string };
  }

  const recurringRequests = () => fake.requests.filter((request) => /^\/subscriptions\/\d+\/recurring$/.test(request.path));

  test("the subscription's callback activates the agreement; the first amount is a recurring charge credited once; later top-ups too", async () => {
    const before = recurringRequests().length;
    const { card, client, setupPaymentId } = await setUp(100);
    const agreement = (await client.query("autoTopUp.get", { accountId: card.accountId })).data;
    expect(agreement).toMatchObject({ status: "active", inEffect: true, depositedOre: 10_000, cardLast4: "0008" });
    const token = store.read((tx) => (tx.sqlite.query("SELECT card_token FROM auto_top_up_agreements WHERE account_id = ?").get(card.accountId) as { card_token: string }).card_token);
    expect(fake.subscriptions.get(Number(token))?.state).toBe("active");
    const [first] = recurringRequests().slice(before);
    expect(first!.body).toMatchObject({ amount: 10_000, auto_capture: true, order_id: paymentRow(setupPaymentId).order_id });
    expect(first!.headers["quickpay-callback-url"]).toBe(`${server.url}/payments/callback`);
    expect(paymentRow(setupPaymentId).status).toBe("captured");
    expect(balanceOf(card.accountId)).toBe(10_000);

    // A sale leaves 40 kr. (< 50 kr.): one top-up of 100 kr. by a recurring charge with a new order id.
    const events: AutoTopUpEvent[] = [];
    const stop = server.services.bus.subscribe("autoTopUp", card.userId, (event) => events.push(event));
    expect(await sell(card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await waitFor(() => events.length > 0, "the top-up result");
    stop();
    expect(events[0]).toMatchObject({ status: "captured", amountOre: 10_000, balanceOre: 14_000 });
    const topUp = recurringRequests().at(-1)!;
    expect((topUp.body as { order_id: string }).order_id).not.toBe(paymentRow(setupPaymentId).order_id);
    expect(topUp.headers["quickpay-callback-url"]).toBe(`${server.url}/payments/callback`);
    expect(balanceOf(card.accountId)).toBe(14_000);
    expect(creditsOf(card.accountId)).toBe(2);
  });

  test("a lost subscription callback: the Auto-optank page reads the subscription back, activates the agreement and charges once", async () => {
    const holder = await cardholder();
    fake.callbackMode = "drop";
    const set = await holder.client.mutate("autoTopUp.setUp", { accountId: holder.card.accountId, amountOre: 10000, receiptEmail: holder.email, acceptedTerms: true, idempotencyKey: `qp-setup-${crypto.randomUUID()}` });
    await fake.pay(set.data.redirectUrl, fakeCards.approved);
    expect((await holder.client.query("autoTopUp.get", { accountId: holder.card.accountId })).data).toMatchObject({ status: "active", cardLast4: "0008" });
    // The first charge's callback is lost too: the setup payment is read back as a payment by its order id.
    await autoTopUpsSettled();
    await fake.settle();
    await reconcilePending(server.services, { olderThanMs: 0, recheckAfterMs: 0 });
    expect(paymentRow(set.data.paymentId).status).toBe("captured");
    expect(balanceOf(holder.card.accountId)).toBe(10_000);
    expect(creditsOf(holder.card.accountId)).toBe(1);
  });

  test("a recurring charge that needs the payer (3-D Secure): a clear notice live and by e-mail, the agreement paused, no retries", async () => {
    const { card, email } = await setUp(100);
    const token = store.read((tx) => (tx.sqlite.query("SELECT card_token FROM auto_top_up_agreements WHERE account_id = ?").get(card.accountId) as { card_token: string }).card_token);
    fake.setSubscriptionCard(Number(token), fakeCards.authenticationRequired);
    const events: AutoTopUpEvent[] = [];
    const stop = server.services.bus.subscribe("autoTopUp", card.userId, (event) => events.push(event));
    const before = recurringRequests().length;
    expect(await sell(card.cardNumber, 6_000)).toMatchObject({ status: "approved" });
    await waitFor(() => events.length > 0, "the top-up result");
    expect(events[0]).toMatchObject({ status: "declined", reason: "authentication_required", agreementPaused: true });
    await waitFor(() => lastMailTo(store, email)?.subject === "Auto-optankning mislykkedes", "the notice by e-mail");
    const mail = lastMailTo(store, email)!;
    expect(mail.subject).toBe("Auto-optankning mislykkedes");
    expect(mail.body).toContain("3-D Secure");
    // More sales below 50 kr.: no new charge is tried.
    for (let sale = 0; sale < 5; sale += 1) await sell(card.cardNumber, 100);
    await autoTopUpsSettled();
    await fake.settle();
    stop();
    expect(recurringRequests().length).toBe(before + 1);
    expect(events).toHaveLength(1);
    expect(balanceOf(card.accountId)).toBe(3_500);
  });

  test("a declined recurring charge: noticed each time, paused after three, never a storm", async () => {
    const { card, client, email } = await setUp(100);
    const token = store.read((tx) => (tx.sqlite.query("SELECT card_token FROM auto_top_up_agreements WHERE account_id = ?").get(card.accountId) as { card_token: string }).card_token);
    fake.setSubscriptionCard(Number(token), fakeCards.recurringDeclined);
    const before = recurringRequests().length;
    for (let sale = 0; sale < 8; sale += 1) {
      await sell(card.cardNumber, 1_000);
      await autoTopUpsSettled();
      await fake.settle();
      await autoTopUpsSettled();
    }
    expect(recurringRequests().length - before).toBeLessThanOrEqual(3);
    expect((await client.query("autoTopUp.get", { accountId: card.accountId })).data).toMatchObject({ status: "paused" });
    expect(lastMailTo(store, email)?.body).toContain("afvist");
    expect(balanceOf(card.accountId)).toBe(2_000);
  });
});
