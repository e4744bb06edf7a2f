// accounts.onBalance over real SSE: live events, resume from any event id (also the opening position and order/top-up ids), nothing lost or doubled.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AutoTopUpEvent, BalanceEvent } from "../events/bus.ts";
import { until } from "../testing/sse-client.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import { createPendingPayment } from "../services/payments/records.ts";
import { advanceOrder } from "../services/orders/kitchen.ts";
import { publishOrderChange } from "../services/orders/records.ts";
import { parsePosition, recheckDelayMs, SESSION_RECHECK_MAX_MS, type PortalEvent } from "./accounts.ts";
import { sessionIdOf } from "../auth/session.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";

let server: TestServer;
let canteen: Fixture;
beforeAll(async () => {
  server = await startTestServer();
  canteen = await createCanteen(server.services.store);
});
afterAll(async () => {
  await server.close();
});

async function sell(cardNumber: string, amountOre: number, saleId: string) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

function subscribe(cookie: string, lastEventId: string | null, baseUrl = server.url) {
  return openPortalStream<BalanceEvent>(baseUrl, cookie, lastEventId);
}

async function signedIn(code: string, balanceOre = 10_000) {
  const card = await createCard(server.services.store, canteen, { code, balanceOre });
  const portal = new PortalClient(server.url);
  await portal.login(card.cardNumber, code);
  return { card, cookie: portal.cookie! };
}

test("a sale shows up live; after a disconnect, resuming from the last id delivers exactly the missed sales, in order", async () => {
  const { card, cookie } = await signedIn("192837");

  const first = subscribe(cookie, null);
  // Once the opening position event is in, the server has fixed the stream's start: a sale now must arrive.
  await until(first.ready, "the stream's position");
  await sell(card.cardNumber, 1_000, "live-sale-00001");
  await until(() => first.events.length === 1, "the live event");
  expect(first.events[0]!.data).toMatchObject({ accountId: card.accountId, amountOre: -1_000, balanceOre: 9_000, kind: "sale" });
  const lastId = first.events[0]!.id;
  first.stop();
  await until(() => server.services.bus.listenerCount() === 0, "the listener to be released");

  for (const [index, amount] of [100, 200, 300].entries()) await sell(card.cardNumber, amount, `missed-sale-0000${index}`);

  const resumed = subscribe(cookie, lastId);
  await until(() => resumed.events.length >= 3, "the missed events");
  await sell(card.cardNumber, 400, "after-resume-0001");
  await until(() => resumed.events.length >= 4, "the next live event");
  expect(resumed.events.map((event) => [event.data.amountOre, event.data.balanceOre])).toEqual([
    [-100, 8_900],
    [-200, 8_700],
    [-300, 8_400],
    [-400, 8_000],
  ]);
  expect(new Set(resumed.events.map((event) => event.id)).size).toBe(4);
  resumed.stop();
  await until(() => server.services.bus.listenerCount() === 0, "the listener to be released");
});

test("a tab that dropped before its first event resumes from the opening position and gets what happened meanwhile", async () => {
  const { card, cookie } = await signedIn("918273");
  const first = subscribe(cookie, null);
  await until(first.ready, "the stream's position");
  const positionId = first.lastId()!;
  expect(first.events).toEqual([]);
  first.stop();
  await until(() => server.services.bus.listenerCount() === 0, "the listener to be released");

  await sell(card.cardNumber, 250, "during-the-drop-1");
  const resumed = subscribe(cookie, positionId);
  await until(() => resumed.events.length === 1, "the sale made during the drop");
  expect(resumed.events[0]!.data).toMatchObject({ amountOre: -250, balanceOre: 9_750 });
  resumed.stop();
});

test("a resume id whose last event was an automatic top-up result still resumes (no restart that drops the missed sales)", async () => {
  const { card, cookie } = await signedIn("564839");
  const { store, bus } = server.services;
  const first = openPortalStream<PortalEvent>(server.url, cookie, null);
  await until(first.ready, "the stream's position");

  // A declined automatic top-up, recorded and published as the payment service does: the tab's first real event.
  const result: AutoTopUpEvent = await store.write((tx) => {
    const payment = createPendingPayment(tx, { userId: card.userId, accountId: card.accountId, idempotencyKey: "top-up-first-event", purpose: "auto_top_up", amountOre: 5_000, receiptEmail: null }).payment;
    const now = Date.now();
    const seq = Number(
      tx.sqlite
        .query("INSERT INTO auto_top_up_results (user_id, account_id, payment_id, status, reason, amount_ore, balance_after_ore, agreement_paused, created_at) VALUES (?, ?, ?, 'declined', 'card_declined', 5000, 10000, 0, ?)")
        .run(card.userId, card.accountId, payment.paymentId, now).lastInsertRowid,
    );
    return { seq, userId: card.userId, accountId: card.accountId, paymentId: payment.paymentId, status: "declined", reason: "card_declined", amountOre: 5_000, balanceOre: 10_000, agreementPaused: false, createdAt: now };
  });
  bus.publish("autoTopUp", card.userId, result);
  await until(() => first.events.length === 1, "the top-up result");
  expect(first.events[0]!.data).toMatchObject({ type: "autoTopUp", status: "declined" });
  const lastId = first.events[0]!.id;
  expect(parsePosition(lastId)).not.toBeNull();
  first.stop();
  await until(() => bus.listenerCount() === 0, "the listener to be released");

  await sell(card.cardNumber, 300, "after-top-up-drop1");
  await sell(card.cardNumber, 200, "after-top-up-drop2");
  const resumed = openPortalStream<PortalEvent>(server.url, cookie, lastId);
  await until(() => resumed.events.length === 2, "the sales missed during the drop");
  expect(resumed.events.map((event) => [event.data.type, "amountOre" in event.data ? event.data.amountOre : null])).toEqual([
    ["balance", -300],
    ["balance", -200],
  ]);
  resumed.stop();
});

test("a subscription without a session is refused, and another user's sales never reach it", async () => {
  const anonymous = subscribe("kk_session=none", null);
  await until(() => anonymous.error() !== null, "the refusal");
  expect(anonymous.error()).toEqual({ code: "UNAUTHORIZED" });
  expect(anonymous.events).toEqual([]);
  anonymous.stop();
  const { card: mine, cookie } = await signedIn("564738", 1_000);
  const other = await createCard(server.services.store, canteen, { balanceOre: 1_000 });
  const stream = subscribe(cookie, null);
  await until(stream.ready, "the stream's position");
  await sell(other.cardNumber, 100, "other-user-sale-1");
  await sell(mine.cardNumber, 100, "my-own-sale-00001");
  await until(() => stream.events.length === 1, "my event");
  // My own sale came after the other user's, so had that one been delivered it would be here by now.
  expect(stream.events.map((event) => event.data.accountId)).toEqual([mine.accountId]);
  stream.stop();
});

describe("sessions that end", () => {
  test("logout ends the open stream at once: no further balances reach it", async () => {
    const { card, cookie } = await signedIn("273645");
    const stream = subscribe(cookie, null);
    await until(stream.ready, "the stream's position");
    const announced: number[] = [];
    const stopListening = server.services.bus.subscribe("sessionsEnded", card.userId, (event) => announced.push(event.userId));
    const logout = await fetch(`${server.url}/trpc/auth.logout`, { method: "POST", headers: { cookie, "x-kantinekort-csrf": "1", "content-type": "application/json" } });
    expect(logout.status).toBe(200);
    // Announced on the bus as soon as the logout committed, so the stream does not wait for its periodic check.
    expect(announced).toEqual([card.userId]);
    stopListening();
    await until(() => stream.error() !== null, "the stream to end");
    expect(stream.error()).toEqual({ code: "UNAUTHORIZED" });
    await until(() => server.services.bus.listenerCount() === 0, "the listeners to be released");
    await sell(card.cardNumber, 100, "after-logout-sale1");
    expect(stream.events).toEqual([]);
    stream.stop();
  });

  test("a password change on another device ends the stream of this session", async () => {
    const code = "837465";
    const { card, cookie } = await signedIn(code);
    const stream = subscribe(cookie, null);
    await until(stream.ready, "the stream's position");
    const otherDevice = new PortalClient(server.url);
    await otherDevice.login(card.cardNumber, code);
    expect((await otherDevice.mutate("auth.changePassword", { currentPassword: code, newPassword: "Sommer2026x", repeatPassword: "Sommer2026x" })).data).toEqual({ ok: true });
    await until(() => stream.error() !== null, "the stream to end");
    expect(stream.error()).toEqual({ code: "UNAUTHORIZED" });
    stream.stop();
  });

  test("a session that expires while its stream is open ends the stream when it expires, with nothing published", async () => {
    const { cookie } = await signedIn("495867");
    // The session reaches its absolute limit two seconds from now (sliding cannot pass it); no bus event tells the stream.
    const sessionId = sessionIdOf(cookie.split("=")[1]!);
    const expiresAt = Date.now() + 2_000;
    await server.services.store.write((tx) => tx.sqlite.query("UPDATE sessions SET absolute_expires_at = ? WHERE id = ?").run(expiresAt, sessionId));
    const stream = subscribe(cookie, null);
    await until(stream.ready, "the stream's position");
    expect(stream.error()).toBeNull();
    await until(() => stream.error() !== null, "the stream to end", 6_000);
    expect(stream.error()).toEqual({ code: "UNAUTHORIZED" });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    stream.stop();
  });

  test("a stream looks at its session again at its expiry, at least hourly, never in a tight loop", () => {
    const now = 1_000_000;
    expect(recheckDelayMs({ expiresAt: now + 5_000, absoluteExpiresAt: now + 90_000 }, now)).toBe(5_000);
    expect(recheckDelayMs({ expiresAt: now + 50_000, absoluteExpiresAt: now + 20_000 }, now)).toBe(20_000);
    expect(recheckDelayMs({ expiresAt: now + 30 * 86_400_000, absoluteExpiresAt: now + 90 * 86_400_000 }, now)).toBe(SESSION_RECHECK_MAX_MS);
    expect(recheckDelayMs({ expiresAt: now - 5, absoluteExpiresAt: now + 1 }, now)).toBe(1_000);
  });
});

test("a resume id whose last event was an order event still resumes, with the sales missed meanwhile", async () => {
  // A real order needs a menu: the demo data has one, with a cardholder and a till.
  const demo = await startTestServer({ seedDemo: true });
  try {
    const portal = new PortalClient(demo.url);
    await portal.login("12345678901234", "482913");
    const days = (await portal.query("webshop.days")).data as Array<{ canteenId: number; days: string[] }>;
    const canteenId = days[0]!.canteenId;
    const deliveryDay = addDays(copenhagenDate(Date.now()), 1);
    const products = (await portal.query("webshop.menu", { canteenId, deliveryDay })).data as Array<{ productId: number }>;
    const accountId = ((await portal.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    const placed = await portal.mutate("webshop.checkout", { accountId, canteenId, deliveryDay, lines: [{ productId: products[0]!.productId, quantity: 1 }], idempotencyKey: "order-first-event-1" });
    const orderId = placed.data.order.orderId as number;

    const first = openPortalStream<PortalEvent>(demo.url, portal.cookie!, null);
    await until(first.ready, "the stream's position");
    // The kitchen moves the order on: an order event with no money movement is the tab's first real event.
    const advanced = await demo.services.store.write((tx) => advanceOrder(tx, canteenId, orderId, "in_progress"));
    if (!advanced.ok) throw new Error("advance failed");
    publishOrderChange(demo.services, [], advanced.event);
    await until(() => first.events.length === 1, "the order event");
    expect(first.events[0]!.data).toMatchObject({ type: "order", order: { orderId, status: "in_progress" } });
    const lastId = first.events[0]!.id;
    first.stop();
    await until(() => demo.services.bus.listenerCount() === 0, "the listener to be released");

    const cardNumber = "12345678901234";
    const response = await fetch(`${demo.url}/trpc/pos.sale`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${demo.services.config.posDemoKey}` },
      body: JSON.stringify({ saleId: "after-order-drop-01", cardNumber, amountOre: 500 }),
    });
    expect((await response.json()).result.data.status).toBe("approved");
    const resumed = openPortalStream<PortalEvent>(demo.url, portal.cookie!, lastId);
    await until(() => resumed.events.length === 1, "the sale missed during the drop");
    expect(resumed.events[0]!.data).toMatchObject({ type: "balance", amountOre: -500, kind: "sale" });
    resumed.stop();
  } finally {
    await demo.close();
  }
});
