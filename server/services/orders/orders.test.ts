// Webshop rules at the service level: checkout is atomic and idempotent, menus/cut-off/sold-out hold, cancel refunds once.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../../db/tx.ts";
import { checkLedger } from "../../ledger/check.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../../../common/calendar.ts";
import { createCanteen, createCard, createTestStore, tableCounts, type Fixture, type TestCard, type TestStore } from "../../testing/harness.ts";
import { advanceOrder, deliverOrders, kitchenQueue, orderEventsSince, preparationCounts } from "./kitchen.ts";
import { cancelOrder, checkout } from "./checkout.ts";
import { menuFor, orderableDays } from "./menus.ts";
import { IdempotencyConflictError } from "../pos.ts";

let testStore: TestStore;
let canteen: Fixture;
let products: { dish: number; fruit: number };
const now = Date.parse("2026-11-24T10:00:00Z"); // Tuesday 11:00 in Copenhagen: today's cut-off (09:30) has passed.
const today = copenhagenDate(now);
const tomorrow = addDays(today, 1);

const write = <T,>(fn: (tx: WriteTx) => T): Promise<T> => testStore.store.write(fn);
const balanceOf = (accountId: number) =>
  testStore.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
  products = await write((tx) => {
    const insert = tx.sqlite.query("INSERT INTO products (canteen_id, name, category, price_ore, created_at) VALUES (?, ?, ?, ?, 0)");
    const dish = Number(insert.run(canteen.canteenId, "Dagens ret", "Dagens ret", 3_500).lastInsertRowid);
    const fruit = Number(insert.run(canteen.canteenId, "Frugt", "Snacks", 800).lastInsertRowid);
    const menu = tx.sqlite.query("INSERT INTO menu_items (canteen_id, delivery_day, product_id, quantity_limit) VALUES (?, ?, ?, ?)");
    for (const day of [today, tomorrow]) {
      menu.run(canteen.canteenId, day, dish, 10);
      menu.run(canteen.canteenId, day, fruit, null);
    }
    return { dish, fruit };
  });
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

function basket(card: TestCard, key: string, lines = [{ productId: products.dish, quantity: 1, comment: "Uden løg" }, { productId: products.fruit, quantity: 2 }]) {
  return { accountId: card.accountId, canteenId: canteen.canteenId, deliveryDay: tomorrow, lines, idempotencyKey: key };
}

describe("checkout", () => {
  test("two products with a comment: one order, one transfer, balance drops, kitchen sees it", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const result = await write((tx) => checkout(tx, card.userId, basket(card, "basket-0001"), now));
    expect(result).toMatchObject({ ok: true, replayed: false, order: { status: "received", totalOre: 5_100, orderNumber: expect.stringMatching(/^O-\d{6}$/), cancellable: true } });
    if (!result.ok) return;
    expect(result.order.lines).toEqual([
      { productId: products.dish, name: "Dagens ret", unitPriceOre: 3_500, quantity: 1, lineTotalOre: 3_500, comment: "Uden løg" },
      { productId: products.fruit, name: "Frugt", unitPriceOre: 800, quantity: 2, lineTotalOre: 1_600, comment: null },
    ]);
    expect(balanceOf(card.accountId)).toBe(4_900);
    const queue = testStore.store.read((tx) => kitchenQueue(tx, canteen.canteenId, tomorrow, now));
    expect(queue.map((order) => order.orderId)).toEqual([result.order.orderId]);
    expect(preparationCounts(queue)).toEqual([{ name: "Frugt", quantity: 2 }, { name: "Dagens ret", quantity: 1 }]);
  });

  test("the same checkout submitted twice makes one order; another basket under the same key is a conflict", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const [first, second] = await Promise.all([write((tx) => checkout(tx, card.userId, basket(card, "basket-0002"), now)), write((tx) => checkout(tx, card.userId, basket(card, "basket-0002"), now))]);
    expect(first.ok && second.ok && first.order.orderId === second.order.orderId).toBe(true);
    expect(second).toMatchObject({ replayed: true });
    await expect(write((tx) => checkout(tx, card.userId, basket(card, "basket-0002", [{ productId: products.fruit, quantity: 1 }]), now))).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(balanceOf(card.accountId)).toBe(4_900);
  });

  test("an empty or blank comment counts as no comment, so the identical retry is a replay, not a conflict", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const lines = (comment?: string) => [{ productId: products.fruit, quantity: 1, ...(comment === undefined ? {} : { comment }) }];
    const first = await write((tx) => checkout(tx, card.userId, basket(card, "basket-blank", lines("")), now));
    expect(first).toMatchObject({ ok: true, replayed: false });
    for (const comment of ["", "   ", undefined]) {
      expect(await write((tx) => checkout(tx, card.userId, basket(card, "basket-blank", lines(comment)), now))).toMatchObject({ ok: true, replayed: true });
    }
    expect(balanceOf(card.accountId)).toBe(9_200);
  });

  test("no orders after the cut-off, for days without a menu, or for products not on the menu", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const before = tableCounts(testStore.store);
    expect(await write((tx) => checkout(tx, card.userId, { ...basket(card, "basket-0003"), deliveryDay: today }, now))).toEqual({ ok: false, reason: "cutoff_passed" });
    expect(await write((tx) => checkout(tx, card.userId, { ...basket(card, "basket-0004"), deliveryDay: addDays(today, 5) }, now))).toEqual({ ok: false, reason: "no_menu" });
    expect(await write((tx) => checkout(tx, card.userId, basket(card, "basket-0005", [{ productId: 9999, quantity: 1 }]), now))).toMatchObject({ ok: false, reason: "product_not_on_menu" });
    expect(tableCounts(testStore.store)).toEqual(before);
    expect(testStore.store.read((tx) => orderableDays(tx, canteen.canteenId, now))).toEqual([tomorrow]);
    // One minute before tomorrow's cut-off it is still open; at the cut-off it closes.
    const cutoff = cutoffInstant(tomorrow, "09:30");
    expect(testStore.store.read((tx) => orderableDays(tx, canteen.canteenId, cutoff - 60_000))).toContain(tomorrow);
    expect(testStore.store.read((tx) => orderableDays(tx, canteen.canteenId, cutoff))).not.toContain(tomorrow);
  });

  test("insufficient balance: a clear reason, no order and no transfer", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 5_000 });
    const before = tableCounts(testStore.store);
    const result = await write((tx) => checkout(tx, card.userId, basket(card, "basket-0006"), now));
    expect(result).toMatchObject({ ok: false, reason: "insufficient_funds", message: { da: "Ikke penge nok på kortet" } });
    const after = tableCounts(testStore.store);
    // The declined ledger transfer is remembered under its id; nothing else is written.
    expect({ ...after, declined_transfers: before.declined_transfers }).toEqual(before);
    expect(balanceOf(card.accountId)).toBe(5_000);
  });

  test("the sold-out limit holds under 30 concurrent checkouts", async () => {
    const cards = await Promise.all(Array.from({ length: 30 }, () => createCard(testStore.store, canteen, { balanceOre: 10_000 })));
    const results = await Promise.all(
      cards.map((card, index) => write((tx) => checkout(tx, card.userId, basket(card, `rush-${index}-000`, [{ productId: products.dish, quantity: 1 }]), now))),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(results.filter((result) => !result.ok && result.reason === "sold_out")).toHaveLength(20);
    expect(testStore.store.read((tx) => menuFor(tx, canteen.canteenId, tomorrow)).find((item) => item.productId === products.dish)?.remaining).toBe(0);
  });

  test("a blocked card, a spending limit and another user's account are refused", async () => {
    const blocked = await createCard(testStore.store, canteen, { balanceOre: 10_000, status: "blocked" });
    expect(await write((tx) => checkout(tx, blocked.userId, basket(blocked, "basket-0007"), now))).toMatchObject({ ok: false, reason: "card_blocked" });
    const limited = await createCard(testStore.store, canteen, { balanceOre: 10_000, limits: { daily: 4_000 } });
    expect(await write((tx) => checkout(tx, limited.userId, basket(limited, "basket-0008"), now))).toMatchObject({ ok: false, reason: "limit_daily_exceeded" });
    const other = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    expect(await write((tx) => checkout(tx, other.userId, basket(limited, "basket-0009"), now))).toEqual({ ok: false, reason: "account_not_found" });
  });
});

describe("after checkout", () => {
  test("cancel before the cut-off refunds in full, once; after the cut-off it is refused", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000 });
    const first = await write((tx) => checkout(tx, card.userId, basket(card, "basket-0010"), now));
    const second = await write((tx) => checkout(tx, card.userId, basket(card, "basket-0011"), now));
    if (!first.ok || !second.ok) throw new Error("checkout failed");
    const other = await createCard(testStore.store, canteen, { balanceOre: 0 });
    expect(await write((tx) => cancelOrder(tx, other.userId, first.order.orderId, now))).toEqual({ ok: false, reason: "not_found" });
    const cancelled = await write((tx) => cancelOrder(tx, card.userId, first.order.orderId, now));
    expect(cancelled).toMatchObject({ ok: true, order: { status: "cancelled" } });
    expect(await write((tx) => cancelOrder(tx, card.userId, first.order.orderId, now))).toMatchObject({ ok: true, transfers: [] });
    expect(balanceOf(card.accountId)).toBe(20_000 - 5_100);
    const afterCutoff = cutoffInstant(tomorrow, "09:30") + 1;
    expect(await write((tx) => cancelOrder(tx, card.userId, second.order.orderId, afterCutoff))).toEqual({ ok: false, reason: "not_cancellable" });
    const refunds = testStore.store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE kind = 'refund'").get() as { n: number });
    expect(refunds.n).toBe(1);
  });

  test("the kitchen moves orders forward one step at a time, only in its own canteen, and events replay in order", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const placed = await write((tx) => checkout(tx, card.userId, basket(card, "basket-0012"), now));
    if (!placed.ok) throw new Error("checkout failed");
    const orderId = placed.order.orderId;
    const otherCanteen = await createCanteen(testStore.store, "Anden");
    expect(await write((tx) => advanceOrder(tx, otherCanteen.canteenId, orderId, "in_progress", now))).toEqual({ ok: false, reason: "not_found" });
    expect(await write((tx) => advanceOrder(tx, canteen.canteenId, orderId, "ready", now))).toEqual({ ok: false, reason: "invalid_transition" });
    expect(await write((tx) => advanceOrder(tx, canteen.canteenId, orderId, "in_progress", now))).toMatchObject({ ok: true, order: { status: "in_progress", cancellable: false } });
    expect(await write((tx) => advanceOrder(tx, canteen.canteenId, orderId, "ready", now))).toMatchObject({ ok: true, order: { status: "ready" } });
    const events = testStore.store.read((tx) => orderEventsSince(tx, { canteenId: canteen.canteenId, deliveryDay: tomorrow }, 0, now));
    expect(events.map((event) => event.order.status)).toEqual(["received", "in_progress", "ready"]);
    expect(events.map((event) => event.seq)).toEqual([...events.map((event) => event.seq)].sort((a, b) => a - b));
    const sinceFirst = testStore.store.read((tx) => orderEventsSince(tx, { userId: card.userId }, events[0]!.seq, now));
    expect(sinceFirst).toHaveLength(2);
    // Klar means made: "Skal laves" no longer counts it.
    expect(preparationCounts(testStore.store.read((tx) => kitchenQueue(tx, canteen.canteenId, tomorrow, now)))).toEqual([]);
  });

  test("a screen that missed more than one page of events gets all of them", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const placed = await write((tx) => checkout(tx, card.userId, basket(card, "basket-pages"), now));
    if (!placed.ok) throw new Error("checkout failed");
    // A busy day's worth of events (more than one page of 1000), written directly to keep the test quick.
    await write((tx) => {
      const insert = tx.sqlite.query(
        "INSERT INTO order_events (order_id, user_id, canteen_id, canteen_seq, delivery_day, status, created_at) VALUES (?1, ?2, ?3, (SELECT MAX(canteen_seq) + 1 FROM order_events WHERE canteen_id = ?3), ?4, 'received', ?5)",
      );
      for (let index = 0; index < 2_100; index += 1) insert.run(placed.order.orderId, card.userId, canteen.canteenId, tomorrow, now);
    });
    expect(testStore.store.read((tx) => orderEventsSince(tx, { canteenId: canteen.canteenId, deliveryDay: tomorrow }, 0, now))).toHaveLength(2_101);
    expect(testStore.store.read((tx) => orderEventsSince(tx, { userId: card.userId }, 0, now))).toHaveLength(2_101);
  });

  test("pickup by order number or card number marks today's orders delivered", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000 });
    const earlier = now - 86_400_000;
    const placedA = await write((tx) => checkout(tx, card.userId, { ...basket(card, "basket-0013"), deliveryDay: today }, earlier));
    const placedB = await write((tx) => checkout(tx, card.userId, { ...basket(card, "basket-0014"), deliveryDay: today }, earlier));
    if (!placedA.ok || !placedB.ok) throw new Error("checkout failed");
    const byNumber = await write((tx) => deliverOrders(tx, canteen.canteenId, { orderNumber: placedA.order.orderNumber }, now));
    expect(byNumber.map((event) => event.order.status)).toEqual(["delivered"]);
    const byCard = await write((tx) => deliverOrders(tx, canteen.canteenId, { cardNumber: card.cardNumber }, now));
    expect(byCard.map((event) => event.order.orderId)).toEqual([placedB.order.orderId]);
    expect(await write((tx) => deliverOrders(tx, canteen.canteenId, { orderNumber: "O-999999" }, now))).toEqual([]);
  });
});
