// Manual ledger corrections by an administrator, each with a mandatory reason.
import type { WriteTx } from "../../../db/tx.ts";
import { postTransfer, systemAccount, type Transfer } from "../../ledger/ledger.ts";
import { audit, type Actor } from "./shared.ts";

/** A manual correction with a mandatory reason; it shows in the cardholder's Kontoudtog with that reason. */
export function postCorrection(
  tx: WriteTx,
  actor: Actor,
  correction: { accountId: number; amountOre: number; direction: "credit" | "debit"; reason: string; idempotencyKey: string },
  nowMs: number = Date.now(),
): { ok: true; transfer: Transfer } | { ok: false; reason: "account_not_found" | "insufficient_funds" } {
  const account = tx.sqlite
    .query("SELECT a.id FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id WHERE a.id = ? AND a.kind = 'cardholder' AND u.tenant_id = ?")
    .get(correction.accountId, actor.tenantId) as { id: number } | null;
  if (!account) return { ok: false, reason: "account_not_found" };
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
  if (!posted.replayed) audit(tx, actor, "ledger.correction", `account:${correction.accountId}`, { amountOre: correction.amountOre, direction: correction.direction, reason: correction.reason }, nowMs);
  return { ok: true, transfer: posted.transfer };
}
