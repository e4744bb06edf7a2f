// Money in and out: card deposits via the acquirer, automatic top-up, payouts and transfers between own accounts.
import type { Tx, WriteTx } from "../../db/tx.ts";
import { AUTO_TOP_UP_MAX_FAILURES, AUTO_TOP_UP_MIN_DEPOSITED_ORE, AUTO_TOP_UP_THRESHOLD_ORE } from "../../common/payments.ts";
import type { CallbackEvent } from "../payments/acquirer.ts";
import { getBalance, postTransfer, systemAccount, type Transfer } from "../ledger/ledger.ts";
import { IdempotencyConflictError } from "./pos.ts";
import { actableAccount } from "./access.ts";

export type PaymentPurpose = "deposit" | "auto_top_up_setup" | "auto_top_up";
/**
 * "failed" with reason "timeout" or "interrupted" means the outcome is unknown: the card may still have been charged,
 * so such a payment stays settleable by a later signed capture (see applyPaymentOutcome).
 */
export type PaymentStatus = "pending" | "captured" | "declined" | "failed";

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
}

interface PaymentRow {
  id: string;
  user_id: number;
  account_id: number;
  idempotency_key: string;
  purpose: PaymentPurpose;
  amount_ore: number;
  receipt_email: string | null;
  status: PaymentStatus;
  reason: string | null;
  redirect_url: string | null;
  card_brand: string | null;
  card_last4: string | null;
  created_at: number;
}

const PAYMENT_COLUMNS = "id, user_id, account_id, idempotency_key, purpose, amount_ore, receipt_email, status, reason, redirect_url, card_brand, card_last4, created_at";

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
  };
}

export function findPayment(tx: Tx, paymentId: string): Payment | null {
  const row = tx.sqlite.query(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE id = ?`).get(paymentId) as PaymentRow | null;
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

/** Creates a pending payment, or returns the one this idempotency key already started (same fields required). */
export function createPendingPayment(tx: WriteTx, payment: NewPayment, nowMs: number = Date.now()): { payment: Payment; created: boolean } {
  const existing = tx.sqlite.query(`SELECT ${PAYMENT_COLUMNS} FROM payments WHERE user_id = ? AND idempotency_key = ?`).get(payment.userId, payment.idempotencyKey) as PaymentRow | null;
  if (existing) {
    if (existing.account_id !== payment.accountId || existing.amount_ore !== payment.amountOre || existing.purpose !== payment.purpose) {
      throw new IdempotencyConflictError("this payment request was already made with other details");
    }
    return { payment: toPayment(existing), created: false };
  }
  const id = crypto.randomUUID();
  tx.sqlite
    .query(
      "INSERT INTO payments (id, user_id, account_id, idempotency_key, purpose, amount_ore, receipt_email, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
    )
    .run(id, payment.userId, payment.accountId, payment.idempotencyKey, payment.purpose, payment.amountOre, payment.receiptEmail, nowMs, nowMs);
  return { payment: findPayment(tx, id)!, created: true };
}

export function recordRedirect(tx: WriteTx, paymentId: string, redirectUrl: string): void {
  tx.sqlite.query("UPDATE payments SET redirect_url = ? WHERE id = ?").run(redirectUrl, paymentId);
}

export interface AutoTopUpResult {
  seq: number;
  userId: number;
  accountId: number;
  paymentId: string;
  status: "captured" | "declined" | "failed";
  reason: string | null;
  amountOre: number;
  balanceOre: number;
  agreementPaused: boolean;
  createdAt: number;
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
 * Applies a verified acquirer result exactly once. A pending payment takes any result. A signed capture is applied to
 * every payment not yet captured — also one we recorded as failed, declined or cancelled — because a capture means the
 * card was charged and the cardholder must get the money. It posts one transfer (acquirer clearing → card account)
 * whose id is derived from the payment id, so even a bug upstream could not deposit twice.
 */
export function applyPaymentOutcome(tx: WriteTx, event: CallbackEvent, nowMs: number = Date.now()): OutcomeApplied {
  const payment = findPayment(tx, event.paymentId);
  if (!payment) return { changed: false, payment: null, transfers: [], autoTopUpResult: null };
  if (payment.amountOre !== event.amountOre) throw new PaymentMismatchError(`payment ${payment.paymentId}: callback amount ${event.amountOre} ≠ ${payment.amountOre}`);
  if (payment.status === "captured") return { changed: false, payment, transfers: [], autoTopUpResult: null };
  if (payment.status !== "pending" && event.status !== "captured") return { changed: false, payment, transfers: [], autoTopUpResult: null };
  const late = payment.status !== "pending";

  const transfers: Transfer[] = [];
  if (event.status === "captured") {
    const posted = postTransfer(
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
    if (posted.status !== "posted") throw new Error(`deposit transfer declined: ${posted.reason}`);
    transfers.push(posted.transfer);
    // A late capture keeps a note of what we had recorded before, so the back office can see why it changed.
    const note = late ? `captured_after_${payment.status}:${payment.reason ?? ""}`.slice(0, 200) : null;
    if (late) console.warn(`payment ${payment.paymentId}: capture arrived after it was recorded as ${payment.status} (${payment.reason ?? "no reason"}); deposited`);
    tx.sqlite
      .query("UPDATE payments SET status = 'captured', reason = ?, transfer_id = ?, card_brand = ?, card_last4 = ?, updated_at = ? WHERE id = ?")
      .run(note, posted.transfer.id, event.cardBrand ?? null, event.cardLast4 ?? null, nowMs, payment.paymentId);
    if (payment.purpose === "auto_top_up_setup" && event.cardToken) {
      tx.sqlite
        .query(
          "UPDATE auto_top_up_agreements SET card_token = ?, card_brand = ?, card_last4 = ?, status = 'active', consecutive_failures = 0, updated_at = ? WHERE setup_payment_id = ? AND status = 'awaiting_card'",
        )
        .run(event.cardToken, event.cardBrand ?? null, event.cardLast4 ?? null, nowMs, payment.paymentId);
    }
  } else {
    tx.sqlite.query("UPDATE payments SET status = ?, reason = ?, updated_at = ? WHERE id = ?").run(event.status, event.reason, nowMs, payment.paymentId);
  }

  // A late capture's top-up was already finished (result recorded, account freed); the deposit itself is what was owed.
  let autoTopUpResult: AutoTopUpResult | null = null;
  if (payment.purpose === "auto_top_up" && !late) autoTopUpResult = finishAutoTopUp(tx, payment, event, nowMs);
  return { changed: true, payment: findPayment(tx, payment.paymentId), transfers, autoTopUpResult };
}

function finishAutoTopUp(tx: WriteTx, payment: Payment, event: CallbackEvent, nowMs: number): AutoTopUpResult {
  const agreement = tx.sqlite.query("SELECT id, consecutive_failures FROM auto_top_up_agreements WHERE account_id = ?").get(payment.accountId) as {
    id: number;
    consecutive_failures: number;
  } | null;
  let paused = false;
  if (agreement) {
    const failures = event.status === "captured" ? 0 : agreement.consecutive_failures + 1;
    paused = failures >= AUTO_TOP_UP_MAX_FAILURES;
    tx.sqlite
      .query(
        `UPDATE auto_top_up_agreements SET in_flight_payment_id = CASE WHEN in_flight_payment_id = ? THEN NULL ELSE in_flight_payment_id END,
           consecutive_failures = ?, status = CASE WHEN ? AND status = 'active' THEN 'paused' ELSE status END, updated_at = ? WHERE id = ?`,
      )
      .run(payment.paymentId, failures, paused ? 1 : 0, nowMs, agreement.id);
  }
  const balanceOre = getBalance(tx, payment.accountId) ?? 0;
  const reason = event.status === "captured" ? null : event.reason;
  const seq = Number(
    tx.sqlite
      .query(
        "INSERT INTO auto_top_up_results (user_id, account_id, payment_id, status, reason, amount_ore, balance_after_ore, agreement_paused, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(payment.userId, payment.accountId, payment.paymentId, event.status, reason, payment.amountOre, balanceOre, paused ? 1 : 0, nowMs).lastInsertRowid,
  );
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
  return (tx.sqlite
    .query("SELECT COALESCE(SUM(amount_ore), 0) AS total FROM transfers WHERE credit_account_id = ? AND kind IN ('deposit', 'auto_top_up')")
    .get(accountId) as { total: number }).total;
}

export interface ClaimedTopUp {
  paymentId: string;
  userId: number;
  accountId: number;
  amountOre: number;
  cardToken: string;
  receiptEmail: string;
}

/**
 * A cheap check on the read connection, so a sale on an account without a due agreement (nearly all of them) does
 * not queue a write transaction. claimAutoTopUp decides for real, inside the write.
 */
export function autoTopUpMayBeDue(tx: Tx, accountId: number): boolean {
  return (
    tx.sqlite
      .query(
        `SELECT 1 FROM auto_top_up_agreements g JOIN ledger_accounts a ON a.id = g.account_id
         WHERE g.account_id = ? AND g.status = 'active' AND g.card_token IS NOT NULL AND g.in_flight_payment_id IS NULL AND a.balance_ore < ?`,
      )
      .get(accountId, AUTO_TOP_UP_THRESHOLD_ORE) !== null
  );
}

/**
 * Starts a top-up if the rule says so: an active agreement with a saved card, at least 100 kr. deposited, the
 * balance below 50 kr., and no top-up already in flight (the claim and the in-flight mark are one transaction).
 */
export function claimAutoTopUp(tx: WriteTx, accountId: number, nowMs: number = Date.now()): ClaimedTopUp | null {
  const agreement = tx.sqlite
    .query(
      `SELECT g.user_id, g.amount_ore, g.card_token, g.receipt_email, a.balance_ore
       FROM auto_top_up_agreements g JOIN ledger_accounts a ON a.id = g.account_id
       WHERE g.account_id = ? AND g.status = 'active' AND g.card_token IS NOT NULL AND g.in_flight_payment_id IS NULL`,
    )
    .get(accountId) as { user_id: number; amount_ore: number; card_token: string; receipt_email: string; balance_ore: number } | null;
  if (!agreement || agreement.balance_ore >= AUTO_TOP_UP_THRESHOLD_ORE) return null;
  if (depositedTotal(tx, accountId) < AUTO_TOP_UP_MIN_DEPOSITED_ORE) return null;
  const { payment } = createPendingPayment(
    tx,
    { userId: agreement.user_id, accountId, idempotencyKey: `auto-top-up:${crypto.randomUUID()}`, purpose: "auto_top_up", amountOre: agreement.amount_ore, receiptEmail: agreement.receipt_email },
    nowMs,
  );
  tx.sqlite.query("UPDATE auto_top_up_agreements SET in_flight_payment_id = ?, updated_at = ? WHERE account_id = ?").run(payment.paymentId, nowMs, accountId);
  return { paymentId: payment.paymentId, userId: agreement.user_id, accountId, amountOre: agreement.amount_ore, cardToken: agreement.card_token, receiptEmail: agreement.receipt_email };
}

/**
 * After a crash, a top-up may have been claimed but never answered. We cannot know whether the acquirer charged,
 * so the payment is marked failed ("interrupted", an unknown outcome) and the account freed; should the acquirer's
 * capture still arrive, applyPaymentOutcome deposits it. A real adapter would also ask the acquirer.
 */
export function recoverInterruptedTopUps(tx: WriteTx, olderThanMs: number, nowMs: number = Date.now()): number {
  const stale = tx.sqlite
    .query("SELECT id, amount_ore FROM payments WHERE purpose = 'auto_top_up' AND status = 'pending' AND created_at < ?")
    .all(nowMs - olderThanMs) as Array<{ id: string; amount_ore: number }>;
  for (const payment of stale) applyPaymentOutcome(tx, { paymentId: payment.id, amountOre: payment.amount_ore, status: "failed", reason: "interrupted" }, nowMs);
  return stale.length;
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

interface PayoutRow {
  id: number;
  user_id: number;
  account_id: number;
  idempotency_key: string;
  name: string;
  registration_number: string;
  bank_account_number: string;
  message: string | null;
  amount_ore: number;
  status: PayoutStatus;
  reject_reason: string | null;
  created_at: number;
  decided_at: number | null;
}

const PAYOUT_COLUMNS = "id, user_id, account_id, idempotency_key, name, registration_number, bank_account_number, message, amount_ore, status, reject_reason, created_at, decided_at";

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
  const existing = tx.sqlite.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE user_id = ? AND idempotency_key = ?`).get(userId, request.idempotencyKey) as PayoutRow | null;
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
  const id = Number(
    tx.sqlite
      .query(
        `INSERT INTO payouts (user_id, account_id, idempotency_key, name, registration_number, bank_account_number, message, amount_ore, status, transfer_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
      )
      .run(userId, request.accountId, request.idempotencyKey, request.name, request.registrationNumber, request.bankAccountNumber, request.message ?? null, request.amountOre, posted.transfer.id, nowMs)
      .lastInsertRowid,
  );
  const row = tx.sqlite.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = ?`).get(id) as PayoutRow;
  return { ok: true, payout: toPayout(row), transfers: [posted.transfer] };
}

export function listPayouts(tx: Tx, userId: number): Payout[] {
  return (tx.sqlite.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE user_id = ? ORDER BY id DESC LIMIT 100`).all(userId) as PayoutRow[]).map(toPayout);
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
  const row = tx.sqlite.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = ?`).get(payoutId) as PayoutRow | null;
  if (!row) return null;
  if (row.status !== "pending") return { payout: toPayout(row), transfers: [], userId: row.user_id };
  const transfers: Transfer[] = [];
  if (decision.status === "rejected") {
    const posted = postTransfer(
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
    if (posted.status !== "posted") throw new Error(`payout return declined: ${posted.reason}`);
    transfers.push(posted.transfer);
    tx.sqlite
      .query("UPDATE payouts SET status = 'rejected', reject_reason = ?, return_transfer_id = ?, decided_at = ? WHERE id = ?")
      .run(decision.reason, posted.transfer.id, nowMs, payoutId);
  } else {
    const posted = postTransfer(
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
    if (posted.status !== "posted") throw new Error(`payout settlement declined: ${posted.reason}`);
    transfers.push(posted.transfer);
    tx.sqlite.query("UPDATE payouts SET status = 'paid', decided_at = ? WHERE id = ?").run(nowMs, payoutId);
  }
  const updated = tx.sqlite.query(`SELECT ${PAYOUT_COLUMNS} FROM payouts WHERE id = ?`).get(payoutId) as PayoutRow;
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
}

export function getAgreement(tx: Tx, userId: number, accountId: number): AutoTopUpAgreement | null {
  const row = tx.sqlite
    .query(
      "SELECT account_id, amount_ore, receipt_email, status, card_brand, card_last4, consecutive_failures FROM auto_top_up_agreements WHERE account_id = ? AND user_id = ?",
    )
    .get(accountId, userId) as {
    account_id: number;
    amount_ore: number;
    receipt_email: string;
    status: AgreementStatus;
    card_brand: string | null;
    card_last4: string | null;
    consecutive_failures: number;
  } | null;
  if (!row) return null;
  const depositedOre = depositedTotal(tx, accountId);
  return {
    accountId: row.account_id,
    amountOre: row.amount_ore,
    receiptEmail: row.receipt_email,
    status: row.status,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    consecutiveFailures: row.consecutive_failures,
    inEffect: row.status === "active" && depositedOre >= AUTO_TOP_UP_MIN_DEPOSITED_ORE,
    depositedOre,
  };
}

/**
 * Saves (or replaces) the agreement for an account. A new card is needed through the hosted page, so the agreement
 * waits for the setup payment's callback before it becomes active.
 */
export function saveAgreement(
  tx: WriteTx,
  userId: number,
  agreement: { accountId: number; amountOre: number; receiptEmail: string; setupPaymentId: string },
  nowMs: number = Date.now(),
): void {
  tx.sqlite
    .query(
      `INSERT INTO auto_top_up_agreements (user_id, account_id, amount_ore, receipt_email, status, setup_payment_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'awaiting_card', ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET amount_ore = excluded.amount_ore, receipt_email = excluded.receipt_email,
         status = 'awaiting_card', setup_payment_id = excluded.setup_payment_id, card_token = NULL, card_brand = NULL, card_last4 = NULL,
         consecutive_failures = 0, updated_at = excluded.updated_at`,
    )
    .run(userId, agreement.accountId, agreement.amountOre, agreement.receiptEmail, agreement.setupPaymentId, nowMs, nowMs);
}

/** Changes the amount or e-mail of an agreement that has a card; re-activates a paused one. */
export function updateAgreement(tx: WriteTx, userId: number, change: { accountId: number; amountOre: number; receiptEmail: string }, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite
    .query(
      `UPDATE auto_top_up_agreements SET amount_ore = ?, receipt_email = ?, consecutive_failures = 0,
         status = CASE WHEN status = 'paused' AND card_token IS NOT NULL THEN 'active' ELSE status END, updated_at = ?
       WHERE account_id = ? AND user_id = ? AND status <> 'cancelled'`,
    )
    .run(change.amountOre, change.receiptEmail, nowMs, change.accountId, userId);
  return result.changes === 1;
}

export function cancelAgreement(tx: WriteTx, userId: number, accountId: number, nowMs: number = Date.now()): boolean {
  // The token is forgotten at once: nothing can be charged after a cancel.
  const result = tx.sqlite
    .query("UPDATE auto_top_up_agreements SET status = 'cancelled', card_token = NULL, updated_at = ? WHERE account_id = ? AND user_id = ? AND status <> 'cancelled'")
    .run(nowMs, accountId, userId);
  return result.changes === 1;
}
