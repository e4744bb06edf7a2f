// Cardholders in name order, per tenant (issue 27): a search that matches thousands (a common surname at 100,000
// cardholders) walks this index and stops after its page, instead of sorting every match by name.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX users_cardholder_name ON users(tenant_id, role, lower(name), id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX users_cardholder_name`.execute(db);
}
