// Guardians: a cardholder (e.g. a parent) who may act on the card accounts of other cardholders (their children).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // One row per guardian and child. The CHECK keeps a user from being their own guardian; that the two share a
  // tenant is checked by the back office when it links them, and again by every access query.
  await sql`CREATE TABLE guardians (
    guardian_user_id INTEGER NOT NULL REFERENCES users(id),
    child_user_id INTEGER NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (guardian_user_id, child_user_id),
    CHECK (guardian_user_id <> child_user_id)
  )`.execute(db);
  // The primary key serves "whose guardian am I"; this index serves "who are this child's guardians" (back-office search).
  await sql`CREATE INDEX guardians_child ON guardians(child_user_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS guardians_child`.execute(db);
  await sql`DROP TABLE guardians`.execute(db);
}
