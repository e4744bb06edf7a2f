// Payouts: money back to a bank account, held in payout clearing until the back office pays or rejects it.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { db } from "../../../db/query.ts";
import { postSystemTransfer, postTransfer, systemAccount, type Transfer } from "../../ledger/ledger.ts";
import { IdempotencyConflictError } from "../pos.ts";
import { actableAccount } from "../access.ts";

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
