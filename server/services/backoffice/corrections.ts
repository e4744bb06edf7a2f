// Manual ledger corrections by an administrator, each with a mandatory reason.
import type { WriteTx } from "../../../db/tx.ts";
import { postTransfer, systemAccount, type Transfer } from "../../ledger/ledger.ts";
import { audit, cardholderOfAccount, type Actor } from "./shared.ts";

/** A manual correction with a mandatory reason; it shows in the cardholder's Kontoudtog with that reason. */
export function postCorrection(
  tx: WriteTx,
  actor: Actor,
  correction: { accountId: number; amountOre: number; direction: "credit" | "debit"; reason: string; idempotencyKey: string },
  nowMs: number = Date.now(),
): { ok: true; transfer: Transfer } | { ok: false; reason: "account_not_found" | "insufficient_funds" } {
  const holder = cardholderOfAccount(tx, actor.tenantId, correction.accountId);
  if (!holder) return { ok: false, reason: "account_not_found" };
  const corrections = systemAccount(tx, "corrections", nowMs);
  const credit = correction.direction === "credit";
  const posted = postTransfer(
    tx,
    {
      id: `correction:${correction.idempotencyKey}`,
      debitAccountId: credit ? corrections : correction.accountId,
      creditAccountId: credit ? correction.accountId : corrections,
      amountOre: correction.amountOre,
      kind: "correction",
      reference: `staff:${actor.userId}`,
      description: `Korrektion: ${correction.reason}`,
    },
    nowMs,
  );
  if (posted.status !== "posted") return { ok: false, reason: "insufficient_funds" };
  if (!posted.replayed) audit(tx, actor, "ledger.correction", `account:${correction.accountId}`, {
        cardNumber: holder.cardNumber,
        holder: holder.holder,
        amountOre: correction.amountOre,
        direction: correction.direction,
        reason: correction.reason,
      }, nowMs);
  return { ok: true, transfer: posted.transfer };
}
