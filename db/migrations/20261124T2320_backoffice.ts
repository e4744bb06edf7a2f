// Back office: an append-only audit log of staff actions, and card replacement history.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      actor_user_id INTEGER REFERENCES users(id),
      actor_label TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT,
      details_json TEXT,
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX audit_log_created ON audit_log(created_at)`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
  await sql`ALTER TABLE cards ADD COLUMN replaced_by_card_id INTEGER REFERENCES cards(id)`.execute(db);
  await sql`CREATE UNIQUE INDEX users_staff_email ON users(email) WHERE role IN ('staff', 'admin')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX IF EXISTS users_staff_email`.execute(db);
  await sql`ALTER TABLE cards DROP COLUMN replaced_by_card_id`.execute(db);
  await sql`DROP TABLE IF EXISTS audit_log`.execute(db);
}
