// Spending limits and refunds across periods: a refund frees room only in the periods of the purchase it reverses.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../db/tx.ts";
import { findTerminalByKey } from "../auth/terminal.ts";
import { checkLedger } from "../ledger/check.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";
import { createCanteen, createCard, createTestStore, type Fixture, type TestCard, type TestStore } from "../testing/harness.ts";
import { cancelOrder, checkout } from "./orders/checkout.ts";
import { recordRefund, recordSale, type TerminalIdentity } from "./pos.ts";

let testStore: TestStore;
let canteen: Fixture;
let terminal: TerminalIdentity;
// Tuesday 24 November 2026, 11:00 in Copenhagen; the Monday before is in the same week and month.
const now = Date.parse("2026-11-24T10:00:00Z");
const yesterday = Date.parse("2026-11-23T10:00:00Z");
const lastMonth = Date.parse("2026-10-31T11:00:00Z");
let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}-${crypto.randomUUID()}`;

const write = <T,>(fn: (tx: WriteTx) => T): Promise<T> => testStore.store.write(fn);
const sale = (card: TestCard, amountOre: number, nowMs: number) =>
  write((tx) => recordSale(tx, terminal, { saleId: nextId("sale"), cardNumber: card.cardNumber, amountOre }, { maxSaleOre: 50_000, nowMs }).result);

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
  terminal = testStore.store.read((tx) => findTerminalByKey(tx, canteen.terminalKey))!;
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

describe("spending limits after refunds", () => {
  test.each([
    ["yesterday's", yesterday, { daily: 5_000 }, "limit_daily_exceeded"],
    ["last month's", lastMonth, { monthly: 5_000 }, "limit_monthly_exceeded"],
  ] as const)("a refund today of %s sale gives no extra room today", async (_label, purchasedAt, limits, reason) => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000, limits });
    const earlier = await sale(card, 5_000, purchasedAt);
    expect(earlier.status).toBe("approved");
    const refund = await write((tx) => recordRefund(tx, terminal, { refundId: nextId("refund"), saleId: earlier.saleId }, now).result);
    expect(refund.status).toBe("approved");
    // Today's limit is the whole limit, not the limit plus the refund.
    expect((await sale(card, 5_000, now)).status).toBe("approved");
    expect((await sale(card, 1, now)).reason).toBe(reason);
  });

  test("a refund of a purchase earlier in the same week frees room in the week but not in today", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000, limits: { daily: 5_000, weekly: 6_000 } });
    const monday = await sale(card, 5_000, yesterday);
    await write((tx) => recordRefund(tx, terminal, { refundId: nextId("refund"), saleId: monday.saleId }, now));
    expect((await sale(card, 5_000, now)).status).toBe("approved");
    expect((await sale(card, 1, now)).reason).toBe("limit_daily_exceeded");
  });

  test("a webshop order placed yesterday and cancelled today gives no extra room today", async () => {
    const deliveryDay = addDays(copenhagenDate(now), 2);
    const productId = await write((tx) => {
      const id = Number(tx.sqlite.query("INSERT INTO products (canteen_id, name, category, price_ore, created_at) VALUES (?, 'Dagens ret', 'Dagens ret', 3500, 0)").run(canteen.canteenId).lastInsertRowid);
      tx.sqlite.query("INSERT INTO menu_items (canteen_id, delivery_day, product_id, quantity_limit) VALUES (?, ?, ?, NULL)").run(canteen.canteenId, deliveryDay, id);
      return id;
    });
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000, limits: { daily: 5_000 } });
    const order = await write((tx) =>
      checkout(tx, card.userId, { accountId: card.accountId, canteenId: canteen.canteenId, deliveryDay, lines: [{ productId, quantity: 1 }], idempotencyKey: nextId("basket") }, yesterday),
    );
    if (!order.ok) throw new Error(`checkout failed: ${order.reason}`);
    expect(await write((tx) => cancelOrder(tx, card.userId, order.order.orderId, now))).toMatchObject({ ok: true, order: { status: "cancelled" } });
    expect((await sale(card, 5_000, now)).status).toBe("approved");
    expect((await sale(card, 1, now)).reason).toBe("limit_daily_exceeded");
  });

  test("a refund the same day still frees room", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000, limits: { daily: 5_000 } });
    const first = await sale(card, 5_000, now);
    expect((await sale(card, 1, now)).reason).toBe("limit_daily_exceeded");
    await write((tx) => recordRefund(tx, terminal, { refundId: nextId("refund"), saleId: first.saleId, amountOre: 2_000 }, now));
    expect((await sale(card, 2_000, now)).status).toBe("approved");
    expect((await sale(card, 1, now)).reason).toBe("limit_daily_exceeded");
  });
});
