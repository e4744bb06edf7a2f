// Acquirer outcomes applied to the ledger: a verified capture credits the card once, a top-up's result is recorded.
import type { WriteTx } from "../../../db/tx.ts";
import { db } from "../../../db/query.ts";
import { AUTO_TOP_UP_MAX_FAILURES } from "../../../common/payments.ts";
import { getBalance, postSystemTransfer, systemAccount, type Transfer } from "../../ledger/ledger.ts";
import type { AutoTopUpResult } from "../../events/types.ts";
import { log } from "../../ops/logger.ts";
import { recordPayment } from "../../ops/record.ts";
import { activateAgreement } from "./agreements.ts";
import { findPayment, type Payment, type PaymentResult } from "./records.ts";

export type { AutoTopUpResult };

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
