// Operations: the history of database backups (the back office shows the last result) and the readiness probe's row.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // One row per backup attempt, scheduled or by `npm run backup`; the server keeps the newest few hundred only.
  await sql`
    CREATE TABLE backups (
      id INTEGER PRIMARY KEY,
      started_at INTEGER NOT NULL,
      finished_at INTEGER NOT NULL,
      trigger TEXT NOT NULL CHECK (trigger IN ('scheduled', 'manual')),
      ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
      -- The backup file's name (no directory) and size; the reason when it failed.
      file TEXT,
      bytes INTEGER,
      error TEXT
    )`.execute(db);
  await sql`CREATE INDEX backups_ok_finished ON backups(ok, finished_at)`.execute(db);
  // One row that /readyz rewrites, so that readiness proves the database takes a commit; it never grows.
  await sql`CREATE TABLE ops_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE ops_heartbeat`.execute(db);
  await sql`DROP INDEX backups_ok_finished`.execute(db);
  await sql`DROP TABLE backups`.execute(db);
}
