// The one rule for which ledger accounts a signed-in cardholder may act on: their own, and their children's as guardian.
import type { Tx } from "../../db/tx.ts";

/**
 * The cardholder accounts that user `?1` may act on: the accounts they own, and the accounts of the cardholders they
 * are guardian of within their own tenant. Every portal check (Konti, Indbetal, Overfør, Udbetal, Kontoudtog,
 * Webshop, Spær kort, support, the live balance stream) goes through this one query, so the rule cannot drift
 * between pages. The tenant is compared here too, not only when the link is made, so a link that somehow crossed
 * schools still grants nothing. A guardian link is one-way: the child gains nothing on the guardian's accounts.
 */
const ACTABLE_ACCOUNTS_SQL = `
  SELECT a.id AS account_id, a.name, a.balance_ore, a.owner_user_id, holder.name AS holder_name
  FROM ledger_accounts a
  JOIN users holder ON holder.id = a.owner_user_id AND holder.role = 'cardholder'
  JOIN users me ON me.id = ?1 AND me.role = 'cardholder' AND me.tenant_id = holder.tenant_id
  WHERE a.kind = 'cardholder'
    AND (a.owner_user_id = me.id
         OR EXISTS (SELECT 1 FROM guardians g WHERE g.guardian_user_id = me.id AND g.child_user_id = a.owner_user_id))`;

export interface ActableAccount {
  accountId: number;
  name: string;
  balanceOre: number;
  /** The cardholder who owns the account: the user themselves, or a child they are guardian of. */
  holderUserId: number;
  holderName: string | null;
  /** False for a child's account, which the portal labels with the holder's name. */
  own: boolean;
}

interface ActableRow {
  account_id: number;
  name: string;
  balance_ore: number;
  owner_user_id: number;
  holder_name: string | null;
}

function toActable(row: ActableRow, userId: number): ActableAccount {
  return { accountId: row.account_id, name: row.name, balanceOre: row.balance_ore, holderUserId: row.owner_user_id, holderName: row.holder_name, own: row.owner_user_id === userId };
}

/** Every account the user may act on: their own first, then their children's, each in account order. */
export function actableAccounts(tx: Tx, userId: number): ActableAccount[] {
  const rows = tx.sqlite.query(`${ACTABLE_ACCOUNTS_SQL} ORDER BY a.owner_user_id <> ?1, a.id`).all(userId) as ActableRow[];
  return rows.map((row) => toActable(row, userId));
}

/** The account if the user may act on it, else null (unknown, a stranger's, another tenant's, or a system account). */
export function actableAccount(tx: Tx, userId: number, accountId: number): ActableAccount | null {
  const row = tx.sqlite.query(`${ACTABLE_ACCOUNTS_SQL} AND a.id = ?2`).get(userId, accountId) as ActableRow | null;
  return row ? toActable(row, userId) : null;
}

export function actableAccountIds(tx: Tx, userId: number): number[] {
  return actableAccounts(tx, userId).map((account) => account.accountId);
}
