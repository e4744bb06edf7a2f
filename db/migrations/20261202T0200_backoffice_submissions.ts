// Back-office creates are idempotent per form submission: the first answer of each (staff member, procedure, form key).
import { sql, type Kysely } from "kysely";

// key_hash: SHA-256 of the staff member, the procedure and the client's form key (the key itself is never stored).
// request_mac: HMAC of the input under the form key, so the same key with other input is refused.
// sealed_answer: the first answer, AES-256-GCM under a key derived from the form key: a one-time code or device key in
// it can be opened only by whoever holds the form key (the browser that submitted), never from the database alone.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE backoffice_submissions (
      key_hash TEXT PRIMARY KEY,
      actor_user_id INTEGER NOT NULL REFERENCES users(id),
      procedure TEXT NOT NULL,
      request_mac TEXT NOT NULL,
      sealed_answer TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);
  // Rows older than a day are purged on every new submission; the index keeps that cheap.
  await sql`CREATE INDEX backoffice_submissions_created ON backoffice_submissions(created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX backoffice_submissions_created`.execute(db);
  await sql`DROP TABLE backoffice_submissions`.execute(db);
}
