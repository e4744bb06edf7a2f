// The money core: posts double-entry transfers idempotently and keeps account balances in step, inside the caller's write transaction.
import type { Tx, WriteTx } from "../../db/tx.ts";
import type { TransferKind } from "../../db/schema.ts";

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

export type TransferDeclineReason = "debit_account_not_found" | "credit_account_not_found" | "insufficient_funds";

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

interface TransferRow {
  seq: number;
  id: string;
  debit_account_id: number;
  credit_account_id: number;
  amount_ore: number;
  kind: TransferKind;
  reference: string | null;
  description: string | null;
  debit_balance_after_ore: number;
  credit_balance_after_ore: number;
  created_at: number;
}

interface DeclinedRow {
  id: string;
  debit_account_id: number;
  credit_account_id: number;
  amount_ore: number;
  kind: TransferKind;
  reference: string | null;
  reason: TransferDeclineReason;
}

interface AccountRow {
  id: number;
  allow_negative: number;
  balance_ore: number;
  debits_ore: number;
  credits_ore: number;
}

const TRANSFER_COLUMNS =
  "seq, id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at";

export function toTransfer(row: TransferRow): Transfer {
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
  const row = tx.sqlite.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ?`).get(id) as TransferRow | null;
  return row ? toTransfer(row) : undefined;
}

export function getBalance(tx: Tx, accountId: number): number | undefined {
  const row = tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number } | null;
  return row?.balance_ore;
}

/**
 * Posts one transfer. Checks run in a fixed order: request shape (programmer errors throw), idempotent replay,
 * accounts exist, sufficient funds. A decline is stored under the same id, so a retry returns the same decline.
 */
export function postTransfer(tx: WriteTx, request: TransferRequest, nowMs: number = Date.now()): TransferResult {
  assertInvariant(Number.isSafeInteger(request.amountOre) && request.amountOre > 0, `amount must be a positive integer number of øre, got ${request.amountOre}`);
  assertInvariant(request.debitAccountId !== request.creditAccountId, "a transfer needs two different accounts");
  assertInvariant(request.id.length > 0 && request.id.length <= 200, "transfer id must be 1–200 characters");

  const existing = tx.sqlite.query(`SELECT ${TRANSFER_COLUMNS} FROM transfers WHERE id = ?`).get(request.id) as TransferRow | null;
  if (existing) {
    const difference = firstDifference(existing, request);
    if (difference) throw new TransferConflictError(request.id, difference);
    return { status: "posted", transfer: toTransfer(existing), replayed: true };
  }
  const declined = tx.sqlite
    .query("SELECT id, debit_account_id, credit_account_id, amount_ore, kind, reference, reason FROM declined_transfers WHERE id = ?")
    .get(request.id) as DeclinedRow | null;
  if (declined) {
    const difference = firstDifference(declined, request);
    if (difference) throw new TransferConflictError(request.id, difference);
    return { status: "declined", reason: declined.reason, replayed: true };
  }

  const accountQuery = tx.sqlite.query("SELECT id, allow_negative, balance_ore, debits_ore, credits_ore FROM ledger_accounts WHERE id = ?");
  const debit = accountQuery.get(request.debitAccountId) as AccountRow | null;
  const credit = accountQuery.get(request.creditAccountId) as AccountRow | null;
  let reason: TransferDeclineReason | null = null;
  if (!debit) reason = "debit_account_not_found";
  else if (!credit) reason = "credit_account_not_found";
  else if (debit.allow_negative === 0 && debit.balance_ore < request.amountOre) reason = "insufficient_funds";
  if (reason || !debit || !credit) {
    tx.sqlite
      .query("INSERT INTO declined_transfers (id, debit_account_id, credit_account_id, amount_ore, kind, reference, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(request.id, request.debitAccountId, request.creditAccountId, request.amountOre, request.kind, request.reference ?? null, reason!, nowMs);
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

  const update = tx.sqlite.query(
    "UPDATE ledger_accounts SET balance_ore = ?, debits_ore = ?, credits_ore = ? WHERE id = ? AND balance_ore = ?",
  );
  const debitUpdate = update.run(debitBalanceAfter, debitsAfter, debit.credits_ore, debit.id, debit.balance_ore);
  const creditUpdate = update.run(creditBalanceAfter, credit.debits_ore, creditsAfter, credit.id, credit.balance_ore);
  assertInvariant(debitUpdate.changes === 1 && creditUpdate.changes === 1, "account changed under a running transfer");

  const row = tx.sqlite
    .query(
      `INSERT INTO transfers (id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${TRANSFER_COLUMNS}`,
    )
    .get(
      request.id,
      request.debitAccountId,
      request.creditAccountId,
      request.amountOre,
      request.kind,
      request.reference ?? null,
      request.description ?? null,
      debitBalanceAfter,
      creditBalanceAfter,
      nowMs,
    ) as TransferRow;
  return { status: "posted", transfer: toTransfer(row), replayed: false };
}

export interface LedgerCheckResult {
  ok: boolean;
  violations: string[];
  accounts: number;
  transfers: number;
  /** Sum of every account's balance; 0 when money is conserved. */
  balanceSumOre: number;
  /** What the canteen owes its cardholders: the sum of cardholder balances. */
  cardholderLiabilityOre: number;
}

/**
 * Verifies the ledger's invariants in one snapshot: balances sum to zero, each balance equals credits − debits
 * and the sum of its transfers, and no account that must stay non-negative is below zero.
 */
export function checkLedger(tx: Tx): LedgerCheckResult {
  const violations: string[] = [];
  const totals = tx.sqlite
    .query(
      `SELECT COUNT(*) AS accounts, COALESCE(SUM(balance_ore), 0) AS balance_sum,
              COALESCE(SUM(CASE WHEN kind = 'cardholder' THEN balance_ore ELSE 0 END), 0) AS liability
       FROM ledger_accounts`,
    )
    .get() as { accounts: number; balance_sum: number; liability: number };
  if (totals.balance_sum !== 0) violations.push(`sum of all balances is ${totals.balance_sum} øre, not 0`);

  const mismatches = tx.sqlite
    .query(
      `SELECT a.id, a.kind, a.allow_negative, a.balance_ore, a.debits_ore, a.credits_ore,
              COALESCE(d.total, 0) AS transfer_debits, COALESCE(c.total, 0) AS transfer_credits
       FROM ledger_accounts a
       LEFT JOIN (SELECT debit_account_id AS id, SUM(amount_ore) AS total FROM transfers GROUP BY debit_account_id) d ON d.id = a.id
       LEFT JOIN (SELECT credit_account_id AS id, SUM(amount_ore) AS total FROM transfers GROUP BY credit_account_id) c ON c.id = a.id
       WHERE a.balance_ore <> a.credits_ore - a.debits_ore
          OR a.debits_ore <> COALESCE(d.total, 0)
          OR a.credits_ore <> COALESCE(c.total, 0)
          OR (a.allow_negative = 0 AND a.balance_ore < 0)
          OR (a.kind = 'cardholder' AND a.balance_ore < 0)`,
    )
    .all() as Array<{
    id: number;
    kind: string;
    allow_negative: number;
    balance_ore: number;
    debits_ore: number;
    credits_ore: number;
    transfer_debits: number;
    transfer_credits: number;
  }>;
  for (const account of mismatches) {
    if (account.balance_ore !== account.credits_ore - account.debits_ore)
      violations.push(`account ${account.id}: balance ${account.balance_ore} ≠ credits ${account.credits_ore} − debits ${account.debits_ore}`);
    if (account.debits_ore !== account.transfer_debits)
      violations.push(`account ${account.id}: debits ${account.debits_ore} ≠ sum of debit transfers ${account.transfer_debits}`);
    if (account.credits_ore !== account.transfer_credits)
      violations.push(`account ${account.id}: credits ${account.credits_ore} ≠ sum of credit transfers ${account.transfer_credits}`);
    if (account.balance_ore < 0 && (account.allow_negative === 0 || account.kind === "cardholder"))
      violations.push(`account ${account.id} (${account.kind}) is below zero: ${account.balance_ore}`);
  }
  const transferCount = (tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers").get() as { n: number }).n;
  return {
    ok: violations.length === 0,
    violations,
    accounts: totals.accounts,
    transfers: transferCount,
    balanceSumOre: totals.balance_sum,
    cardholderLiabilityOre: totals.liability,
  };
}

export interface NewAccount {
  kind: import("../../db/schema.ts").LedgerAccountKind;
  name: string;
  code?: string | null;
  ownerUserId?: number | null;
}

/** Opens a ledger account at zero. Cardholder accounts may never go below zero; system accounts may. */
export function openAccount(tx: WriteTx, account: NewAccount, nowMs: number = Date.now()): number {
  const allowNegative = account.kind === "cardholder" ? 0 : 1;
  const result = tx.sqlite
    .query(
      "INSERT INTO ledger_accounts (kind, code, name, owner_user_id, allow_negative, balance_ore, debits_ore, credits_ore, created_at) VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?)",
    )
    .run(account.kind, account.code ?? null, account.name, account.ownerUserId ?? null, allowNegative, nowMs);
  return Number(result.lastInsertRowid);
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
  const row = tx.sqlite.query("SELECT id FROM ledger_accounts WHERE code = ?").get(code) as { id: number } | null;
  if (row) return row.id;
  const account = SYSTEM_ACCOUNTS[code];
  return openAccount(tx, { kind: account.kind, code, name: account.name }, nowMs);
}
