// An index on a till's sales by time: the browser till (Kasse) lists today's sales of its own terminal.
import { sql, type Kysely } from "kysely";

// Without it, every refresh of "Dagens salg" at every till scanned the whole sales table, which grows with each sale.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX sales_terminal_created ON sales(terminal_id, created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX sales_terminal_created`.execute(db);
}
