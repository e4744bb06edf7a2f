// Login attempts refused while a card or address was locked are logged too, marked so they never extend a lock.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE login_attempts ADD COLUMN refused INTEGER NOT NULL DEFAULT 0 CHECK (refused IN (0, 1))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE login_attempts DROP COLUMN refused`.execute(db);
}
