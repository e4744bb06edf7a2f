// Money in and out at the service level: callbacks applied exactly once, auto top-up rules, payouts and own transfers.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../../db/tx.ts";
import { checkLedger } from "../../ledger/check.ts";
import { openAccount, postTransfer, systemAccount } from "../../ledger/ledger.ts";
import { createCanteen, createCard, createTestStore, type Fixture, type TestStore } from "../../testing/harness.ts";
import { applyPaymentOutcome, PaymentMismatchError } from "./outcomes.ts";
import { cancelAgreement, getAgreement, saveAgreement } from "./agreements.ts";
import { claimAutoTopUp } from "./auto-top-up.ts";
import { createPendingPayment } from "./records.ts";
import { decidePayout, requestPayout } from "./payouts.ts";
import { recoverInterruptedTopUps } from "./reconciliation.ts";
import { transferBetweenOwnAccounts } from "./own-transfers.ts";
import { IdempotencyConflictError } from "../pos.ts";

let testStore: TestStore;
let canteen: Fixture;
beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

const write = <T,>(fn: (tx: WriteTx) => T): Promise<T> => testStore.store.write(fn);
const balanceOf = (accountId: number) =>
  testStore.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

async function pendingDeposit(userId: number, accountId: number, amountOre: number, key: string = crypto.randomUUID()) {
  return (await write((tx) => createPendingPayment(tx, { userId, accountId, idempotencyKey: key, purpose: "deposit", amountOre, receiptEmail: "a@example.dk" }))).payment;
}

describe("card deposits", () => {
  test("a captured callback deposits once; duplicates and late declines change nothing", async () => {
    const card = await createCard(testStore.store, canteen);
    const payment = await pendingDeposit(card.userId, card.accountId, 20_000);
    const captured = { paymentId: payment.paymentId, amountOre: 20_000, status: "captured" as const, cardBrand: "Dankort", cardLast4: "0001" };
    const first = await write((tx) => applyPaymentOutcome(tx, captured));
    expect(first.changed).toBe(true);
    expect(first.transfers).toHaveLength(1);
    const again = await Promise.all([write((tx) => applyPaymentOutcome(tx, captured)), write((tx) => applyPaymentOutcome(tx, captured))]);
    expect(again.map((result) => result.changed)).toEqual([false, false]);
    const late = await write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 20_000, status: "declined", reason: "card_declined" }));
    expect(late.changed).toBe(false);
    expect(balanceOf(card.accountId)).toBe(20_000);
    expect(late.payment).toMatchObject({ status: "captured", cardLast4: "0001" });
  });

  test("a decline first, then a signed capture: the card was charged, so the money is deposited once and the change noted", async () => {
    const card = await createCard(testStore.store, canteen);
    const payment = await pendingDeposit(card.userId, card.accountId, 5_000);
    await write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 5_000, status: "declined", reason: "cancelled" }));
    const late = await write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 5_000, status: "captured" }));
    expect(late.changed).toBe(true);
    expect(late.payment).toMatchObject({ status: "captured", reason: "captured_after_declined:cancelled" });
    expect(balanceOf(card.accountId)).toBe(5_000);
  });

  test("a timeout then a late capture deposits exactly once, also when the capture is delivered twice", async () => {
    const card = await createCard(testStore.store, canteen);
    const payment = await pendingDeposit(card.userId, card.accountId, 5_000);
    await write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 5_000, status: "failed", reason: "timeout" }));
    const captured = { paymentId: payment.paymentId, amountOre: 5_000, status: "captured" as const };
    const late = await Promise.all([write((tx) => applyPaymentOutcome(tx, captured)), write((tx) => applyPaymentOutcome(tx, captured))]);
    expect(late.map((result) => result.changed).sort()).toEqual([false, true]);
    // A decline after the capture changes nothing: the money stays.
    expect((await write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 5_000, status: "declined", reason: "late" }))).changed).toBe(false);
    expect(balanceOf(card.accountId)).toBe(5_000);
    const deposits = testStore.store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE reference = ?").get(payment.paymentId));
    expect(deposits).toEqual({ n: 1 });
  });

  test("a callback for another amount or an unknown payment is refused", async () => {
    const card = await createCard(testStore.store, canteen);
    const payment = await pendingDeposit(card.userId, card.accountId, 5_000);
    await expect(write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: 500_000, status: "captured" }))).rejects.toBeInstanceOf(PaymentMismatchError);
    expect((await write((tx) => applyPaymentOutcome(tx, { paymentId: "nope", amountOre: 5_000, status: "captured" }))).changed).toBe(false);
    expect(balanceOf(card.accountId)).toBe(0);
  });

  test("the same idempotency key starts one payment; other details are a conflict", async () => {
    const card = await createCard(testStore.store, canteen);
    const first = await pendingDeposit(card.userId, card.accountId, 5_000, "key-00000001");
    const second = await pendingDeposit(card.userId, card.accountId, 5_000, "key-00000001");
    expect(second.paymentId).toBe(first.paymentId);
    await expect(pendingDeposit(card.userId, card.accountId, 6_000, "key-00000001")).rejects.toBeInstanceOf(IdempotencyConflictError);
  });
});

describe("auto top-up", () => {
  async function agreementWithCard(card: { userId: number; accountId: number }, amountOre = 10_000) {
    const setup = (await write((tx) => createPendingPayment(tx, { userId: card.userId, accountId: card.accountId, idempotencyKey: crypto.randomUUID(), purpose: "auto_top_up_setup", amountOre, receiptEmail: "a@example.dk" }))).payment;
    await write((tx) => saveAgreement(tx, card.userId, { accountId: card.accountId, amountOre, receiptEmail: "a@example.dk", setupPaymentId: setup.paymentId }));
    expect(testStore.store.read((tx) => getAgreement(tx, card.userId, card.accountId))?.status).toBe("awaiting_card");
    await write((tx) => applyPaymentOutcome(tx, { paymentId: setup.paymentId, amountOre, status: "captured", cardToken: "simtok_x.y", cardBrand: "Visa", cardLast4: "1111" }));
  }

  test("not in effect before 100 kr. has been deposited; then one claim at a time below 50 kr.", async () => {
    const card = await createCard(testStore.store, canteen);
    await agreementWithCard(card, 6_000);
    // 60 kr. deposited by the setup payment: active, but not yet in effect.
    let agreement = testStore.store.read((tx) => getAgreement(tx, card.userId, card.accountId))!;
    expect(agreement).toMatchObject({ status: "active", inEffect: false, depositedOre: 6_000, cardLast4: "1111" });
    expect(await write((tx) => claimAutoTopUp(tx, card.accountId))).toBeNull();
    const deposit = await pendingDeposit(card.userId, card.accountId, 4_000);
    await write((tx) => applyPaymentOutcome(tx, { paymentId: deposit.paymentId, amountOre: 4_000, status: "captured" }));
    agreement = testStore.store.read((tx) => getAgreement(tx, card.userId, card.accountId))!;
    expect(agreement.inEffect).toBe(true);
    // Balance 100 kr. ≥ 50 kr.: nothing to do. Spend down to 40 kr.
    expect(await write((tx) => claimAutoTopUp(tx, card.accountId))).toBeNull();
    await write((tx) => postTransfer(tx, { id: "spend-1", debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 6_000, kind: "sale" }));
    const claims = await Promise.all(Array.from({ length: 20 }, () => write((tx) => claimAutoTopUp(tx, card.accountId))));
    const claimed = claims.filter((claim) => claim !== null);
    expect(claimed).toHaveLength(1);
    const result = await write((tx) => applyPaymentOutcome(tx, { paymentId: claimed[0]!.paymentId, amountOre: 6_000, status: "captured" }));
    expect(result.autoTopUpResult).toMatchObject({ status: "captured", balanceOre: 10_000, agreementPaused: false });
    expect(balanceOf(card.accountId)).toBe(10_000);
  });

  test("repeated failures pause the agreement; a cancel forgets the card", async () => {
    const card = await createCard(testStore.store, canteen);
    await agreementWithCard(card, 10_000);
    await write((tx) => postTransfer(tx, { id: "spend-2", debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 9_000, kind: "sale" }));
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const claim = await write((tx) => claimAutoTopUp(tx, card.accountId));
      expect(claim).not.toBeNull();
      const result = await write((tx) => applyPaymentOutcome(tx, { paymentId: claim!.paymentId, amountOre: 10_000, status: "declined", reason: "card_declined" }));
      expect(result.autoTopUpResult?.agreementPaused).toBe(attempt === 3);
    }
    expect(testStore.store.read((tx) => getAgreement(tx, card.userId, card.accountId))?.status).toBe("paused");
    expect(await write((tx) => claimAutoTopUp(tx, card.accountId))).toBeNull();
    expect(await write((tx) => cancelAgreement(tx, card.userId, card.accountId))).toEqual({ cardToken: expect.any(String) });
    expect(testStore.store.read((tx) => tx.sqlite.query("SELECT card_token FROM auto_top_up_agreements").get())).toEqual({ card_token: null });
    expect(balanceOf(card.accountId)).toBe(1_000);
  });

  test("a top-up interrupted by a crash is failed and the account freed", async () => {
    const card = await createCard(testStore.store, canteen);
    await agreementWithCard(card, 10_000);
    await write((tx) => postTransfer(tx, { id: "spend-3", debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 9_000, kind: "sale" }));
    const claim = await write((tx) => claimAutoTopUp(tx, card.accountId));
    expect(claim).not.toBeNull();
    expect(await write((tx) => recoverInterruptedTopUps(tx, 0, Date.now() + 1))).toBe(1);
    const next = await write((tx) => claimAutoTopUp(tx, card.accountId));
    expect(next).not.toBeNull();
    // The interrupted charge did go through after all: its capture is deposited, and the new top-up stays in flight.
    const late = await write((tx) => applyPaymentOutcome(tx, { paymentId: claim!.paymentId, amountOre: 10_000, status: "captured" }));
    expect(late.changed).toBe(true);
    expect(balanceOf(card.accountId)).toBe(11_000);
    expect(testStore.store.read((tx) => tx.sqlite.query("SELECT in_flight_payment_id AS id FROM auto_top_up_agreements").get())).toEqual({ id: next!.paymentId });
  });
});

describe("payouts and transfers", () => {
  const payout = { name: "Testbruger", registrationNumber: "1234", bankAccountNumber: "0012345678", message: "Tak", idempotencyKey: "payout-00001" };

  test("a payout moves the money to clearing at once; rejecting returns it once", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const result = await write((tx) => requestPayout(tx, card.userId, { ...payout, accountId: card.accountId, amountOre: 7_000 }));
    expect(result).toMatchObject({ ok: true, payout: { status: "pending", bankAccountNumberMasked: "••••••5678" } });
    expect(balanceOf(card.accountId)).toBe(3_000);
    expect(await write((tx) => requestPayout(tx, card.userId, { ...payout, accountId: card.accountId, amountOre: 7_000 }))).toMatchObject({ ok: true });
    expect(balanceOf(card.accountId)).toBe(3_000);
    // The same key with any other detail is another request, not a replay: the stored one would be paid elsewhere.
    for (const change of [{ registrationNumber: "9999" }, { name: "En anden" }, { message: "Anden besked" }, { message: undefined }]) {
      await expect(write((tx) => requestPayout(tx, card.userId, { ...payout, ...change, accountId: card.accountId, amountOre: 7_000 }))).rejects.toBeInstanceOf(IdempotencyConflictError);
    }
    expect(await write((tx) => requestPayout(tx, card.userId, { ...payout, idempotencyKey: "payout-00002", accountId: card.accountId, amountOre: 3_001 }))).toEqual({ ok: false, reason: "insufficient_funds" });
    const payoutId = (result as { ok: true; payout: { payoutId: number } }).payout.payoutId;
    await write((tx) => decidePayout(tx, payoutId, { status: "rejected", reason: "Forkert kontonummer" }));
    await write((tx) => decidePayout(tx, payoutId, { status: "rejected", reason: "again" }));
    await write((tx) => decidePayout(tx, payoutId, { status: "paid" }));
    expect(balanceOf(card.accountId)).toBe(10_000);
    const clearing = await write((tx) => systemAccount(tx, "payout_clearing"));
    expect(balanceOf(clearing)).toBe(0);
  });

  test("a paid payout leaves payout clearing for the bank-payout account once, so clearing holds only what is pending", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const clearing = await write((tx) => systemAccount(tx, "payout_clearing"));
    const bank = await write((tx) => systemAccount(tx, "bank_payouts"));
    const clearingBefore = balanceOf(clearing);
    const bankBefore = balanceOf(bank);
    const first = await write((tx) => requestPayout(tx, card.userId, { ...payout, idempotencyKey: "payout-paid-1", accountId: card.accountId, amountOre: 4_000 }));
    const second = await write((tx) => requestPayout(tx, card.userId, { ...payout, idempotencyKey: "payout-paid-2", accountId: card.accountId, amountOre: 1_500 }));
    expect(balanceOf(clearing) - clearingBefore).toBe(5_500);
    const firstId = (first as { ok: true; payout: { payoutId: number } }).payout.payoutId;
    const paid = await write((tx) => decidePayout(tx, firstId, { status: "paid" }));
    expect(paid?.transfers).toHaveLength(1);
    // Deciding again changes nothing: no second settlement, no return.
    expect((await write((tx) => decidePayout(tx, firstId, { status: "paid" })))?.transfers).toEqual([]);
    expect((await write((tx) => decidePayout(tx, firstId, { status: "rejected", reason: "for sent" })))?.transfers).toEqual([]);
    expect(balanceOf(clearing) - clearingBefore).toBe(1_500);
    expect(balanceOf(bank) - bankBefore).toBe(4_000);
    expect(balanceOf(card.accountId)).toBe(4_500);
    const secondId = (second as { ok: true; payout: { payoutId: number } }).payout.payoutId;
    await write((tx) => decidePayout(tx, secondId, { status: "rejected", reason: "Forkert konto" }));
    expect(balanceOf(clearing)).toBe(clearingBefore);
    expect(balanceOf(card.accountId)).toBe(6_000);
  });

  test("nobody can pay out or transfer from another user's account", async () => {
    const mine = await createCard(testStore.store, canteen, { balanceOre: 5_000 });
    const theirs = await createCard(testStore.store, canteen, { balanceOre: 5_000 });
    expect(await write((tx) => requestPayout(tx, mine.userId, { ...payout, accountId: theirs.accountId, amountOre: 100 }))).toEqual({ ok: false, reason: "account_not_found" });
    expect(await write((tx) => transferBetweenOwnAccounts(tx, mine.userId, { fromAccountId: theirs.accountId, toAccountId: mine.accountId, amountOre: 100, idempotencyKey: "t-0000001" }))).toEqual({
      ok: false,
      reason: "account_not_found",
    });
    expect(balanceOf(theirs.accountId)).toBe(5_000);
  });

  test("transfers between own accounts are idempotent and never overdraw", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 5_000 });
    const second = await write((tx) => openAccount(tx, { kind: "cardholder", name: "Opsparing", ownerUserId: card.userId }));
    const request = { fromAccountId: card.accountId, toAccountId: second, amountOre: 2_000, idempotencyKey: "own-000001" };
    expect(await write((tx) => transferBetweenOwnAccounts(tx, card.userId, request))).toMatchObject({ ok: true, replayed: false });
    expect(await write((tx) => transferBetweenOwnAccounts(tx, card.userId, request))).toMatchObject({ ok: true, replayed: true });
    expect(await write((tx) => transferBetweenOwnAccounts(tx, card.userId, { ...request, idempotencyKey: "own-000002", amountOre: 3_001 }))).toEqual({ ok: false, reason: "insufficient_funds" });
    expect(balanceOf(card.accountId)).toBe(3_000);
    expect(balanceOf(second)).toBe(2_000);
  });
});
