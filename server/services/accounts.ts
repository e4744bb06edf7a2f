// Konti: the accounts a cardholder may act on with their current card, the balance stream's backfill, and "Spær kort".
import { db, prepared } from "../../db/query.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";
import type { BalanceEvent } from "../events/bus.ts";
import { balanceEventsOf } from "../ledger/events.ts";
import { toTransfer, TRANSFER_COLUMNS } from "../ledger/ledger.ts";
import { actableAccount, actableAccounts } from "./access.ts";

export interface AccountSummary {
  accountId: number;
  name: string;
  cardNumber: string;
  balanceOre: number;
  status: "active" | "blocked";
  /**
   * Set only on an account the user acts on as guardian (a child's): its holder, whose name the portal shows with
   * the account's. The user's own accounts have none, so their shape is as it was before guardians.
   */
  holder?: { name: string | null };
}

// Run once per account on every Konti view, so compiled once. An active card first, then the newest.
const currentCardOfAccount = prepared<{ accountId: number }>()((p) =>
  db
    .selectFrom("cards")
    .select(["card_number", "status"])
    .where("account_id", "=", p.accountId)
    .orderBy((eb) => eb("status", "=", "active"), "desc")
    .orderBy("id", "desc")
    .limit(1),
);

/** Konti: every account the user may act on (see server/services/access.ts), their own first. */
export function listAccounts(tx: Tx, userId: number): AccountSummary[] {
  // One line per account, showing its current card (a replaced card's successor).
  return actableAccounts(tx, userId).map((account) => {
    const current = currentCardOfAccount.first(tx, { accountId: account.accountId });
    return {
      accountId: account.accountId,
      name: account.name,
      cardNumber: current?.card_number ?? "",
      balanceOre: account.balanceOre,
      status: current?.status ?? "blocked",
      ...(account.own ? {} : { holder: { name: account.holderName } }),
    };
  });
}

/** A place in the balance stream: after the event of `accountId` in transfer `seq` (accountId Infinity = after the whole transfer). */
export interface StreamPosition {
  seq: number;
  accountId: number;
}

export function isAfterPosition(event: BalanceEvent, position: StreamPosition): boolean {
  return event.seq > position.seq || (event.seq === position.seq && event.accountId > position.accountId);
}

/**
 * One page of committed balance events for the given accounts after `position`, in stream order (seq, then account).
 * `nextSeq` is where the next page starts, or null when this page reached the end of the table.
 */
export function balanceEventsAfter(tx: Tx, accountIds: readonly number[], position: StreamPosition, pageTransfers: number): { events: BalanceEvent[]; nextSeq: number | null } {
  if (accountIds.length === 0) return { events: [], nextSeq: null };
  const owned = new Set(accountIds);
  // The number of accounts varies per user, so this cannot be one prepared statement; bun:sqlite still caches the
  // statement per SQL text, which is the same for every user with the same number of accounts.
  const ids = [...accountIds];
  const rows = tx.all(
    db
      .selectFrom("transfers")
      .select(TRANSFER_COLUMNS)
      .where("seq", ">=", position.seq)
      .where((eb) => eb.or([eb("debit_account_id", "in", ids), eb("credit_account_id", "in", ids)]))
      .orderBy("seq")
      .limit(pageTransfers),
  );
  const events = rows
    .flatMap((row) => balanceEventsOf(toTransfer(row)))
    .filter((event) => owned.has(event.accountId) && isAfterPosition(event, position))
    .sort((a, b) => a.seq - b.seq || a.accountId - b.accountId);
  return { events, nextSeq: rows.length === pageTransfers ? rows[rows.length - 1]!.seq + 1 : null };
}

/** "Spær kort": blocks every card on the account at once; the next sale at a till is declined. */
export function blockAccountCards(tx: WriteTx, userId: number, accountId: number): AccountSummary | null {
  if (!actableAccount(tx, userId, accountId)) return null;
  // Recorded as the holder's (or a guardian's) own block: staff may then neither reopen nor replace the card.
  tx.run(
    db
      .updateTable("cards")
      .set((eb) => ({ status: "blocked", blocked_by: eb.case().when("user_id", "=", userId).then("holder").else("guardian").end().$castTo<"holder" | "guardian">() }))
      .where("account_id", "=", accountId),
  );
  return listAccounts(tx, userId).find((account) => account.accountId === accountId) ?? null;
}
