// The one rule for which ledger accounts a signed-in cardholder may act on: their own, and their children's as guardian.
import { db, prepared } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";

/**
 * The cardholder accounts that a user may act on: the accounts they own, and the accounts of the cardholders they
 * are guardian of within their own tenant. Every portal check (Konti, Indbetal, Overfør, Udbetal, Kontoudtog,
 * Webshop, Spær kort, support, the live balance stream) goes through this one query, so the rule cannot drift
 * between pages. The tenant is compared here too, not only when the link is made, so a link that somehow crossed
 * schools still grants nothing. A guardian link is one-way: the child gains nothing on the guardian's accounts.
 */
function actableAccountsQuery(userId: number) {
  return (
    db
      .selectFrom("ledger_accounts as a")
      .innerJoin("users as holder", (join) => join.onRef("holder.id", "=", "a.owner_user_id").on("holder.role", "=", "cardholder"))
      .innerJoin("users as me", (join) => join.on("me.id", "=", userId).on("me.role", "=", "cardholder").onRef("me.tenant_id", "=", "holder.tenant_id"))
      .select(["a.id as account_id", "a.name", "a.balance_ore", "a.owner_user_id", "holder.name as holder_name"])
      .where("a.kind", "=", "cardholder")
      // Both sides name the owner by the user's id itself (not through the joined "me"), so SQLite looks the accounts up
      // by the owner index, the own ones and the children's: with a correlated EXISTS it scanned every account of the
      // database on each call (1.2 ms at 10,000 cardholders, and each live stream asks on connect; now ~26 µs).
      .where((eb) =>
        eb.or([
          eb("a.owner_user_id", "=", userId),
          eb("a.owner_user_id", "in", eb.selectFrom("guardians as g").select("g.child_user_id").where("g.guardian_user_id", "=", userId)),
        ]),
      )
      // The join on the holder makes the owner present.
      .$narrowType<{ owner_user_id: number }>()
  );
}

// Both run on every portal request, every checkout and every live-stream re-check, so they are compiled once.
const allActable = prepared<{ userId: number }>()((p) =>
  actableAccountsQuery(p.userId)
    .orderBy((eb) => eb("a.owner_user_id", "<>", eb.ref("me.id")))
    .orderBy("a.id"),
);
const oneActable = prepared<{ userId: number; accountId: number }>()((p) => actableAccountsQuery(p.userId).where("a.id", "=", p.accountId));

/** For the query-plan test (server/services/query-plans.test.ts): these must never scan a table. */
export const actableQueries = { all: allActable, one: oneActable };

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

function toActable(row: NonNullable<ReturnType<typeof oneActable.first>>, userId: number): ActableAccount {
  return { accountId: row.account_id, name: row.name, balanceOre: row.balance_ore, holderUserId: row.owner_user_id, holderName: row.holder_name, own: row.owner_user_id === userId };
}

/** Every account the user may act on: their own first, then their children's, each in account order. */
export function actableAccounts(tx: Tx, userId: number): ActableAccount[] {
  return allActable.all(tx, { userId }).map((row) => toActable(row, userId));
}

/** The account if the user may act on it, else null (unknown, a stranger's, another tenant's, or a system account). */
export function actableAccount(tx: Tx, userId: number, accountId: number): ActableAccount | null {
  const row = oneActable.first(tx, { userId, accountId });
  return row ? toActable(row, userId) : null;
}

export function actableAccountIds(tx: Tx, userId: number): number[] {
  return actableAccounts(tx, userId).map((account) => account.accountId);
}
