// The money core: posts double-entry transfers idempotently and keeps account balances in step, inside the caller's write transaction.
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { LedgerAccountKind, TransferDeclineReason, TransferKind } from "../../db/schema.ts";

export type { TransferDeclineReason } from "../../db/schema.ts";

export interface TransferRequest {
  /** Idempotency key, namespaced by the caller (e.g. `sale:<uuid>`). */
  id: string;
  debitAccountId: number;
  creditAccountId: number;
  amountOre: number;
  kind: TransferKind;
  reference?: string | null;
  description?: string | null;
}

export interface Transfer {
  seq: number;
  id: string;
  debitAccountId: number;
  creditAccountId: number;
  amountOre: number;
  kind: TransferKind;
  reference: string | null;
  description: string | null;
  debitBalanceAfterOre: number;
  creditBalanceAfterOre: number;
  createdAt: number;
}

export type TransferResult =
  | { status: "posted"; transfer: Transfer; replayed: boolean }
  | { status: "declined"; reason: TransferDeclineReason; replayed: boolean };

/** Same id, different fields: the caller reused an idempotency key for another movement. */
export class TransferConflictError extends Error {
  constructor(readonly transferId: string, readonly field: string) {
    super(`transfer ${transferId} already exists with a different ${field}`);
    this.name = "TransferConflictError";
  }
}

/** A broken ledger invariant is a bug: the operation stops and its savepoint is rolled back. */
export class LedgerInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LedgerInvariantError";
  }
}

function assertInvariant(condition: boolean, message: string): asserts condition {
  if (!condition) throw new LedgerInvariantError(message);
}

/** The columns of a transfer row, as `toTransfer` and every reader of whole transfers select them. */
export const TRANSFER_COLUMNS = [
  "seq",
  "id",
  "debit_account_id",
  "credit_account_id",
  "amount_ore",
  "kind",
  "reference",
  "description",
  "debit_balance_after_ore",
  "credit_balance_after_ore",
  "created_at",
] as const;

// The posting path's queries, compiled once: every sale, deposit and refund runs them.
const transferById = prepared<{ id: string }>()((p) => db.selectFrom("transfers").select(TRANSFER_COLUMNS).where("id", "=", p.id));
const declinedById = prepared<{ id: string }>()((p) =>
  db.selectFrom("declined_transfers").select(["id", "debit_account_id", "credit_account_id", "amount_ore", "kind", "reference", "reason"]).where("id", "=", p.id),
);
const accountById = prepared<{ id: number }>()((p) =>
  db.selectFrom("ledger_accounts").select(["id", "allow_negative", "balance_ore", "debits_ore", "credits_ore"]).where("id", "=", p.id),
);
const balanceById = prepared<{ id: number }>()((p) => db.selectFrom("ledger_accounts").select("balance_ore").where("id", "=", p.id));
const insertDeclined = prepared<{
  id: string;
  debitAccountId: number;
  creditAccountId: number;
  amountOre: number;
  kind: TransferKind;
  reference: string | null;
  reason: TransferDeclineReason;
  createdAt: number;
}>()((p) =>
  db.insertInto("declined_transfers").values({
    id: p.id,
    debit_account_id: p.debitAccountId,
    credit_account_id: p.creditAccountId,
    amount_ore: p.amountOre,
    kind: p.kind,
    reference: p.reference,
    reason: p.reason,
    created_at: p.createdAt,
  }),
);
/** Compare-and-set on the balance read before: a concurrent change would make it touch no row. */
const updateAccount = prepared<{ id: number; balanceOre: number; debitsOre: number; creditsOre: number; balanceBeforeOre: number }>()((p) =>
  db
    .updateTable("ledger_accounts")
    .set({ balance_ore: p.balanceOre, debits_ore: p.debitsOre, credits_ore: p.creditsOre })
    .where("id", "=", p.id)
    .where("balance_ore", "=", p.balanceBeforeOre),
);
const insertTransfer = prepared<{
  id: string;
  debitAccountId: number;
  creditAccountId: number;
  amountOre: number;
  kind: TransferKind;
  reference: string | null;
  description: string | null;
  debitBalanceAfterOre: number;
  creditBalanceAfterOre: number;
  createdAt: number;
}>()((p) =>
  db
    .insertInto("transfers")
    .values({
      id: p.id,
      debit_account_id: p.debitAccountId,
      credit_account_id: p.creditAccountId,
      amount_ore: p.amountOre,
      kind: p.kind,
      reference: p.reference,
      description: p.description,
      debit_balance_after_ore: p.debitBalanceAfterOre,
      credit_balance_after_ore: p.creditBalanceAfterOre,
      created_at: p.createdAt,
    })
    .returning(TRANSFER_COLUMNS),
);

/** A stored transfer as the ledger reads it (Kysely's result type of the transfer queries). */
export type StoredTransfer = NonNullable<ReturnType<typeof transferById.first>>;

export function toTransfer(row: StoredTransfer): Transfer {
  return {
    seq: row.seq,
    id: row.id,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amountOre: row.amount_ore,
    kind: row.kind,
    reference: row.reference,
    description: row.description,
    debitBalanceAfterOre: row.debit_balance_after_ore,
    creditBalanceAfterOre: row.credit_balance_after_ore,
    createdAt: row.created_at,
  };
}

/** The fields that identify a movement; a replay must match all of them. */
function firstDifference(
  stored: { debit_account_id: number; credit_account_id: number; amount_ore: number; kind: string; reference: string | null },
  request: TransferRequest,
): string | null {
  if (stored.debit_account_id !== request.debitAccountId) return "debit account";
  if (stored.credit_account_id !== request.creditAccountId) return "credit account";
  if (stored.amount_ore !== request.amountOre) return "amount";
  if (stored.kind !== request.kind) return "kind";
  if (stored.reference !== (request.reference ?? null)) return "reference";
  return null;
}

export function findTransfer(tx: Tx, id: string): Transfer | undefined {
  const row = transferById.first(tx, { id });
  return row ? toTransfer(row) : undefined;
}

export function getBalance(tx: Tx, accountId: number): number | undefined {
  return balanceById.first(tx, { id: accountId })?.balance_ore;
}

/**
 * Posts one transfer. Checks run in a fixed order: request shape (programmer errors throw), idempotent replay,
 * accounts exist, sufficient funds. A decline is stored under the same id, so a retry returns the same decline.
 */
export function postTransfer(tx: WriteTx, request: TransferRequest, nowMs: number = Date.now()): TransferResult {
  assertInvariant(Number.isSafeInteger(request.amountOre) && request.amountOre > 0, `amount must be a positive integer number of øre, got ${request.amountOre}`);
  assertInvariant(request.debitAccountId !== request.creditAccountId, "a transfer needs two different accounts");
  assertInvariant(request.id.length > 0 && request.id.length <= 200, "transfer id must be 1–200 characters");

  const existing = transferById.first(tx, { id: request.id });
  if (existing) {
    const difference = firstDifference(existing, request);
    if (difference) throw new TransferConflictError(request.id, difference);
    return { status: "posted", transfer: toTransfer(existing), replayed: true };
  }
  const declined = declinedById.first(tx, { id: request.id });
  if (declined) {
    const difference = firstDifference(declined, request);
    if (difference) throw new TransferConflictError(request.id, difference);
    return { status: "declined", reason: declined.reason, replayed: true };
  }

  const debit = accountById.first(tx, { id: request.debitAccountId });
  const credit = accountById.first(tx, { id: request.creditAccountId });
  let reason: TransferDeclineReason | null = null;
  if (!debit) reason = "debit_account_not_found";
  else if (!credit) reason = "credit_account_not_found";
  else if (debit.allow_negative === 0 && debit.balance_ore < request.amountOre) reason = "insufficient_funds";
  if (reason || !debit || !credit) {
    insertDeclined.run(tx, {
      id: request.id,
      debitAccountId: request.debitAccountId,
      creditAccountId: request.creditAccountId,
      amountOre: request.amountOre,
      kind: request.kind,
      reference: request.reference ?? null,
      reason: reason!,
      createdAt: nowMs,
    });
    return { status: "declined", reason: reason!, replayed: false };
  }

  // Preconditions: the stored balances agree with their totals.
  assertInvariant(debit.balance_ore === debit.credits_ore - debit.debits_ore, `account ${debit.id} balance out of step with its totals`);
  assertInvariant(credit.balance_ore === credit.credits_ore - credit.debits_ore, `account ${credit.id} balance out of step with its totals`);

  const debitBalanceAfter = debit.balance_ore - request.amountOre;
  const creditBalanceAfter = credit.balance_ore + request.amountOre;
  const debitsAfter = debit.debits_ore + request.amountOre;
  const creditsAfter = credit.credits_ore + request.amountOre;
  // Postconditions, checked before anything is written.
  assertInvariant(Number.isSafeInteger(debitsAfter) && Number.isSafeInteger(creditsAfter), "account totals would overflow");
  assertInvariant(debit.allow_negative === 1 || debitBalanceAfter >= 0, `account ${debit.id} would go below zero`);

  const debitUpdate = updateAccount.run(tx, { id: debit.id, balanceOre: debitBalanceAfter, debitsOre: debitsAfter, creditsOre: debit.credits_ore, balanceBeforeOre: debit.balance_ore });
  const creditUpdate = updateAccount.run(tx, { id: credit.id, balanceOre: creditBalanceAfter, debitsOre: credit.debits_ore, creditsOre: creditsAfter, balanceBeforeOre: credit.balance_ore });
  assertInvariant(debitUpdate.changes === 1 && creditUpdate.changes === 1, "account changed under a running transfer");

  const row = insertTransfer.first(tx, {
    id: request.id,
    debitAccountId: request.debitAccountId,
    creditAccountId: request.creditAccountId,
    amountOre: request.amountOre,
    kind: request.kind,
    reference: request.reference ?? null,
    description: request.description ?? null,
    debitBalanceAfterOre: debitBalanceAfter,
    creditBalanceAfterOre: creditBalanceAfter,
    createdAt: nowMs,
  });
  assertInvariant(row !== undefined, "the transfer insert returned no row");
  return { status: "posted", transfer: toTransfer(row), replayed: false };
}

/**
 * Posts a transfer that cannot be declined by the rules of the movement it records: money from a system account that
 * may go negative (acquirer clearing, canteen revenue, payout clearing) into an account that exists. A decline here is
 * a bug, not an answer: it is raised as a LedgerInvariantError naming the transfer and the reason, and the caller's
 * savepoint is rolled back with everything else of the job.
 */
export function postSystemTransfer(tx: WriteTx, request: TransferRequest, nowMs: number = Date.now()): Transfer {
  const posted = postTransfer(tx, request, nowMs);
  if (posted.status !== "posted") throw new LedgerInvariantError(`${request.kind} transfer ${request.id} was declined (${posted.reason}); a system transfer cannot be declined`);
  return posted.transfer;
}

export interface NewAccount {
  kind: LedgerAccountKind;
  name: string;
  code?: string | null;
  ownerUserId?: number | null;
}

/** Opens a ledger account at zero. Cardholder accounts may never go below zero; system accounts may. */
export function openAccount(tx: WriteTx, account: NewAccount, nowMs: number = Date.now()): number {
  const allowNegative = account.kind === "cardholder" ? 0 : 1;
  const result = tx.run(
    db.insertInto("ledger_accounts").values({
      kind: account.kind,
      code: account.code ?? null,
      name: account.name,
      owner_user_id: account.ownerUserId ?? null,
      allow_negative: allowNegative,
      balance_ore: 0,
      debits_ore: 0,
      credits_ore: 0,
      created_at: nowMs,
    }),
  );
  return result.lastInsertRowid;
}

/**
 * The system accounts, by code. `bank_payouts` is the edge where paid-out money leaves for the bank; it is of the
 * payout-clearing kind, so that payout clearing itself holds exactly the payouts still waiting for a decision.
 */
const SYSTEM_ACCOUNTS = {
  acquirer_clearing: { kind: "acquirer_clearing", name: "Acquirer clearing" },
  payout_clearing: { kind: "payout_clearing", name: "Payout clearing" },
  bank_payouts: { kind: "payout_clearing", name: "Paid out to banks" },
  corrections: { kind: "corrections", name: "Corrections" },
} as const;

/** The id of the system account with this code, opened on first use. */
export function systemAccount(tx: WriteTx, code: keyof typeof SYSTEM_ACCOUNTS, nowMs: number = Date.now()): number {
  const row = tx.first(db.selectFrom("ledger_accounts").select("id").where("code", "=", code));
  if (row) return row.id;
  const account = SYSTEM_ACCOUNTS[code];
  return openAccount(tx, { kind: account.kind, code, name: account.name }, nowMs);
}
