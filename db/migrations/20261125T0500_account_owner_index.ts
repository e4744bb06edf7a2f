// An index on the owner of ledger accounts: every portal request and live stream asks which accounts a user may act on.
import { sql, type Kysely } from "kysely";

// Without it, that question scanned every ledger account: with thousands of cardholders, each portal request and each
// stream's re-check paid for the whole table.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX ledger_accounts_owner ON ledger_accounts(owner_user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX ledger_accounts_owner`.execute(db);
}
