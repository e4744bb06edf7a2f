// The payments table: a hosted or saved-card payment's row, its order id, the open-payment quota, and the acquirer's references.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { db } from "../../../db/query.ts";
import type { PaymentPurpose, PaymentStatus } from "../../../db/schema.ts";
import type { PaymentOutcome, PaymentReference } from "../../acquirer/acquirer.ts";
import { IdempotencyConflictError } from "../pos.ts";

export type { PaymentPurpose, PaymentStatus };

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

/** The payments query and row mapper, shared by the other modules of this folder (reconciliation claims rows too). */
export const selectPayments = () => db.selectFrom("payments").select(paymentColumns);
type PaymentRow = NonNullable<ReturnType<typeof firstPayment>>;
const firstPayment = (tx: Tx, query: ReturnType<typeof selectPayments>) => tx.first(query);

export function toPayment(row: PaymentRow): Payment {
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

/** Creates a pending payment, or returns the one this idempotency key already started (same fields required). */
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
