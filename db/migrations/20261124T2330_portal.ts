// Cardholder portal: sessions (token hashes only), login attempts, password-reset tokens, mail outbox, support cases, photos.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sessions (
      -- SHA-256 (hex) of the session token; the token itself lives only in the user's cookie.
      id TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      expires_at INTEGER NOT NULL,
      absolute_expires_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX sessions_user ON sessions(user_id)`.execute(db);

  await sql`
    CREATE TABLE login_attempts (
      id INTEGER PRIMARY KEY,
      username TEXT NOT NULL,
      client_address TEXT,
      success INTEGER NOT NULL CHECK (success IN (0, 1)),
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX login_attempts_username ON login_attempts(username, created_at)`.execute(db);
  await sql`CREATE INDEX login_attempts_address ON login_attempts(client_address, created_at)`.execute(db);

  await sql`
    CREATE TABLE password_reset_tokens (
      token_hash TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      expires_at INTEGER NOT NULL,
      used_at INTEGER,
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE outbox (
      id INTEGER PRIMARY KEY,
      recipient TEXT NOT NULL,
      subject TEXT NOT NULL,
      body_text TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE support_cases (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      name TEXT NOT NULL,
      email TEXT NOT NULL,
      phone TEXT,
      description TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('open','closed')),
      created_at INTEGER NOT NULL,
      closed_at INTEGER
    )`.execute(db);

  await sql`
    CREATE TABLE user_photos (
      user_id INTEGER PRIMARY KEY REFERENCES users(id),
      mime TEXT NOT NULL,
      bytes BLOB NOT NULL,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["user_photos", "support_cases", "outbox", "password_reset_tokens", "login_attempts", "sessions"]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
