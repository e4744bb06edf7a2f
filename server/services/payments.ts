// Money in and out: card deposits via the acquirer, automatic top-up, payouts and transfers between own accounts.
import { sql } from "kysely";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { PaymentPurpose, PaymentStatus } from "../../db/schema.ts";
import { AUTO_TOP_UP_MAX_FAILURES, AUTO_TOP_UP_MIN_DEPOSITED_ORE, AUTO_TOP_UP_THRESHOLD_ORE } from "../../common/payments.ts";
import type { PaymentOutcome, PaymentReference } from "../payments/acquirer.ts";
import { getBalance, postSystemTransfer, postTransfer, systemAccount, type Transfer } from "../ledger/ledger.ts";
import { IdempotencyConflictError } from "./pos.ts";
import { actableAccount } from "./access.ts";
import { log } from "../ops/logger.ts";
import { recordPayment } from "../ops/record.ts";

export type { PaymentPurpose, PaymentStatus };
import type { AutoTopUpResult } from "../events/types.ts";

export type { AutoTopUpResult };

/**
 * A payment's result as applied to the ledger: which payment, the amount the acquirer reports, and the outcome.
 * "failed" with reason "timeout" or "interrupted" means the outcome is unknown: the card may still have been charged,
 * so such a payment stays settleable by a later verified capture (see applyPaymentOutcome).
 */
export type PaymentResult = { paymentId: string; amountOre: number } & PaymentOutcome;

export interface Payment {
  paymentId: string;
  userId: number;
  accountId: number;
  purpose: PaymentPurpose;
  amountOre: number;
  receiptEmail: string | null;
  status: PaymentStatus;
  reason: string | null;
  redirectUrl: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  createdAt: number;
  /** The order id the acquirer sees (null on payments from before order ids). */
  orderId: string | null;
  acquirerRef: string | null;
  checkedAt: number | null;
}

const paymentColumns = [
  "id",
  "user_id",
  "account_id",
  "idempotency_key",
  "purpose",
  "amount_ore",
  "receipt_email",
  "status",
  "reason",
  "redirect_url",
  "card_brand",
  "card_last4",
  "created_at",
  "order_id",
  "acquirer_ref",
  "checked_at",
] as const;

const selectPayments = () => db.selectFrom("payments").select(paymentColumns);
type PaymentRow = NonNullable<ReturnType<typeof firstPayment>>;
const firstPayment = (tx: Tx, query: ReturnType<typeof selectPayments>) => tx.first(query);

function toPayment(row: PaymentRow): Payment {
  return {
    paymentId: row.id,
    userId: row.user_id,
    accountId: row.account_id,
    purpose: row.purpose,
    amountOre: row.amount_ore,
    receiptEmail: row.receipt_email,
    status: row.status,
    reason: row.reason,
    redirectUrl: row.redirect_url,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    createdAt: row.created_at,
    orderId: row.order_id,
    acquirerRef: row.acquirer_ref,
    checkedAt: row.checked_at,
  };
}

export function findPayment(tx: Tx, paymentId: string): Payment | null {
  const row = firstPayment(tx, selectPayments().where("id", "=", paymentId));
  return row ? toPayment(row) : null;
}

/** The payment a callback names: by our id (the simulator) or by the order id we gave the acquirer (QuickPay). */
export function findPaymentByReference(tx: Tx, ref: PaymentReference): Payment | null {
  const row = firstPayment(tx, "paymentId" in ref ? selectPayments().where("id", "=", ref.paymentId) : selectPayments().where("order_id", "=", ref.orderId));
  return row ? toPayment(row) : null;
}

export interface NewPayment {
  userId: number;
  accountId: number;
  idempotencyKey: string;
  purpose: PaymentPurpose;
  amountOre: number;
  receiptEmail: string | null;
}

const ORDER_PREFIX: Record<PaymentPurpose, string> = { deposit: "kp", auto_top_up_setup: "ka", auto_top_up: "kt" };
const ORDER_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * A new order id: a purpose prefix and 16 random base-36 characters (about 82 bits), 18 characters in all, so an
 * adapter can still add one character for a second order of the same payment (QuickPay's subscription). The unique
 * index on payments.order_id stops the (astronomically unlikely) repeat.
 */
export function newOrderId(purpose: PaymentPurpose): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let id = ORDER_PREFIX[purpose];
  for (const byte of bytes) id += ORDER_ALPHABET[byte % 36];
  return id;
}

/** Creates a pending payment, or returns the one this idempotency key already started (same fields required). */
/** Unpaid hosted payments (Indbetal, Auto-optank setup) a user may have open at once within OPEN_PAYMENT_WINDOW_MS. */
export const MAX_OPEN_PAYMENTS_PER_USER = 3;
export const OPEN_PAYMENT_WINDOW_MS = 60 * 60_000;

/**
 * Whether the user may open another hosted payment: a repeated request (same idempotency key) always may; a new one
 * only while fewer than MAX_OPEN_PAYMENTS_PER_USER of the last hour are still unpaid, so a script cannot fill the
 * payments table (3,000 unpaid deposits in 7.6 s before).
 */
export function mayOpenPayment(tx: Tx, userId: number, idempotencyKey: string, nowMs: number = Date.now()): boolean {
  if (firstPayment(tx, selectPayments().where("user_id", "=", userId).where("idempotency_key", "=", idempotencyKey))) return true;
  const open = tx.first(
    db
      .selectFrom("payments")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .where("status", "=", "pending")
      .where("purpose", "in", ["deposit", "auto_top_up_setup"])
      .where("created_at", ">", nowMs - OPEN_PAYMENT_WINDOW_MS),
  )!.n;
  return open < MAX_OPEN_PAYMENTS_PER_USER;
}

export function createPendingPayment(tx: WriteTx, payment: NewPayment, nowMs: number = Date.now()): { payment: Payment; created: boolean } {
  const existing = firstPayment(tx, selectPayments().where("user_id", "=", payment.userId).where("idempotency_key", "=", payment.idempotencyKey));
  if (existing) {
    if (existing.account_id !== payment.accountId || existing.amount_ore !== payment.amountOre || existing.purpose !== payment.purpose) {
      throw new IdempotencyConflictError("this payment request was already made with other details");
    }
    return { payment: toPayment(existing), created: false };
  }
  const id = crypto.randomUUID();
  tx.run(
    db.insertInto("payments").values({
      id,
      user_id: payment.userId,
      account_id: payment.accountId,
      idempotency_key: payment.idempotencyKey,
      purpose: payment.purpose,
      amount_ore: payment.amountOre,
      receipt_email: payment.receiptEmail,
      status: "pending",
      order_id: newOrderId(payment.purpose),
      created_at: nowMs,
      updated_at: nowMs,
    }),
  );
  return { payment: findPayment(tx, id)!, created: true };
}

export function recordRedirect(tx: WriteTx, paymentId: string, redirectUrl: string, acquirerRef: string | null = null): void {
  tx.run(
    db
      .updateTable("payments")
      .set((eb) => ({ redirect_url: redirectUrl, acquirer_ref: acquirerRef ?? eb.ref("acquirer_ref") }))
      .where("id", "=", paymentId),
  );
}

/** Remembers the acquirer's id for a payment (a pending recurring charge), so a lost result can be read back by it. */
export function recordAcquirerRef(tx: WriteTx, paymentId: string, acquirerRef: string): void {
  tx.run(db.updateTable("payments").set({ acquirer_ref: acquirerRef }).where("id", "=", paymentId).where("acquirer_ref", "is", null));
}


export interface OutcomeApplied {
  /** False for duplicates and for results after a final one; only a late capture still changes a non-captured payment. */
  changed: boolean;
  payment: Payment | null;
  transfers: Transfer[];
  autoTopUpResult: AutoTopUpResult | null;
}

export class PaymentMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentMismatchError";
  }
}

/**
 * Applies a verified acquirer result exactly once. A pending payment takes any result. A verified capture is applied to
 * every payment not yet captured — also one we recorded as failed, declined or cancelled — because a capture means the
 * card was charged and the cardholder must get the money. It posts one transfer (acquirer clearing → card account)
 * whose id is derived from the payment id, so even a bug upstream could not deposit twice. A capture of another
 * amount than ours is refused (PaymentMismatchError): what is credited must equal what was captured.
 */
export function applyPaymentOutcome(tx: WriteTx, event: PaymentResult, nowMs: number = Date.now()): OutcomeApplied {
  const payment = findPayment(tx, event.paymentId);
  if (!payment) return { changed: false, payment: null, transfers: [], autoTopUpResult: null };
  if (payment.amountOre !== event.amountOre) {
    throw new PaymentMismatchError(`payment ${payment.paymentId}: callback amount ${event.amountOre} ≠ ${payment.amountOre}`);
  }
  if (payment.status === "captured") return { changed: false, payment, transfers: [], autoTopUpResult: null };
  if (payment.status !== "pending" && event.status !== "captured") return { changed: false, payment, transfers: [], autoTopUpResult: null };
  const late = payment.status !== "pending";

  const transfers: Transfer[] = [];
  if (event.status === "captured") {
    const posted = postSystemTransfer(
      tx,
      {
        id: `payment:${payment.paymentId}`,
        debitAccountId: systemAccount(tx, "acquirer_clearing", nowMs),
        creditAccountId: payment.accountId,
        amountOre: payment.amountOre,
        kind: payment.purpose === "auto_top_up" ? "auto_top_up" : "deposit",
        reference: payment.paymentId,
        description: payment.purpose === "auto_top_up" ? "Auto-optankning" : "Indbetaling",
      },
      nowMs,
    );
    transfers.push(posted);
    // A late capture keeps a note of what we had recorded before, so the back office can see why it changed.
    const note = late ? `captured_after_${payment.status}:${payment.reason ?? ""}`.slice(0, 200) : null;
    if (late) log.warn({ paymentId: payment.paymentId, recorded: payment.status, reason: payment.reason }, "payment capture arrived after it was recorded as failed or declined; deposited");
    tx.run(
      db
        .updateTable("payments")
        .set({ status: "captured", reason: note, transfer_id: posted.id, card_brand: event.cardBrand ?? null, card_last4: event.cardLast4 ?? null, updated_at: nowMs })
        .where("id", "=", payment.paymentId),
    );
    if (payment.purpose === "auto_top_up_setup" && event.cardToken) {
      activateAgreement(tx, payment.paymentId, { cardToken: event.cardToken, cardBrand: event.cardBrand ?? null, cardLast4: event.cardLast4 ?? null }, nowMs);
    }
  } else {
    tx.run(db.updateTable("payments").set({ status: event.status, reason: event.reason, updated_at: nowMs }).where("id", "=", payment.paymentId));
  }

  // A late capture's top-up was already finished (result recorded, account freed); the deposit itself is what was owed.
  let autoTopUpResult: AutoTopUpResult | null = null;
  if (payment.purpose === "auto_top_up" && !late) autoTopUpResult = finishAutoTopUp(tx, payment, event, nowMs);
  recordPayment(payment.purpose, late ? "captured_late" : event.status);
  return { changed: true, payment: findPayment(tx, payment.paymentId), transfers, autoTopUpResult };
}

function activateAgreement(tx: WriteTx, setupPaymentId: string, card: { cardToken: string; cardBrand: string | null; cardLast4: string | null }, nowMs: number): boolean {
  return (
    tx.run(
      db
        .updateTable("auto_top_up_agreements")
        .set({ card_token: card.cardToken, card_brand: card.cardBrand, card_last4: card.cardLast4, status: "active", consecutive_failures: 0, updated_at: nowMs })
        .where("setup_payment_id", "=", setupPaymentId)
        .where("status", "=", "awaiting_card"),
    ).changes === 1
  );
}

/** The first charge of an Auto-optank whose card was saved without moving money (a QuickPay subscription). */
export interface SetupCharge {
  paymentId: string;
  orderId: string;
  userId: number;
  accountId: number;
  amountOre: number;
  cardToken: string;
}

/**
 * A verified "card saved" for a setup payment: the agreement becomes active with the token. Saving moved no money,
 * so the setup amount is still to be charged: returned once (the first time) for a recurring charge, whose own
 * capture is what gets credited. A repeated message changes nothing and returns null.
 */
export function saveCardForSetup(
  tx: WriteTx,
  ref: PaymentReference,
  card: { cardToken: string; cardBrand?: string | undefined; cardLast4?: string | undefined },
  nowMs: number = Date.now(),
): { payment: Payment | null; charge: SetupCharge | null } {
  const payment = findPaymentByReference(tx, ref);
  if (!payment || payment.purpose !== "auto_top_up_setup") return { payment, charge: null };
  const activated = activateAgreement(tx, payment.paymentId, { cardToken: card.cardToken, cardBrand: card.cardBrand ?? null, cardLast4: card.cardLast4 ?? null }, nowMs);
  if (!activated || payment.status !== "pending" || !payment.orderId) return { payment, charge: null };
  tx.run(db.updateTable("payments").set({ card_brand: card.cardBrand ?? null, card_last4: card.cardLast4 ?? null, updated_at: nowMs }).where("id", "=", payment.paymentId));
  return {
    payment,
    charge: { paymentId: payment.paymentId, orderId: payment.orderId, userId: payment.userId, accountId: payment.accountId, amountOre: payment.amountOre, cardToken: card.cardToken },
  };
}

/**
 * Refusals that no retry can fix without the payer: the card needs them present (3-D Secure), the saved card is gone,
 * or it was a test card. The agreement is paused at once, so the next sale does not try again.
 */
export const FINAL_TOP_UP_REASONS: ReadonlySet<string> = new Set(["authentication_required", "card_not_found", "subscription_not_usable", "test_mode_refused"]);

function finishAutoTopUp(tx: WriteTx, payment: Payment, event: PaymentResult, nowMs: number): AutoTopUpResult {
  const agreement = tx.first(db.selectFrom("auto_top_up_agreements").select(["id", "consecutive_failures"]).where("account_id", "=", payment.accountId));
  let paused = false;
  if (agreement) {
    const failures = event.status === "captured" ? 0 : agreement.consecutive_failures + 1;
    paused = failures >= AUTO_TOP_UP_MAX_FAILURES || (event.status !== "captured" && FINAL_TOP_UP_REASONS.has(event.reason));
    tx.run(
      db
        .updateTable("auto_top_up_agreements")
        .set((eb) => ({
          in_flight_payment_id: eb.case().when("in_flight_payment_id", "=", payment.paymentId).then(null).else(eb.ref("in_flight_payment_id")).end(),
          consecutive_failures: failures,
          status: paused ? eb.case().when("status", "=", "active").then("paused" as const).else(eb.ref("status")).end() : eb.ref("status"),
          updated_at: nowMs,
        }))
        .where("id", "=", agreement.id),
    );
  }
  const balanceOre = getBalance(tx, payment.accountId) ?? 0;
  const reason = event.status === "captured" ? null : event.reason;
  const seq = tx.run(
    db.insertInto("auto_top_up_results").values({
      user_id: payment.userId,
      account_id: payment.accountId,
      payment_id: payment.paymentId,
      status: event.status,
      reason,
      amount_ore: payment.amountOre,
      balance_after_ore: balanceOre,
      agreement_paused: paused ? 1 : 0,
      created_at: nowMs,
    }),
  ).lastInsertRowid;
  return {
    seq,
    userId: payment.userId,
    accountId: payment.accountId,
    paymentId: payment.paymentId,
    status: event.status,
    reason,
    amountOre: payment.amountOre,
    balanceOre,
    agreementPaused: paused,
    createdAt: nowMs,
  };
}

/** Total deposited on an account by card (deposits and earlier top-ups): the agreement needs 100 kr. first. */
export function depositedTotal(tx: Tx, accountId: number): number {
  const row = tx.first(
    db
      .selectFrom("transfers")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount_ore"), sql<number>`0`).as("total"))
      .where("credit_account_id", "=", accountId)
      .where("kind", "in", ["deposit", "auto_top_up"]),
  );
  return Number(row?.total ?? 0);
}

export interface ClaimedTopUp {
  paymentId: string;
  orderId: string;
  userId: number;
  accountId: number;
  amountOre: number;
  cardToken: string;
  receiptEmail: string;
}

const dueAgreement = () =>
  db
    .selectFrom("auto_top_up_agreements as g")
    .innerJoin("ledger_accounts as a", "a.id", "g.account_id")
    .where("g.status", "=", "active")
    .where("g.card_token", "is not", null)
    .where("g.in_flight_payment_id", "is", null);

/**
 * A cheap check on the read connection, so a sale on an account without a due agreement (nearly all of them) does
 * not queue a write transaction. claimAutoTopUp decides for real, inside the write.
 */
export function autoTopUpMayBeDue(tx: Tx, accountId: number): boolean {
  return agreementMayBeDue.first(tx, { accountId }) !== undefined;
}

/** Compiled once: it runs after every sale that leaves a balance under the threshold. */
const agreementMayBeDue = prepared<{ accountId: number }>()((p) =>
  dueAgreement().select("g.id").where("g.account_id", "=", p.accountId).where("a.balance_ore", "<", AUTO_TOP_UP_THRESHOLD_ORE),
);

/** Whether an Auto-optank agreement is running on the account (then no low-balance alert is needed). */
export function autoTopUpRunning(tx: Tx, accountId: number): boolean {
  return tx.first(db.selectFrom("auto_top_up_agreements").select("id").where("account_id", "=", accountId).where("status", "=", "active").where("card_token", "is not", null)) !== undefined;
}

/**
 * Starts a top-up if the rule says so: an active agreement with a saved card, at least 100 kr. deposited, the
 * balance below 50 kr., and no top-up already in flight (the claim and the in-flight mark are one transaction).
 */
export function claimAutoTopUp(tx: WriteTx, accountId: number, nowMs: number = Date.now()): ClaimedTopUp | null {
  const agreement = tx.first(
    dueAgreement()
      .select(["g.user_id", "g.amount_ore", "g.card_token", "g.receipt_email", "a.balance_ore"])
      .where("g.account_id", "=", accountId),
  );
  if (!agreement || agreement.card_token === null || agreement.balance_ore >= AUTO_TOP_UP_THRESHOLD_ORE) return null;
  // The payer must still be allowed to act on the account now (a guardian since unlinked is not): their card is never
  // charged for it again, and the agreement ends here, so the holder can choose their own.
  if (!actableAccount(tx, agreement.user_id, accountId)) {
    tx.run(db.updateTable("auto_top_up_agreements").set({ status: "cancelled", card_token: null, updated_at: nowMs }).where("account_id", "=", accountId));
    return null;
  }
  if (depositedTotal(tx, accountId) < AUTO_TOP_UP_MIN_DEPOSITED_ORE) return null;
  const { payment } = createPendingPayment(
    tx,
    { userId: agreement.user_id, accountId, idempotencyKey: `auto-top-up:${crypto.randomUUID()}`, purpose: "auto_top_up", amountOre: agreement.amount_ore, receiptEmail: agreement.receipt_email },
    nowMs,
  );
  tx.run(db.updateTable("auto_top_up_agreements").set({ in_flight_payment_id: payment.paymentId, updated_at: nowMs }).where("account_id", "=", accountId));
  return {
    paymentId: payment.paymentId,
    orderId: payment.orderId!,
    userId: agreement.user_id,
    accountId,
    amountOre: agreement.amount_ore,
    cardToken: agreement.card_token,
    receiptEmail: agreement.receipt_email,
  };
}

/**
 * After a crash, a top-up may have been claimed but never answered, and the acquirer cannot be asked about it (it
 * never got an order id, or the acquirer keeps nothing to read back). Its outcome is unknown, so the payment is marked
 * failed ("interrupted") and the account freed; should the acquirer's capture still arrive, applyPaymentOutcome
 * deposits it. Payments the acquirer can be asked about are left to the reconciler (pendingToReconcile).
 */
export function recoverInterruptedTopUps(tx: WriteTx, olderThanMs: number, nowMs: number = Date.now(), onlyWithoutOrderId = false): number {
  let query = db.selectFrom("payments").select(["id", "amount_ore"]).where("purpose", "=", "auto_top_up").where("status", "=", "pending").where("created_at", "<", nowMs - olderThanMs);
  if (onlyWithoutOrderId) query = query.where("order_id", "is", null);
  const stale = tx.all(query);
  for (const payment of stale) applyPaymentOutcome(tx, { paymentId: payment.id, amountOre: payment.amount_ore, status: "failed", reason: "interrupted" }, nowMs);
  return stale.length;
}

/** The automatic top-ups still pending (at start: the ones the last shutdown left in flight). */
export function pendingTopUpIds(tx: Tx): string[] {
  return tx.all(db.selectFrom("payments").select("id").where("purpose", "=", "auto_top_up").where("status", "=", "pending")).map((row) => row.id);
}

/**
 * Pending payments to read back from the acquirer: older than `olderThanMs` (a payer may still be on the hosted page)
 * and not asked within `recheckAfterMs`; oldest first. Marks them as asked now, so two reconcilers do not both ask.
 */
export function claimPendingToReconcile(tx: WriteTx, options: { olderThanMs: number; recheckAfterMs: number; limit: number }, nowMs: number = Date.now()): Payment[] {
  const rows = tx.all(
    selectPayments()
      .where("status", "=", "pending")
      .where("order_id", "is not", null)
      .where("created_at", "<", nowMs - options.olderThanMs)
      .where((eb) => eb.or([eb("checked_at", "is", null), eb("checked_at", "<", nowMs - options.recheckAfterMs)]))
      .orderBy("created_at")
      .limit(options.limit),
  );
  if (rows.length > 0) tx.run(db.updateTable("payments").set({ checked_at: nowMs }).where("id", "in", rows.map((row) => row.id)));
  return rows.map(toPayment);
}

/** Marks one payment as asked about now; false if it was asked within `recheckAfterMs` (the result page polls). */
export function claimCheck(tx: WriteTx, paymentId: string, recheckAfterMs: number, nowMs: number = Date.now()): boolean {
  return (
    tx.run(
      db
        .updateTable("payments")
        .set({ checked_at: nowMs })
        .where("id", "=", paymentId)
        .where("status", "=", "pending")
        .where((eb) => eb.or([eb("checked_at", "is", null), eb("checked_at", "<", nowMs - recheckAfterMs)])),
    ).changes === 1
  );
}

/** The pending setup payment of the payer's agreement that still waits for its card, if any (for a read-back). */
export function pendingSetupPayment(tx: Tx, payerUserId: number, accountId: number): string | null {
  const row = tx.first(
    db
      .selectFrom("auto_top_up_agreements as g")
      .innerJoin("payments as p", "p.id", "g.setup_payment_id")
      .select("p.id")
      .where("g.account_id", "=", accountId)
      .where("g.user_id", "=", payerUserId)
      .where("g.status", "=", "awaiting_card")
      .where("p.status", "=", "pending"),
  );
  return row?.id ?? null;
}

/** Whether the agreement for a setup payment already has its card (then a read-back asks about the first charge). */
export function setupCardSaved(tx: Tx, setupPaymentId: string): boolean {
  return (
    tx.first(db.selectFrom("auto_top_up_agreements").select("id").where("setup_payment_id", "=", setupPaymentId).where("card_token", "is not", null).where("status", "!=", "cancelled")) !==
    undefined
  );
}

export type PayoutStatus = "pending" | "paid" | "rejected";

export interface Payout {
  payoutId: number;
  accountId: number;
  name: string;
  registrationNumber: string;
  bankAccountNumberMasked: string;
  message: string | null;
  amountOre: number;
  status: PayoutStatus;
  rejectReason: string | null;
  createdAt: number;
  decidedAt: number | null;
}

const payoutColumns = [
  "id",
  "user_id",
  "account_id",
  "idempotency_key",
  "name",
  "registration_number",
  "bank_account_number",
  "message",
  "amount_ore",
  "status",
  "reject_reason",
  "created_at",
  "decided_at",
] as const;

const selectPayouts = () => db.selectFrom("payouts").select(payoutColumns);
type PayoutRow = NonNullable<ReturnType<typeof firstPayout>>;
const firstPayout = (tx: Tx, query: ReturnType<typeof selectPayouts>) => tx.first(query);

function toPayout(row: PayoutRow): Payout {
  return {
    payoutId: row.id,
    accountId: row.account_id,
    name: row.name,
    registrationNumber: row.registration_number,
    // The cardholder recognises their account by its last digits; the full number is for the back office.
    bankAccountNumberMasked: row.bank_account_number.length > 4 ? `${"•".repeat(row.bank_account_number.length - 4)}${row.bank_account_number.slice(-4)}` : row.bank_account_number,
    message: row.message,
    amountOre: row.amount_ore,
    status: row.status,
    rejectReason: row.reject_reason,
    createdAt: row.created_at,
    decidedAt: row.decided_at,
  };
}

export interface PayoutRequest {
  accountId: number;
  name: string;
  registrationNumber: string;
  bankAccountNumber: string;
  message?: string | undefined;
  amountOre: number;
  idempotencyKey: string;
}

export type PayoutResult = { ok: true; payout: Payout; transfers: Transfer[] } | { ok: false; reason: "insufficient_funds" | "account_not_found" };

/** Moves the amount at once to payout clearing (so it cannot be spent twice) and files the request for the back office. */
export function requestPayout(tx: WriteTx, userId: number, request: PayoutRequest, nowMs: number = Date.now()): PayoutResult {
  const existing = firstPayout(tx, selectPayouts().where("user_id", "=", userId).where("idempotency_key", "=", request.idempotencyKey));
  if (existing) {
    const sameRequest =
      existing.account_id === request.accountId &&
      existing.amount_ore === request.amountOre &&
      existing.bank_account_number === request.bankAccountNumber &&
      existing.registration_number === request.registrationNumber &&
      existing.name === request.name &&
      existing.message === (request.message ?? null);
    if (!sameRequest) {
      throw new IdempotencyConflictError("this payout request was already made with other details");
    }
    return { ok: true, payout: toPayout(existing), transfers: [] };
  }
  if (!actableAccount(tx, userId, request.accountId)) return { ok: false, reason: "account_not_found" };
  const posted = postTransfer(
    tx,
    {
      id: `payout:${userId}:${request.idempotencyKey}`,
      debitAccountId: request.accountId,
      creditAccountId: systemAccount(tx, "payout_clearing", nowMs),
      amountOre: request.amountOre,
      kind: "payout",
      description: "Udbetaling",
    },
    nowMs,
  );
  if (posted.status !== "posted") return { ok: false, reason: "insufficient_funds" };
  const id = tx.run(
    db.insertInto("payouts").values({
      user_id: userId,
      account_id: request.accountId,
      idempotency_key: request.idempotencyKey,
      name: request.name,
      registration_number: request.registrationNumber,
      bank_account_number: request.bankAccountNumber,
      message: request.message ?? null,
      amount_ore: request.amountOre,
      status: "pending",
      transfer_id: posted.transfer.id,
      created_at: nowMs,
    }),
  ).lastInsertRowid;
  const row = firstPayout(tx, selectPayouts().where("id", "=", id))!;
  return { ok: true, payout: toPayout(row), transfers: [posted.transfer] };
}

export function listPayouts(tx: Tx, userId: number): Payout[] {
  return tx.all(selectPayouts().where("user_id", "=", userId).orderBy("id", "desc").limit(100)).map(toPayout);
}

/**
 * The back office's decision. Paid: the money has left for the bank, so it moves on from payout clearing to the
 * bank-payout edge account (payout clearing then holds exactly what is still pending). Rejected: a correcting
 * transfer returns it to the card account. Either happens once.
 */
export function decidePayout(
  tx: WriteTx,
  payoutId: number,
  decision: { status: "paid" } | { status: "rejected"; reason: string },
  nowMs: number = Date.now(),
): { payout: Payout; transfers: Transfer[]; userId: number } | null {
  const row = firstPayout(tx, selectPayouts().where("id", "=", payoutId));
  if (!row) return null;
  if (row.status !== "pending") return { payout: toPayout(row), transfers: [], userId: row.user_id };
  const transfers: Transfer[] = [];
  if (decision.status === "rejected") {
    const posted = postSystemTransfer(
      tx,
      {
        id: `payout-return:${payoutId}`,
        debitAccountId: systemAccount(tx, "payout_clearing", nowMs),
        creditAccountId: row.account_id,
        amountOre: row.amount_ore,
        kind: "correction",
        reference: `payout:${payoutId}`,
        description: "Udbetaling afvist – beløbet er ført tilbage",
      },
      nowMs,
    );
    transfers.push(posted);
    tx.run(db.updateTable("payouts").set({ status: "rejected", reject_reason: decision.reason, return_transfer_id: posted.id, decided_at: nowMs }).where("id", "=", payoutId));
  } else {
    const posted = postSystemTransfer(
      tx,
      {
        id: `payout-paid:${payoutId}`,
        debitAccountId: systemAccount(tx, "payout_clearing", nowMs),
        creditAccountId: systemAccount(tx, "bank_payouts", nowMs),
        amountOre: row.amount_ore,
        kind: "payout",
        reference: `payout:${payoutId}`,
        description: "Udbetaling sendt til banken",
      },
      nowMs,
    );
    transfers.push(posted);
    tx.run(db.updateTable("payouts").set({ status: "paid", decided_at: nowMs }).where("id", "=", payoutId));
  }
  const updated = firstPayout(tx, selectPayouts().where("id", "=", payoutId))!;
  return { payout: toPayout(updated), transfers, userId: row.user_id };
}

export type OwnTransferResult =
  | { ok: true; transfer: Transfer; replayed: boolean }
  | { ok: false; reason: "insufficient_funds" | "account_not_found" | "same_account" };

/** Overfør: between two accounts the user may act on (own and, as guardian, children's); idempotent by key; never below zero. */
export function transferBetweenOwnAccounts(
  tx: WriteTx,
  userId: number,
  request: { fromAccountId: number; toAccountId: number; amountOre: number; idempotencyKey: string },
  nowMs: number = Date.now(),
): OwnTransferResult {
  if (request.fromAccountId === request.toAccountId) return { ok: false, reason: "same_account" };
  if (!actableAccount(tx, userId, request.fromAccountId) || !actableAccount(tx, userId, request.toAccountId)) return { ok: false, reason: "account_not_found" };
  const posted = postTransfer(
    tx,
    {
      id: `own-transfer:${userId}:${request.idempotencyKey}`,
      debitAccountId: request.fromAccountId,
      creditAccountId: request.toAccountId,
      amountOre: request.amountOre,
      kind: "transfer",
      description: "Overførsel",
    },
    nowMs,
  );
  if (posted.status !== "posted") return { ok: false, reason: "insufficient_funds" };
  return { ok: true, transfer: posted.transfer, replayed: posted.replayed };
}

export type AgreementStatus = "awaiting_card" | "active" | "paused" | "cancelled";

export interface AutoTopUpAgreement {
  accountId: number;
  amountOre: number;
  receiptEmail: string;
  status: AgreementStatus;
  cardBrand: string | null;
  cardLast4: string | null;
  consecutiveFailures: number;
  /** Whether the 100 kr. deposit rule is met, so the agreement is in effect. */
  inEffect: boolean;
  depositedOre: number;
  /** Whether the viewer pays for it (their saved card). A card holder whose guardian pays sees it read-only. */
  payerIsViewer: boolean;
  /** The payer's name, shown to whoever sees it read-only. */
  payerName: string | null;
}

/**
 * The agreement on an account as `viewerUserId` sees it: whoever pays for it (the holder, or a guardian with their own
 * card). The caller has checked that the viewer may act on the account (access.ts); a cancelled agreement of another
 * payer is nobody's business and is not shown.
 */
export function getAgreement(tx: Tx, viewerUserId: number, accountId: number): AutoTopUpAgreement | null {
  const row = tx.first(
    db
      .selectFrom("auto_top_up_agreements as g")
      .innerJoin("users as payer", "payer.id", "g.user_id")
      .select(["g.account_id", "g.user_id", "g.amount_ore", "g.receipt_email", "g.status", "g.card_brand", "g.card_last4", "g.consecutive_failures", "payer.name as payer_name"])
      .where("g.account_id", "=", accountId),
  );
  if (!row || (row.user_id !== viewerUserId && row.status === "cancelled")) return null;
  const depositedOre = depositedTotal(tx, accountId);
  const payerIsViewer = row.user_id === viewerUserId;
  return {
    accountId: row.account_id,
    amountOre: row.amount_ore,
    // The payer's receipt address is theirs: a holder who only sees the agreement does not get it.
    receiptEmail: payerIsViewer ? row.receipt_email : "",
    status: row.status,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    consecutiveFailures: row.consecutive_failures,
    inEffect: row.status === "active" && depositedOre >= AUTO_TOP_UP_MIN_DEPOSITED_ORE,
    depositedOre,
    payerIsViewer,
    payerName: row.payer_name,
  };
}

/**
 * Whether `userId` may set up (or replace) the agreement on the account: nobody else pays for it yet, or it is theirs,
 * or they are a guardian of the holder (a parent taking over the child's top-up with their own card). A holder
 * cannot replace the agreement their guardian pays for: they see it read-only.
 */
export function maySetUpAgreement(tx: Tx, userId: number, accountId: number): boolean {
  const account = actableAccount(tx, userId, accountId);
  if (!account) return false;
  const current = tx.first(db.selectFrom("auto_top_up_agreements").select(["user_id", "status"]).where("account_id", "=", accountId));
  if (!current || current.status === "cancelled" || current.user_id === userId) return true;
  // A payer who may no longer act on the account (a guardian since unlinked) decides nothing on it any more.
  return !account.own || !actableAccount(tx, current.user_id, accountId);
}

/**
 * Saves (or replaces) the agreement for an account, paid by `userId` (the holder or a guardian). A new card is needed
 * through the hosted page, so the agreement waits for the setup payment's callback before it becomes active.
 */
export function saveAgreement(
  tx: WriteTx,
  userId: number,
  agreement: { accountId: number; amountOre: number; receiptEmail: string; setupPaymentId: string },
  nowMs: number = Date.now(),
): void {
  tx.run(
    db
      .insertInto("auto_top_up_agreements")
      .values({
        user_id: userId,
        account_id: agreement.accountId,
        amount_ore: agreement.amountOre,
        receipt_email: agreement.receiptEmail,
        status: "awaiting_card",
        setup_payment_id: agreement.setupPaymentId,
        created_at: nowMs,
        updated_at: nowMs,
      })
      .onConflict((conflict) =>
        conflict.column("account_id").doUpdateSet((eb) => ({
          user_id: eb.ref("excluded.user_id"),
          amount_ore: eb.ref("excluded.amount_ore"),
          receipt_email: eb.ref("excluded.receipt_email"),
          status: "awaiting_card",
          setup_payment_id: eb.ref("excluded.setup_payment_id"),
          card_token: null,
          card_brand: null,
          card_last4: null,
          consecutive_failures: 0,
          updated_at: eb.ref("excluded.updated_at"),
        })),
      ),
  );
}

/** Changes the amount or e-mail of an agreement that has a card; re-activates a paused one. Only its payer may. */
export function updateAgreement(tx: WriteTx, userId: number, change: { accountId: number; amountOre: number; receiptEmail: string }, nowMs: number = Date.now()): boolean {
  // The payer must be allowed to act on the account now, not only when they set the agreement up.
  if (!actableAccount(tx, userId, change.accountId)) return false;
  const result = tx.run(
    db
      .updateTable("auto_top_up_agreements")
      .set((eb) => ({
        amount_ore: change.amountOre,
        receipt_email: change.receiptEmail,
        consecutive_failures: 0,
        status: eb
          .case()
          .when(eb.and([eb("status", "=", "paused"), eb("card_token", "is not", null)]))
          .then("active" as const)
          .else(eb.ref("status"))
          .end(),
        updated_at: nowMs,
      }))
      .where("account_id", "=", change.accountId)
      .where("user_id", "=", userId)
      .where("status", "!=", "cancelled"),
  );
  return result.changes === 1;
}

/**
 * The payer may cancel, as long as they may act on the account now; so may anyone who may act on it when the payer
 * no longer may (a child whose guardian was unlinked). The token is forgotten at once: nothing can be charged after a
 * cancel. Returns the forgotten token (null if the card was never saved), for the cancel at the acquirer; null if
 * there was nothing the user may cancel.
 */
export function cancelAgreement(tx: WriteTx, userId: number, accountId: number, nowMs: number = Date.now()): { cardToken: string | null } | null {
  if (!actableAccount(tx, userId, accountId)) return null;
  const current = tx.first(db.selectFrom("auto_top_up_agreements").select(["user_id", "card_token"]).where("account_id", "=", accountId).where("status", "!=", "cancelled"));
  if (!current || (current.user_id !== userId && actableAccount(tx, current.user_id, accountId))) return null;
  tx.run(db.updateTable("auto_top_up_agreements").set({ status: "cancelled", card_token: null, updated_at: nowMs }).where("account_id", "=", accountId));
  return { cardToken: current.card_token };
}
