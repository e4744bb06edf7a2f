// Webshop and kitchen over real HTTP and SSE: checkout from the card, kitchen queue live and resumable, cancel with refund.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, PortalClient, startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { db } from "../../db/query.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";
import { createPendingPayment } from "../services/payments/records.ts";
import { saveAgreement } from "../services/payments/agreements.ts";
import { checkLedger } from "../ledger/check.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../../common/calendar.ts";
import { checkout } from "../services/orders/checkout.ts";
import type { OrderEvent } from "../events/bus.ts";
import { sseClient, until } from "../testing/sse-client.ts";

let server: TestServer;
let cardholder: PortalClient;
let kitchenCookie: string;
const tomorrow = addDays(copenhagenDate(Date.now()), 1);

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  cardholder = new PortalClient(server.url);
  await cardholder.login("12345678901234", "482913");
  const login = await fetch(`${server.url}/trpc/kitchen.login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" },
    body: JSON.stringify({ token: server.services.config.kitchenDemoToken }),
  });
  kitchenCookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
});
// The ledger must hold after every test, so a broken invariant points at the test that broke it.
afterEach(() => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

function kitchenCall(path: string, input?: unknown, mutation = false) {
  return fetch(`${server.url}/trpc/${path}${mutation ? "" : input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
    method: mutation ? "POST" : "GET",
    headers: { cookie: kitchenCookie, "content-type": "application/json", "x-kantinekort-csrf": "1" },
    ...(mutation ? { body: JSON.stringify(input) } : {}),
  }).then((response) => response.json() as Promise<any>);
}

function subscribeQueue(lastEventId: string | null, cookie = kitchenCookie) {
  const events: Array<{ id: string; data: OrderEvent }> = [];
  const client = sseClient(server.url, cookie);
  let started = false;
  const subscription = client.kitchen.onQueue.subscribe(
    { deliveryDay: tomorrow, ...(lastEventId ? { lastEventId } : {}) },
    { onStarted: () => (started = true), onData: (envelope) => events.push({ id: envelope.id, data: envelope.data as OrderEvent }) },
  );
  return { events, stop: () => subscription.unsubscribe(), isStarted: () => started };
}


async function menu() {
  const days = (await cardholder.query("webshop.days")).data as Array<{ canteenId: number; days: string[] }>;
  expect(days[0]!.days).toContain(tomorrow);
  const products = (await cardholder.query("webshop.menu", { canteenId: days[0]!.canteenId, deliveryDay: tomorrow })).data as Array<{ productId: number; name: string; priceOre: number }>;
  return { canteenId: days[0]!.canteenId, products };
}

describe("webshop and kitchen", () => {
  test("an order for tomorrow reaches the kitchen live, moves to Klar, and the cardholder's stream follows", async () => {
    const { canteenId, products } = await menu();
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number; balanceOre: number }>)[0]!.accountId;
    const queue = subscribeQueue(null);
    await until(queue.isStarted, "the kitchen stream");
    // "Started" can arrive just before the server attaches its listener; leave it a moment.
    await Bun.sleep(250);
    const dish = products.find((product) => product.name === "Dagens ret")!;
    const fruit = products.find((product) => product.name === "Frugt")!;
    const placed = await cardholder.mutate("webshop.checkout", {
      accountId,
      canteenId,
      deliveryDay: tomorrow,
      lines: [{ productId: dish.productId, quantity: 1, comment: "Uden løg" }, { productId: fruit.productId, quantity: 2 }],
      idempotencyKey: "basket-http-0001",
    });
    expect(placed.data).toMatchObject({ ok: true, order: { status: "received", totalOre: dish.priceOre + 2 * fruit.priceOre } });
    await until(() => queue.events.length === 1, "the order on the kitchen screen");
    expect(queue.events[0]!.data.order.lines[0]).toMatchObject({ name: "Dagens ret", comment: "Uden løg" });
    const orderId = placed.data.order.orderId as number;
    expect((await kitchenCall("kitchen.advance", { orderId, to: "in_progress" }, true)).result.data).toMatchObject({ ok: true });
    const cooking = (await kitchenCall("kitchen.queue", { deliveryDay: tomorrow })).result.data;
    expect(cooking.counts).toEqual(expect.arrayContaining([{ name: "Frugt", quantity: 2 }, { name: "Dagens ret", quantity: 1 }]));
    expect((await kitchenCall("kitchen.advance", { orderId, to: "ready" }, true)).result.data).toMatchObject({ ok: true, order: { status: "ready" } });
    await until(() => queue.events.length === 3, "the state changes");
    queue.stop();
    const listed = (await cardholder.query("orders.list")).data as Array<{ orderId: number; status: string }>;
    expect(listed.find((order) => order.orderId === orderId)?.status).toBe("ready");
    // The order is Klar, so there is nothing left to make for it.
    const kitchenView = (await kitchenCall("kitchen.queue", { deliveryDay: tomorrow })).result.data;
    expect(kitchenView.counts).toEqual([]);
  });

  test("the kitchen stream resumes after a drop with exactly the missed changes", async () => {
    const { canteenId, products } = await menu();
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    const first = subscribeQueue(null);
    await until(first.isStarted, "the kitchen stream");
    // "Started" can arrive just before the server attaches its listener; leave it a moment.
    await Bun.sleep(250);
    const order = await cardholder.mutate("webshop.checkout", { accountId, canteenId, deliveryDay: tomorrow, lines: [{ productId: products[0]!.productId, quantity: 1 }], idempotencyKey: "basket-http-0002" });
    await until(() => first.events.length === 1, "the first event");
    const lastId = first.events[0]!.id;
    first.stop();
    const orderId = order.data.order.orderId as number;
    await kitchenCall("kitchen.advance", { orderId, to: "in_progress" }, true);
    await kitchenCall("kitchen.advance", { orderId, to: "ready" }, true);
    const resumed = subscribeQueue(lastId);
    await until(() => resumed.events.length >= 2, "the missed events");
    await Bun.sleep(150);
    expect(resumed.events.map((event) => event.data.order.status)).toEqual(["in_progress", "ready"]);
    resumed.stop();
  });

  test("the same checkout twice makes one order; cancel before cut-off refunds once; bad baskets write nothing", async () => {
    const { canteenId, products } = await menu();
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    const basket = { accountId, canteenId, deliveryDay: tomorrow, lines: [{ productId: products[0]!.productId, quantity: 1 }], idempotencyKey: "basket-http-0003" };
    const [first, second] = await Promise.all([cardholder.mutate("webshop.checkout", basket), cardholder.mutate("webshop.checkout", basket)]);
    expect(first.data.order.orderId).toBe(second.data.order.orderId);
    const orderId = first.data.order.orderId as number;
    // The portal shows "Bestil senest kl. 09.30" per day and "kan annulleres indtil …" per order: the same instant.
    const days = (await cardholder.query("webshop.days")).data as Array<{ canteenId: number; cutoffTime: string }>;
    expect(days.find((canteen) => canteen.canteenId === canteenId)!.cutoffTime).toBe("09:30");
    expect(first.data.order.cancellableUntil).toBe(cutoffInstant(tomorrow, "09:30"));
    const listed = ((await cardholder.query("orders.list")).data as Array<{ orderId: number; cancellableUntil: number }>).find((order) => order.orderId === orderId)!;
    expect(listed.cancellableUntil).toBe(cutoffInstant(tomorrow, "09:30"));
    const balanceBefore = ((await cardholder.query("accounts.list")).data as Array<{ balanceOre: number }>)[0]!.balanceOre;
    expect((await cardholder.mutate("orders.cancel", { orderId })).data).toMatchObject({ ok: true, order: { status: "cancelled" } });
    expect((await cardholder.mutate("orders.cancel", { orderId })).data).toMatchObject({ ok: true });
    const balanceAfter = ((await cardholder.query("accounts.list")).data as Array<{ balanceOre: number }>)[0]!.balanceOre;
    expect(balanceAfter - balanceBefore).toBe(first.data.order.totalOre);
    const before = tableCounts(server.services.store);
    expect((await cardholder.mutate("webshop.checkout", { ...basket, idempotencyKey: "basket-http-0004", lines: [] })).status).toBe(400);
    expect((await cardholder.mutate("webshop.checkout", { ...basket, idempotencyKey: "basket-http-0005", deliveryDay: "2020-01-01" })).data).toMatchObject({ ok: false, reason: "no_menu" });
    expect((await cardholder.mutate("webshop.checkout", { ...basket, idempotencyKey: "basket-http-0006", lines: [{ productId: products[0]!.productId, quantity: 50 }] })).data).toMatchObject({ ok: false });
    expect(tableCounts(server.services.store)).toEqual(before);
  });

  test("pickup at the till marks today's order Udleveret, by order number or card number", async () => {
    const { canteenId, products } = await menu();
    const today = copenhagenDate(Date.now());
    const me = (await cardholder.query("auth.me")).data as { userId: number };
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    // Placed this morning, before today's cut-off.
    const placed = await server.services.store.write((tx) =>
      checkout(tx, me.userId, { accountId, canteenId, deliveryDay: today, lines: [{ productId: products[0]!.productId, quantity: 1 }], idempotencyKey: "basket-today-01" }, cutoffInstant(today, "09:30") - 3_600_000),
    );
    if (!placed.ok) throw new Error(`checkout failed: ${placed.reason}`);
    const deliver = (input: object) =>
      fetch(`${server.url}/trpc/pos.deliver`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${server.services.config.posDemoKey}` },
        body: JSON.stringify(input),
      }).then((response) => response.json() as Promise<any>);
    expect((await deliver({ cardNumber: "12345678901234" })).result.data).toEqual({ delivered: [placed.order.orderNumber] });
    expect((await deliver({ orderNumber: placed.order.orderNumber })).result.data).toEqual({ delivered: [] });
    const listed = (await cardholder.query("orders.list")).data as Array<{ orderId: number; status: string }>;
    expect(listed.find((order) => order.orderId === placed.order.orderId)?.status).toBe("delivered");
  });

  test("a checkout that takes the balance under 50 kr. starts the automatic top-up", async () => {
    const store = server.services.store;
    const demo = store.read(
      (tx) =>
        tx.sqlite
          .query("SELECT c.id AS canteenId, c.tenant_id AS tenantId, c.revenue_account_id AS revenueAccountId FROM canteens c ORDER BY c.id LIMIT 1")
          .get() as { canteenId: number; tenantId: number; revenueAccountId: number },
    );
    const clearingAccountId = store.read((tx) => (tx.sqlite.query("SELECT id FROM ledger_accounts WHERE kind = 'acquirer_clearing'").get() as { id: number }).id);
    // 100 kr. deposited, so the agreement is in effect; its saved card is a simulator test card that succeeds.
    const card = await createCard(store, { ...demo, clearingAccountId, terminalId: 0, terminalKey: "" }, { balanceOre: 10_000, code: "246810", name: "Auto Optank", email: "auto@example.dk" });
    const token = (server.services.acquirer as AcquirerSimulator).tokenForTestCard("4571000000000001");
    await store.write((tx) => {
      const setup = createPendingPayment(tx, { userId: card.userId, accountId: card.accountId, idempotencyKey: "setup-webshop-1", purpose: "auto_top_up_setup", amountOre: 6_000, receiptEmail: "auto@example.dk" });
      saveAgreement(tx, card.userId, { accountId: card.accountId, amountOre: 6_000, receiptEmail: "auto@example.dk", setupPaymentId: setup.payment.paymentId });
      tx.sqlite.query("UPDATE auto_top_up_agreements SET status = 'active', card_token = ? WHERE account_id = ?").run(token, card.accountId);
    });
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, "246810");
    const { canteenId, products } = await menu();
    // Spend between 50 and 100 kr., so the balance ends under the 50 kr. threshold.
    const product = products.filter((candidate) => candidate.priceOre <= 4_000).sort((a, b) => b.priceOre - a.priceOre)[0]!;
    const quantity = Math.min(50, Math.floor(9_000 / product.priceOre));
    const totalOre = quantity * product.priceOre;
    expect(totalOre).toBeGreaterThan(5_000);
    const placed = await client.mutate("webshop.checkout", { accountId: card.accountId, canteenId, deliveryDay: tomorrow, lines: [{ productId: product.productId, quantity }], idempotencyKey: "basket-top-up-01" });
    expect(placed.data).toMatchObject({ ok: true });
    // The top-up runs after the checkout's answer: wait for it to finish.
    const topUps = () => store.read((tx) => tx.sqlite.query("SELECT status FROM payments WHERE account_id = ? AND purpose = 'auto_top_up'").all(card.accountId));
    for (let wait = 0; wait < 250 && JSON.stringify(topUps()) !== JSON.stringify([{ status: "captured" }]); wait += 1) await Bun.sleep(20);
    expect(topUps()).toEqual([{ status: "captured" }]);
    const balance = store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(card.accountId) as { balance_ore: number }).balance_ore);
    expect(balance).toBe(10_000 - totalOre + 6_000);
  });

  test("a screen's positions count its own canteen's order changes only: another school's busy day moves nothing it sees (issue 29 finding 5)", async () => {
    // School 2: its own canteen, product, menu, cardholder and kitchen screen.
    const other = await createCanteen(server.services.store, "Anden kantine");
    const screenToken = `screen-token-${crypto.randomUUID()}`;
    const productId = await server.services.store.write((tx) => {
      tx.run(db.insertInto("kitchen_screens").values({ canteen_id: other.canteenId, name: "Skærm 2", token_hash: hashApiKey(screenToken), created_at: Date.now() }));
      const id = tx.run(db.insertInto("products").values({ canteen_id: other.canteenId, name: "Suppe", category: "Dagens ret", price_ore: 2_500, created_at: Date.now() })).lastInsertRowid;
      tx.run(db.insertInto("menu_items").values({ canteen_id: other.canteenId, delivery_day: tomorrow, product_id: id, quantity_limit: null }));
      return id;
    });
    const pupil = await createCard(server.services.store, other, { balanceOre: 10_000 });
    const login = await fetch(`${server.url}/trpc/kitchen.login`, { method: "POST", headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" }, body: JSON.stringify({ token: screenToken }) });
    const otherCookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    const otherQueue = async () =>
      (await fetch(`${server.url}/trpc/kitchen.queue?input=${encodeURIComponent(JSON.stringify({ deliveryDay: tomorrow }))}`, { headers: { cookie: otherCookie } }).then((response) => response.json() as Promise<any>)).result.data;
    const startedAt = (await otherQueue()).lastSeq as number;

    // School 1 orders, cooks and hands out: many order changes on the site.
    const stream = subscribeQueue(null, otherCookie);
    await until(stream.isStarted, "school 2's kitchen stream");
    await Bun.sleep(250);
    const { canteenId, products } = await menu();
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    const siteBefore = server.services.store.read((tx) => tx.sqlite.query("SELECT MAX(seq) AS seq FROM order_events").get() as { seq: number }).seq;
    for (const key of ["scope-a", "scope-b", "scope-c"]) {
      const placed = await cardholder.mutate("webshop.checkout", { accountId, canteenId, deliveryDay: tomorrow, lines: [{ productId: products[0]!.productId, quantity: 1 }], idempotencyKey: `basket-${key}-${crypto.randomUUID()}` });
      await kitchenCall("kitchen.advance", { orderId: placed.data.order.orderId, to: "in_progress" }, true);
    }
    const siteAfter = server.services.store.read((tx) => tx.sqlite.query("SELECT MAX(seq) AS seq FROM order_events").get() as { seq: number }).seq;
    expect(siteAfter - siteBefore).toBe(6);
    await Bun.sleep(300);
    expect(stream.events).toEqual([]);
    expect((await otherQueue()).lastSeq).toBe(startedAt);

    // School 2's own order is its canteen's next position, whatever the site did meanwhile.
    const placed = await server.services.store.write((tx) => checkout(tx, pupil.userId, { accountId: pupil.accountId, canteenId: other.canteenId, deliveryDay: tomorrow, lines: [{ productId, quantity: 1 }], idempotencyKey: "basket-school-2" }));
    if (!placed.ok) throw new Error(`school 2's checkout failed: ${placed.reason}`);
    expect(placed.event).not.toBeNull();
    server.services.bus.publish("order", `${other.canteenId}:${tomorrow}`, placed.event!);
    await until(() => stream.events.length === 1, "school 2's own order");
    expect(stream.events[0]!.id).toBe(String(startedAt + 1));
    expect(stream.events[0]!.data.seq).toBe(startedAt + 1);
    expect(stream.events[0]!.data).not.toHaveProperty("canteenSeq");
    expect((await otherQueue()).lastSeq).toBe(startedAt + 1);
    stream.stop();
    // A resume from a position it was given replays its own canteen's events after it, nothing else.
    const resumed = subscribeQueue(String(startedAt), otherCookie);
    await until(() => resumed.events.length === 1, "the resumed event");
    await Bun.sleep(150);
    expect(resumed.events.map((event) => [event.id, event.data.order.orderId])).toEqual([[String(startedAt + 1), placed.order.orderId]]);
    resumed.stop();
  });

  test("the kitchen needs a valid screen token; a cardholder cannot move orders", async () => {
    const anonymous = await fetch(`${server.url}/trpc/kitchen.queue`);
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${server.url}/trpc/kitchen.login`, { method: "POST", headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" }, body: JSON.stringify({ token: "not-the-right-token-000" }) });
    expect((await wrong.json()).result.data).toEqual({ ok: false });
    expect((await cardholder.mutate("kitchen.advance", { orderId: 1, to: "ready" })).status).toBe(401);
  });
});
