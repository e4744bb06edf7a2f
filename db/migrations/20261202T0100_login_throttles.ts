// Login throttling without lock-outs: one row per account under guessing and one per failing client address,
// instead of a row per attempt (a flood of made-up card numbers adds at most one row per address).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE login_throttles (
      -- 'user': an account's failures since its last sign-in or password reset (subject = user id);
      -- 'address': a client address's failures in its current 15-minute window (subject = the address).
      scope TEXT NOT NULL CHECK (scope IN ('user', 'address')),
      subject TEXT NOT NULL,
      failures INTEGER NOT NULL CHECK (failures >= 0),
      first_failure_at INTEGER NOT NULL,
      last_failure_at INTEGER NOT NULL,
      PRIMARY KEY (scope, subject)
    ) WITHOUT ROWID`.execute(db);
  // The retention purge deletes rows whose last failure is old.
  await sql`CREATE INDEX login_throttles_last_failure ON login_throttles(last_failure_at)`.execute(db);
  // The purge of old attempts and of sessions by age.
  await sql`CREATE INDEX login_attempts_created ON login_attempts(created_at)`.execute(db);
  await sql`CREATE INDEX sessions_expires ON sessions(expires_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX sessions_expires`.execute(db);
  await sql`DROP INDEX login_attempts_created`.execute(db);
  await sql`DROP TABLE login_throttles`.execute(db);
}
