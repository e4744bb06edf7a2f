// A cardholder account can never be marked as allowed to go negative, so the balance CHECK always applies to it.
import { sql, type Kysely } from "kysely";

// The foundation's CHECKs say "non-cardholder accounts allow negative balances" and "balance ≥ 0 unless allowed";
// nothing stopped a cardholder account from carrying allow_negative = 1, which would switch its floor off. SQLite
// cannot add a CHECK to an existing table without rebuilding it, so triggers close the gap for inserts and updates.
export async function up(db: Kysely<any>): Promise<void> {
  // A database that already holds such an account is broken: say so rather than guard it from now on only.
  const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ledger_accounts WHERE kind = 'cardholder' AND allow_negative <> 0`.execute(db);
  if (Number(rows[0]?.n ?? 0) > 0) throw new Error(`${rows[0]!.n} cardholder account(s) allow a negative balance; fix them before migrating`);
  await sql`
    CREATE TRIGGER ledger_accounts_cardholder_floor_insert BEFORE INSERT ON ledger_accounts
    WHEN NEW.kind = 'cardholder' AND NEW.allow_negative <> 0
    BEGIN SELECT RAISE(ABORT, 'a cardholder account may never allow a negative balance'); END`.execute(db);
  await sql`
    CREATE TRIGGER ledger_accounts_cardholder_floor_update BEFORE UPDATE OF kind, allow_negative ON ledger_accounts
    WHEN NEW.kind = 'cardholder' AND NEW.allow_negative <> 0
    BEGIN SELECT RAISE(ABORT, 'a cardholder account may never allow a negative balance'); END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER ledger_accounts_cardholder_floor_update`.execute(db);
  await sql`DROP TRIGGER ledger_accounts_cardholder_floor_insert`.execute(db);
}
