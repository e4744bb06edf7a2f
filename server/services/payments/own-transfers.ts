// Overfør: transfers between two accounts the same user may act on (their own and, as guardian, their children's).
import type { WriteTx } from "../../../db/tx.ts";
import { postTransfer, type Transfer } from "../../ledger/ledger.ts";
import { actableAccount } from "../access.ts";

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
