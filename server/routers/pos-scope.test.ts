// Issue 29: a till sees only its own canteen's sales, and sale/refund ids are idempotency keys of one terminal.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { TRPCError } from "@trpc/server";
import { callerFor, createCanteen, createCard, createTestStore, servicesFor, type Fixture, type TestStore } from "../testing/harness.ts";
import { db } from "../../db/query.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { checkLedger } from "../ledger/check.ts";
import { openAccount } from "../ledger/ledger.ts";
import type { AppServices } from "../trpc.ts";

let testStore: TestStore;
let services: AppServices;
let school1: Fixture;
let school2: Fixture;

beforeEach(async () => {
  testStore = await createTestStore();
  services = servicesFor(testStore.store, { maxSaleOre: 50_000 });
  school1 = await createCanteen(testStore.store, "Skole 1");
  school2 = await createCanteen(testStore.store, "Skole 2");
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

const tillOf = (fixture: Fixture) => callerFor(services, { authorization: `Bearer ${fixture.terminalKey}` });
const balanceOf = (accountId: number) =>
  testStore.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

/** Another terminal of the fixture's school: in the same canteen, or in a new canteen of the same school. */
async function anotherTerminal(fixture: Fixture, where: "same canteen" | "other canteen"): Promise<Fixture> {
  const terminalKey = `test-terminal-key-scope-${crypto.randomUUID()}`;
  return testStore.store.write((tx) => {
    const now = Date.now();
    let { canteenId, revenueAccountId } = fixture;
    if (where === "other canteen") {
      revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: "Cafe omsætning" }, now);
      canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: fixture.tenantId, name: "Cafeen", revenue_account_id: revenueAccountId, created_at: now })).lastInsertRowid;
    }
    const terminalId = tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: "Kasse 2", api_key_hash: hashApiKey(terminalKey), created_at: now })).lastInsertRowid;
    return { ...fixture, canteenId, revenueAccountId, terminalId, terminalKey };
  });
}

async function expectConflict(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe("CONFLICT");
}

describe("a refund naming a sale of another canteen", () => {
  test.each(["other school", "other canteen of the same school"] as const)("from the %s answers exactly as for an unknown id, also on replay", async (who) => {
    const card = await createCard(testStore.store, school1, { balanceOre: 10_000 });
    await tillOf(school1).pos.sale({ saleId: "KASSE1-000042", cardNumber: card.cardNumber, amountOre: 1_500 });
    const stranger = who === "other school" ? school2 : await anotherTerminal(school1, "other canteen");

    const unknown = await tillOf(stranger).pos.refund({ refundId: "refund-unknown-1", saleId: "KASSE1-999999" });
    const foreign = await tillOf(stranger).pos.refund({ refundId: "refund-foreign-1", saleId: "KASSE1-000042" });
    const shape = (answer: typeof unknown) => ({ ...answer, refundId: "x", saleId: "y" });
    expect(foreign).toEqual({ refundId: "refund-foreign-1", saleId: "KASSE1-000042", status: "declined", reason: "sale_not_found", message: foreign.message, amountOre: 0, balanceOre: null, replayed: false });
    expect(shape(foreign)).toEqual(shape(unknown));
    // With an amount, too: the answer echoes only what the till sent.
    const withAmount = await tillOf(stranger).pos.refund({ refundId: "refund-foreign-2", saleId: "KASSE1-000042", amountOre: 700 });
    expect(withAmount).toMatchObject({ status: "declined", reason: "sale_not_found", amountOre: 700, balanceOre: null });
    // The stored decline replays the same nothing.
    expect(await tillOf(stranger).pos.refund({ refundId: "refund-foreign-1", saleId: "KASSE1-000042" })).toEqual({ ...foreign, replayed: true });
    expect(balanceOf(card.accountId)).toBe(8_500);
    // The browser till's refund says the same.
    expect(await tillOf(stranger).till.refund({ refundId: "refund-foreign-3", saleId: "KASSE1-000042" })).toMatchObject({ reason: "sale_not_found", balanceOre: null });
  });

  test("another till of the same canteen may refund the sale, as the counter does today", async () => {
    const card = await createCard(testStore.store, school1, { balanceOre: 10_000 });
    await tillOf(school1).pos.sale({ saleId: "KASSE1-000042", cardNumber: card.cardNumber, amountOre: 1_500 });
    const neighbour = await anotherTerminal(school1, "same canteen");
    expect(await tillOf(neighbour).pos.refund({ refundId: "refund-neighbour-1", saleId: "KASSE1-000042" })).toMatchObject({ status: "approved", amountOre: 1_500, balanceOre: 10_000 });
    expect(balanceOf(card.accountId)).toBe(10_000);
  });
});

describe("sale and refund ids are idempotency keys of one terminal", () => {
  test("two schools' tills using the same sale id make two sales, each charged once and each replayed with its own answer", async () => {
    const card1 = await createCard(testStore.store, school1, { balanceOre: 10_000 });
    const card2 = await createCard(testStore.store, school2, { balanceOre: 5_000 });
    const sale2 = { saleId: "KASSE1-000042", cardNumber: card2.cardNumber, amountOre: 700 };
    const sale1 = { saleId: "KASSE1-000042", cardNumber: card1.cardNumber, amountOre: 1_500 };
    // School 2 uses the id first: school 1's own sale with it is still its own, not a conflict.
    const first2 = await tillOf(school2).pos.sale(sale2);
    const first1 = await tillOf(school1).pos.sale(sale1);
    expect(first2).toEqual({ saleId: "KASSE1-000042", status: "approved", amountOre: 700, balanceOre: 4_300, replayed: false });
    expect(first1).toEqual({ saleId: "KASSE1-000042", status: "approved", amountOre: 1_500, balanceOre: 8_500, replayed: false });
    expect(await tillOf(school1).pos.sale(sale1)).toEqual({ ...first1, replayed: true });
    expect(await tillOf(school2).pos.sale(sale2)).toEqual({ ...first2, replayed: true });
    expect(balanceOf(card1.accountId)).toBe(8_500);
    expect(balanceOf(card2.accountId)).toBe(4_300);
    expect(balanceOf(school1.revenueAccountId)).toBe(1_500);
    expect(balanceOf(school2.revenueAccountId)).toBe(700);
    // Each till's day lists its own sale.
    expect((await tillOf(school1).till.salesToday()).sales.map((sale: { amountOre: number }) => sale.amountOre)).toEqual([1_500]);

    // The same id + other details from the same terminal is still a conflict, and changes nothing.
    await expectConflict(tillOf(school1).pos.sale({ ...sale1, amountOre: 1_600 }));
    await expectConflict(tillOf(school2).pos.sale({ ...sale2, cardNumber: card1.cardNumber }));

    // Refund ids too: both schools refund "their" KASSE1-000042 under the same refund id.
    const refund2 = await tillOf(school2).pos.refund({ refundId: "REFUND-000001", saleId: "KASSE1-000042" });
    const refund1 = await tillOf(school1).pos.refund({ refundId: "REFUND-000001", saleId: "KASSE1-000042", amountOre: 500 });
    expect(refund2).toMatchObject({ status: "approved", amountOre: 700, balanceOre: 5_000 });
    expect(refund1).toMatchObject({ status: "approved", amountOre: 500, balanceOre: 9_000 });
    expect(await tillOf(school1).pos.refund({ refundId: "REFUND-000001", saleId: "KASSE1-000042", amountOre: 500 })).toEqual({ ...refund1, replayed: true });
    await expectConflict(tillOf(school1).pos.refund({ refundId: "REFUND-000001", saleId: "KASSE1-000042", amountOre: 400 }));
    expect((await tillOf(school1).till.salesToday()).totals).toMatchObject({ approvedOre: 1_500, refundedOre: 500 });
    expect(balanceOf(card1.accountId)).toBe(9_000);
    expect(balanceOf(card2.accountId)).toBe(5_000);
  });

  test("two tills of the same canteen may use the same id; each refunds its own, and the neighbour cannot tell them apart", async () => {
    const card = await createCard(testStore.store, school1, { balanceOre: 10_000 });
    const till2 = await anotherTerminal(school1, "same canteen");
    const till3 = await anotherTerminal(school1, "same canteen");
    await tillOf(school1).pos.sale({ saleId: "KASSE1-000007", cardNumber: card.cardNumber, amountOre: 1_000 });
    await tillOf(till2).pos.sale({ saleId: "KASSE1-000007", cardNumber: card.cardNumber, amountOre: 2_000 });
    expect(balanceOf(card.accountId)).toBe(7_000);
    expect(await tillOf(till2).pos.refund({ refundId: "REFUND-000007", saleId: "KASSE1-000007" })).toMatchObject({ status: "approved", amountOre: 2_000 });
    expect(await tillOf(till3).pos.refund({ refundId: "REFUND-000007", saleId: "KASSE1-000007" })).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null });
    expect(balanceOf(card.accountId)).toBe(9_000);
  });

  test("a refund of a sale counts against the spending limit at the sale's time, with scoped ids", async () => {
    const card = await createCard(testStore.store, school1, { balanceOre: 10_000, limits: { daily: 2_000 } });
    await tillOf(school1).pos.sale({ saleId: "KASSE1-000100", cardNumber: card.cardNumber, amountOre: 2_000 });
    expect((await tillOf(school1).pos.sale({ saleId: "KASSE1-000101", cardNumber: card.cardNumber, amountOre: 500 })).reason).toBe("limit_daily_exceeded");
    await tillOf(school1).pos.refund({ refundId: "REFUND-000100", saleId: "KASSE1-000100", amountOre: 500 });
    expect((await tillOf(school1).pos.sale({ saleId: "KASSE1-000102", cardNumber: card.cardNumber, amountOre: 500 })).status).toBe("approved");
  });
});
