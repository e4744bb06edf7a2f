// pos.sale / pos.refund / pos.balance through createCaller with a real store: every decline reason, bad input, keys.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { TRPCError } from "@trpc/server";
import { callerFor, createCanteen, createCard, createTestStore, servicesFor, tableCounts, type Fixture, type TestStore } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import type { AppServices } from "../trpc.ts";

let testStore: TestStore;
let services: AppServices;
let canteen: Fixture;

beforeEach(async () => {
  testStore = await createTestStore();
  services = servicesFor(testStore.store, { maxSaleOre: 50_000 });
  canteen = await createCanteen(testStore.store);
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

const till = () => callerFor(services, { authorization: `Bearer ${canteen.terminalKey}` });
let saleCounter = 0;
const saleId = () => `sale-${++saleCounter}-${crypto.randomUUID()}`;
const balanceOf = (accountId: number) =>
  testStore.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

async function expectTrpcError(promise: Promise<unknown>, code: TRPCError["code"], message?: RegExp) {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  if (message) expect((error as TRPCError).message).toMatch(message);
}

describe("pos.sale", () => {
  test("approves, debits the card, credits the canteen, and a retry never charges twice", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const id = saleId();
    const input = { saleId: id, cardNumber: card.cardNumber, amountOre: 3_500, items: [{ name: "Dagens ret", quantity: 1, unitPriceOre: 3_500 }] };
    const first = await till().pos.sale(input);
    expect(first).toEqual({ saleId: id, status: "approved", amountOre: 3_500, balanceOre: 6_500, replayed: false });
    for (let retry = 0; retry < 3; retry += 1) expect(await till().pos.sale(input)).toEqual({ ...first, replayed: true });
    expect(balanceOf(card.accountId)).toBe(6_500);
    expect(balanceOf(canteen.revenueAccountId)).toBe(3_500);
    const statement = testStore.store.read((tx) => tx.sqlite.query("SELECT description FROM transfers WHERE kind = 'sale'").all());
    expect(statement).toEqual([{ description: "Kantinen: Dagens ret" }]);
  });

  test("a reused sale id with other details is a conflict", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const id = saleId();
    await till().pos.sale({ saleId: id, cardNumber: card.cardNumber, amountOre: 100 });
    await expectTrpcError(till().pos.sale({ saleId: id, cardNumber: card.cardNumber, amountOre: 200 }), "CONFLICT");
    expect(balanceOf(card.accountId)).toBe(9_900);
  });

  test.each([
    ["card_unknown", {}, "99999999999999"],
    ["card_blocked", { status: "blocked" as const, balanceOre: 10_000 }, null],
    ["amount_over_sale_maximum", { balanceOre: 100_000 }, null, 50_001],
    ["limit_daily_exceeded", { balanceOre: 10_000, limits: { daily: 3_000 } }, null],
    ["limit_weekly_exceeded", { balanceOre: 10_000, limits: { weekly: 3_000 } }, null],
    ["limit_monthly_exceeded", { balanceOre: 10_000, limits: { monthly: 3_000 } }, null],
    ["insufficient_funds", { balanceOre: 3_000 }, null],
  ] as const)("declines with %s, stores the decline and moves no money", async (reason, cardOptions, cardNumberOverride, amount: number = 3_500) => {
    const card = await createCard(testStore.store, canteen, cardOptions);
    const balanceBefore = balanceOf(card.accountId);
    const input = { saleId: saleId(), cardNumber: cardNumberOverride ?? card.cardNumber, amountOre: amount };
    const result = await till().pos.sale(input);
    expect(result.status).toBe("declined");
    expect(result.reason).toBe(reason);
    expect(result.message?.da.length).toBeGreaterThan(3);
    expect(result.message?.en.length).toBeGreaterThan(3);
    expect(balanceOf(card.accountId)).toBe(balanceBefore);
    expect(balanceOf(canteen.revenueAccountId)).toBe(0);
    // The decline is the stored answer for this sale id.
    expect(await till().pos.sale(input)).toEqual({ ...result, replayed: true });
  });

  test("checks run in a fixed precedence: a blocked card is reported as blocked even when it cannot pay", async () => {
    const card = await createCard(testStore.store, canteen, { status: "blocked", balanceOre: 0, limits: { daily: 1 } });
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: card.cardNumber, amountOre: 60_000 })).reason).toBe("card_blocked");
    const active = await createCard(testStore.store, canteen, { balanceOre: 0, limits: { daily: 1 } });
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: active.cardNumber, amountOre: 60_000 })).reason).toBe("amount_over_sale_maximum");
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: active.cardNumber, amountOre: 500 })).reason).toBe("limit_daily_exceeded");
  });

  test("spending limits count earlier sales and subtract refunds", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 20_000, limits: { daily: 5_000 } });
    const first = saleId();
    expect((await till().pos.sale({ saleId: first, cardNumber: card.cardNumber, amountOre: 4_000 })).status).toBe("approved");
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: card.cardNumber, amountOre: 1_500 })).reason).toBe("limit_daily_exceeded");
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: card.cardNumber, amountOre: 1_000 })).status).toBe("approved");
    await till().pos.refund({ refundId: `refund-${first}`, saleId: first, amountOre: 2_000 });
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: card.cardNumber, amountOre: 2_000 })).status).toBe("approved");
  });

  test("a card of another tenant is unknown to this terminal", async () => {
    const otherCanteen = await createCanteen(testStore.store, "Anden kantine");
    const foreign = await createCard(testStore.store, otherCanteen, { balanceOre: 10_000 });
    expect((await till().pos.sale({ saleId: saleId(), cardNumber: foreign.cardNumber, amountOre: 100 })).reason).toBe("card_unknown");
    expect(await till().pos.balance({ cardNumber: foreign.cardNumber })).toEqual({ cardNumber: foreign.cardNumber, status: "unknown", balanceOre: null });
  });

  test.each([
    ["negative amount", { amountOre: -100 }, /amountOre/],
    ["zero amount", { amountOre: 0 }, /amountOre: Amount must be at least 1/],
    ["fractional amount", { amountOre: 10.5 }, /whole number/],
    ["huge amount", { amountOre: 1e15 }, /at most/],
    ["amount as text", { amountOre: "100" }, /amountOre/],
    ["malformed card number", { cardNumber: "1234-abc" }, /cardNumber/],
    ["short card number", { cardNumber: "123" }, /cardNumber/],
    ["missing sale id", { saleId: undefined }, /saleId/],
    ["sale id with odd characters", { saleId: "'; DROP TABLE sales; --" }, /saleId/],
    ["unknown field", { extra: 1 }, /extra|Unrecognized/i],
    ["items that do not add up", { items: [{ name: "Kaffe", quantity: 1, unitPriceOre: 1 }] }, /items/],
  ])("bad input (%s) is a clear BAD_REQUEST and writes nothing", async (_label, change, message) => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const before = tableCounts(testStore.store);
    const input = { saleId: saleId(), cardNumber: card.cardNumber, amountOre: 500, ...change } as any;
    await expectTrpcError(till().pos.sale(input), "BAD_REQUEST", message);
    expect(tableCounts(testStore.store)).toEqual(before);
  });

  test("missing, malformed, wrong and revoked keys are refused before anything else", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const before = tableCounts(testStore.store);
    const input = { saleId: saleId(), cardNumber: card.cardNumber, amountOre: 500 };
    await expectTrpcError(callerFor(services).pos.sale(input), "UNAUTHORIZED", /Missing terminal key/);
    await expectTrpcError(callerFor(services, { authorization: canteen.terminalKey }).pos.sale(input), "UNAUTHORIZED");
    await expectTrpcError(callerFor(services, { authorization: "Bearer not-the-key" }).pos.sale(input), "UNAUTHORIZED", /Unknown or revoked/);
    // Bad input with a bad key is still an authorization error: the key is checked first.
    await expectTrpcError(callerFor(services, { authorization: "Bearer not-the-key" }).pos.sale({ ...input, amountOre: -1 }), "UNAUTHORIZED");
    await testStore.store.write((tx) => tx.sqlite.run(`UPDATE terminals SET revoked_at = 1 WHERE id = ${canteen.terminalId}`));
    await expectTrpcError(till().pos.sale(input), "UNAUTHORIZED", /Unknown or revoked/);
    expect(tableCounts(testStore.store)).toEqual(before);
  });
});

describe("pos.refund", () => {
  test("full and partial refunds, never more than the sale, idempotent by refund id", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const sale = saleId();
    await till().pos.sale({ saleId: sale, cardNumber: card.cardNumber, amountOre: 4_000 });
    const partial = await till().pos.refund({ refundId: "refund-0001", saleId: sale, amountOre: 1_500 });
    expect(partial).toMatchObject({ status: "approved", amountOre: 1_500, balanceOre: 7_500, replayed: false });
    expect(await till().pos.refund({ refundId: "refund-0001", saleId: sale, amountOre: 1_500 })).toMatchObject({ status: "approved", replayed: true });
    await expectTrpcError(till().pos.refund({ refundId: "refund-0001", saleId: sale, amountOre: 1_000 }), "CONFLICT");
    expect((await till().pos.refund({ refundId: "refund-0002", saleId: sale, amountOre: 3_000 })).reason).toBe("refund_exceeds_sale");
    const rest = await till().pos.refund({ refundId: "refund-0003", saleId: sale });
    expect(rest).toMatchObject({ status: "approved", amountOre: 2_500, balanceOre: 10_000 });
    expect((await till().pos.refund({ refundId: "refund-0004", saleId: sale })).reason).toBe("already_refunded");
    expect(balanceOf(card.accountId)).toBe(10_000);
    expect(balanceOf(canteen.revenueAccountId)).toBe(0);
  });

  test("a replayed declined refund equals the original answer, and the same id with another amount is a conflict", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const sale = saleId();
    await till().pos.sale({ saleId: sale, cardNumber: card.cardNumber, amountOre: 4_000 });
    const declined = await till().pos.refund({ refundId: "refund-2001", saleId: sale, amountOre: 5_000 });
    expect(declined).toMatchObject({ status: "declined", reason: "refund_exceeds_sale", balanceOre: 6_000, replayed: false });
    expect(await till().pos.refund({ refundId: "refund-2001", saleId: sale, amountOre: 5_000 })).toEqual({ ...declined, replayed: true });
    await expectTrpcError(till().pos.refund({ refundId: "refund-2001", saleId: sale, amountOre: 1_000 }), "CONFLICT");
    await expectTrpcError(till().pos.refund({ refundId: "refund-2001", saleId: sale }), "CONFLICT");
    // "The rest" is a request of its own: replayed as such, and not the same request as its amount spelled out.
    const rest = await till().pos.refund({ refundId: "refund-2002", saleId: sale });
    expect(rest).toEqual({ refundId: "refund-2002", saleId: sale, status: "approved", amountOre: 4_000, balanceOre: 10_000, replayed: false });
    expect(await till().pos.refund({ refundId: "refund-2002", saleId: sale })).toEqual({ ...rest, replayed: true });
    await expectTrpcError(till().pos.refund({ refundId: "refund-2002", saleId: sale, amountOre: 4_000 }), "CONFLICT");
    expect(balanceOf(card.accountId)).toBe(10_000);
  });

  test("unknown, declined and other canteens' sales cannot be refunded", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 100 });
    const declined = saleId();
    await till().pos.sale({ saleId: declined, cardNumber: card.cardNumber, amountOre: 5_000 });
    expect((await till().pos.refund({ refundId: "refund-1001", saleId: declined })).reason).toBe("sale_not_found");
    expect((await till().pos.refund({ refundId: "refund-1002", saleId: "no-such-sale" })).reason).toBe("sale_not_found");
    const other = await createCanteen(testStore.store, "Anden");
    const otherCard = await createCard(testStore.store, other, { balanceOre: 1_000 });
    const otherSale = saleId();
    await callerFor(services, { authorization: `Bearer ${other.terminalKey}` }).pos.sale({ saleId: otherSale, cardNumber: otherCard.cardNumber, amountOre: 500 });
    expect((await till().pos.refund({ refundId: "refund-1003", saleId: otherSale })).reason).toBe("sale_not_found");
    expect(balanceOf(otherCard.accountId)).toBe(500);
  });
});

describe("pos.balance", () => {
  test("shows the card's status and balance for the till's display", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 1_234, status: "blocked" });
    expect(await till().pos.balance({ cardNumber: card.cardNumber })).toEqual({ cardNumber: card.cardNumber, status: "blocked", balanceOre: 1_234 });
    await expectTrpcError(till().pos.balance({ cardNumber: "x" }), "BAD_REQUEST");
  });
});
