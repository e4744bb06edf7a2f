// Money in and out: card payments through the acquirer, automatic top-up agreements, and payout requests.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE payments (
      id TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      -- The client's idempotency key, unique per user: a double-clicked "Næste" starts one payment.
      idempotency_key TEXT NOT NULL,
      purpose TEXT NOT NULL CHECK (purpose IN ('deposit','auto_top_up_setup','auto_top_up')),
      amount_ore INTEGER NOT NULL CHECK (amount_ore > 0),
      receipt_email TEXT,
      status TEXT NOT NULL CHECK (status IN ('pending','captured','declined','failed')),
      reason TEXT,
      redirect_url TEXT,
      transfer_id TEXT REFERENCES transfers(id),
      card_brand TEXT,
      card_last4 TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (user_id, idempotency_key),
      CHECK ((status = 'captured') = (transfer_id IS NOT NULL))
    )`.execute(db);
  await sql`CREATE INDEX payments_account ON payments(account_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE auto_top_up_agreements (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL UNIQUE REFERENCES ledger_accounts(id),
      amount_ore INTEGER NOT NULL CHECK (amount_ore > 0),
      receipt_email TEXT NOT NULL,
      -- The acquirer's opaque token for the saved card; never a card number.
      card_token TEXT,
      card_brand TEXT,
      card_last4 TEXT,
      status TEXT NOT NULL CHECK (status IN ('awaiting_card','active','paused','cancelled')),
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      -- At most one top-up in flight per account: set in the same transaction that starts one.
      in_flight_payment_id TEXT REFERENCES payments(id),
      setup_payment_id TEXT REFERENCES payments(id),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE auto_top_up_results (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      payment_id TEXT NOT NULL UNIQUE REFERENCES payments(id),
      status TEXT NOT NULL CHECK (status IN ('captured','declined','failed')),
      reason TEXT,
      amount_ore INTEGER NOT NULL,
      balance_after_ore INTEGER NOT NULL,
      agreement_paused INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX auto_top_up_results_user ON auto_top_up_results(user_id, seq)`.execute(db);

  await sql`
    CREATE TABLE payouts (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      idempotency_key TEXT NOT NULL,
      name TEXT NOT NULL,
      registration_number TEXT NOT NULL CHECK (length(registration_number) = 4),
      bank_account_number TEXT NOT NULL,
      message TEXT,
      amount_ore INTEGER NOT NULL CHECK (amount_ore > 0),
      status TEXT NOT NULL CHECK (status IN ('pending','paid','rejected')),
      reject_reason TEXT,
      transfer_id TEXT NOT NULL REFERENCES transfers(id),
      return_transfer_id TEXT REFERENCES transfers(id),
      created_at INTEGER NOT NULL,
      decided_at INTEGER,
      UNIQUE (user_id, idempotency_key)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["payouts", "auto_top_up_results", "auto_top_up_agreements", "payments"]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
