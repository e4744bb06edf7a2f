// Reconciliation: pending payments read back from the acquirer, so a lost callback never loses a result; recovery at start.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { db } from "../../../db/query.ts";
import type { ServiceBundle } from "../bundle.ts";
import type { LookUpRequest } from "../../acquirer/acquirer.ts";
import { errorField, log } from "../../ops/logger.ts";
import { selectPayments, toPayment, findPayment, type Payment } from "./records.ts";
import { setupCardSaved } from "./agreements.ts";
import { applyPaymentOutcome } from "./outcomes.ts";
import { afterOutcome } from "./receipts.ts";
import { settleEvent } from "./callbacks.ts";

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

/** A payment whose result the acquirer has no record of after this long never reached it: it is failed. */
export const NOT_RECEIVED_AFTER_MS = 10 * 60 * 1000;

function lookUpRequestFor(services: ServiceBundle, payment: Payment): LookUpRequest {
  const orderId = payment.orderId ?? payment.paymentId;
  if (payment.purpose === "auto_top_up_setup") {
    // Until the card is saved, ask about the subscription; after that, about the first charge (a recurring payment
    // with the setup's own order id, whose acquirer id we do not keep).
    const saved = services.store.read((tx) => setupCardSaved(tx, payment.paymentId));
    return saved ? { paymentId: payment.paymentId, orderId, acquirerRef: null, kind: "payment" } : { paymentId: payment.paymentId, orderId, acquirerRef: payment.acquirerRef, kind: "card_setup" };
  }
  return { paymentId: payment.paymentId, orderId, acquirerRef: payment.acquirerRef, kind: "payment" };
}

/**
 * Reads one pending payment back from the acquirer and settles what it says: the recovery of a lost callback. When the
 * acquirer has no such order and the payment is older than `notReceivedAfterMs`, it never got there: failed. When the
 * acquirer cannot be asked (timeout, 5xx), nothing changes and a later round asks again.
 */
export async function reconcilePayment(services: ServiceBundle, payment: Payment, notReceivedAfterMs: number = NOT_RECEIVED_AFTER_MS, nowMs: number = Date.now()): Promise<void> {
  const event = await services.acquirer.lookUp(lookUpRequestFor(services, payment));
  if (event) {
    await settleEvent(services, event);
    return;
  }
  if (nowMs - payment.createdAt < notReceivedAfterMs) return;
  const applied = await services.store.write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: payment.amountOre, status: "failed", reason: "not_received" }));
  await afterOutcome(services, applied);
}

/** One round of the reconciler: pending payments older than a minute, each asked at most once a minute. */
export async function reconcilePending(services: ServiceBundle, options: { olderThanMs?: number; recheckAfterMs?: number; notReceivedAfterMs?: number } = {}): Promise<number> {
  const due = await services.store.write((tx) => claimPendingToReconcile(tx, { olderThanMs: options.olderThanMs ?? 60_000, recheckAfterMs: options.recheckAfterMs ?? 60_000, limit: 50 }));
  for (const payment of due) {
    try {
      await reconcilePayment(services, payment, options.notReceivedAfterMs);
    } catch (error) {
      log.warn({ paymentId: payment.paymentId, err: errorField(error) }, "payment read-back failed, will ask again");
    }
  }
  return due.length;
}

/**
 * At start: top-ups left in flight by the last shutdown. The acquirer is asked about each; one it has no record of
 * never reached it (or it keeps none, like the simulator) and is failed as "interrupted", freeing the account.
 * One it cannot be asked about stays for the reconciler.
 */
export async function recoverAtStart(services: ServiceBundle): Promise<number> {
  const pending = services.store.read((tx) => pendingTopUpIds(tx));
  let recovered = 0;
  for (const id of pending) {
    const payment = services.store.read((tx) => findPayment(tx, id));
    if (!payment) continue;
    try {
      const event = await services.acquirer.lookUp(lookUpRequestFor(services, payment));
      if (event && event.kind !== "pending") {
        await settleEvent(services, event);
        recovered += 1;
        continue;
      }
      if (event) continue;
    } catch {
      continue;
    }
    recovered += await services.store.write((tx) => {
      const applied = applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: payment.amountOre, status: "failed", reason: "interrupted" });
      return applied.changed ? 1 : 0;
    });
  }
  // Top-ups from before order ids cannot be asked about at all.
  recovered += await services.store.write((tx) => recoverInterruptedTopUps(tx, 0, Date.now(), true));
  return recovered;
}
