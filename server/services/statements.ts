// Kontoudtog: an account's statement by Copenhagen month, both directions of every movement, with Danish texts per kind.
import { db } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";
import type { ExpressionBuilder } from "kysely";
import type { Database } from "../../db/schema.ts";
import { copenhagenMidnight } from "../../common/calendar.ts";

export interface StatementLine {
  seq: number;
  createdAt: number;
  kind: string;
  text: string;
  amountOre: number;
  balanceAfterOre: number;
}

export interface StatementMonth {
  accountName: string;
  cardNumber: string;
  year: number;
  month: number;
  openingBalanceOre: number;
  closingBalanceOre: number;
  totalInOre: number;
  totalOutOre: number;
  lines: StatementLine[];
}

const kindTexts: Record<string, string> = {
  deposit: "Indbetaling",
  auto_top_up: "Auto-optankning",
  payout: "Udbetaling",
  transfer: "Overførsel",
  refund: "Refusion",
  correction: "Korrektion",
  sale: "Køb",
  order: "Webshop",
};

/** Transfers that move money on the account, either way. */
function movesAccount(accountId: number) {
  return (eb: ExpressionBuilder<Database, "transfers">) => eb.or([eb("debit_account_id", "=", accountId), eb("credit_account_id", "=", accountId)]);
}

/** Months (Copenhagen calendar) with at least one movement, newest first. */
export function statementMonths(tx: Tx, accountId: number): Array<{ year: number; month: number }> {
  const rows = tx.all(db.selectFrom("transfers").select("created_at").where(movesAccount(accountId)).orderBy("seq", "desc"));
  const seen = new Map<string, { year: number; month: number }>();
  const formatter = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit" });
  for (const row of rows) {
    const [year, month] = formatter.format(new Date(row.created_at)).split("-").map(Number) as [number, number];
    const key = `${year}-${month}`;
    if (!seen.has(key)) seen.set(key, { year, month });
  }
  return [...seen.values()].sort((a, b) => b.year - a.year || b.month - a.month);
}

export function statementMonth(tx: Tx, accountId: number, year: number, month: number): StatementMonth {
  const from = copenhagenMidnight(year, month, 1);
  const to = copenhagenMidnight(year, month + 1, 1);
  const account = tx.first(
    db
      .selectFrom("ledger_accounts as a")
      .select((eb) => [
        "a.name",
        eb
          .selectFrom("cards as c")
          .select("c.card_number")
          .whereRef("c.account_id", "=", "a.id")
          .orderBy((inner) => inner("c.status", "=", "active"), "desc")
          .orderBy("c.id", "desc")
          .limit(1)
          .as("card_number"),
      ])
      .where("a.id", "=", accountId),
  )!;
  const rows = tx.all(
    db
      .selectFrom("transfers")
      .select(["seq", "created_at", "kind", "description", "amount_ore", "debit_account_id", "debit_balance_after_ore", "credit_balance_after_ore"])
      .where(movesAccount(accountId))
      .where("created_at", ">=", from)
      .where("created_at", "<", to)
      .orderBy("seq"),
  );
  const lines = rows.map((row) => {
    const outgoing = row.debit_account_id === accountId;
    return {
      seq: row.seq,
      createdAt: row.created_at,
      kind: row.kind,
      text: row.description ?? kindTexts[row.kind] ?? row.kind,
      amountOre: outgoing ? -row.amount_ore : row.amount_ore,
      balanceAfterOre: outgoing ? row.debit_balance_after_ore : row.credit_balance_after_ore,
    };
  });
  // The balance before the month: the last movement before it, or zero. Asked of each side's index apart (an OR of
  // the two sides read and sorted the card's whole history for one row, issue 27), the later of the two wins.
  const lastDebit = tx.first(
    db
      .selectFrom("transfers")
      .select(["seq", "debit_balance_after_ore as balance_after_ore"])
      .where("debit_account_id", "=", accountId)
      .where("created_at", "<", from)
      .orderBy("created_at", "desc")
      .orderBy("seq", "desc")
      .limit(1),
  );
  const lastCredit = tx.first(
    db
      .selectFrom("transfers")
      .select(["seq", "credit_balance_after_ore as balance_after_ore"])
      .where("credit_account_id", "=", accountId)
      .where("created_at", "<", from)
      .orderBy("created_at", "desc")
      .orderBy("seq", "desc")
      .limit(1),
  );
  const before = lastDebit && lastCredit ? (lastDebit.seq > lastCredit.seq ? lastDebit : lastCredit) : (lastDebit ?? lastCredit);
  const openingBalanceOre = before?.balance_after_ore ?? 0;
  return {
    accountName: account.name,
    cardNumber: account.card_number ?? "",
    year,
    month,
    openingBalanceOre,
    closingBalanceOre: lines.length > 0 ? lines[lines.length - 1]!.balanceAfterOre : openingBalanceOre,
    totalInOre: lines.filter((line) => line.amountOre > 0).reduce((sum, line) => sum + line.amountOre, 0),
    totalOutOre: lines.filter((line) => line.amountOre < 0).reduce((sum, line) => sum - line.amountOre, 0),
    lines,
  };
}
