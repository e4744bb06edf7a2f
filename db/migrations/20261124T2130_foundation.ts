// Foundation tables: tenants, canteens, users, cards, terminals and the double-entry ledger.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE tenants (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE ledger_accounts (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('cardholder','acquirer_clearing','canteen_revenue','payout_clearing','corrections')),
      code TEXT UNIQUE,
      name TEXT NOT NULL,
      owner_user_id INTEGER REFERENCES users(id),
      allow_negative INTEGER NOT NULL CHECK (allow_negative IN (0, 1)),
      balance_ore INTEGER NOT NULL DEFAULT 0,
      debits_ore INTEGER NOT NULL DEFAULT 0 CHECK (debits_ore >= 0),
      credits_ore INTEGER NOT NULL DEFAULT 0 CHECK (credits_ore >= 0),
      created_at INTEGER NOT NULL,
      -- The last line of defence: the ledger module checks these before writing.
      CHECK (balance_ore = credits_ore - debits_ore),
      CHECK (allow_negative = 1 OR balance_ore >= 0),
      CHECK (kind = 'cardholder' OR allow_negative = 1)
    )`.execute(db);

  await sql`
    CREATE TABLE canteens (
      id INTEGER PRIMARY KEY,
      tenant_id INTEGER NOT NULL REFERENCES tenants(id),
      name TEXT NOT NULL,
      revenue_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      tenant_id INTEGER NOT NULL REFERENCES tenants(id),
      role TEXT NOT NULL CHECK (role IN ('cardholder','staff','admin')),
      name TEXT,
      email TEXT,
      password_hash TEXT,
      cpr_encrypted TEXT,
      address TEXT,
      postal_code TEXT,
      city TEXT,
      phone TEXT,
      school TEXT,
      class_name TEXT,
      track TEXT,
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX users_email ON users(email)`.execute(db);

  await sql`
    CREATE TABLE cards (
      id INTEGER PRIMARY KEY,
      card_number TEXT NOT NULL UNIQUE,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      verification_code_hash TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('active','blocked')),
      limit_daily_ore INTEGER CHECK (limit_daily_ore IS NULL OR limit_daily_ore >= 0),
      limit_weekly_ore INTEGER CHECK (limit_weekly_ore IS NULL OR limit_weekly_ore >= 0),
      limit_monthly_ore INTEGER CHECK (limit_monthly_ore IS NULL OR limit_monthly_ore >= 0),
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX cards_user ON cards(user_id)`.execute(db);
  await sql`CREATE INDEX cards_account ON cards(account_id)`.execute(db);

  await sql`
    CREATE TABLE products (
      id INTEGER PRIMARY KEY,
      canteen_id INTEGER NOT NULL REFERENCES canteens(id),
      name TEXT NOT NULL,
      description TEXT,
      category TEXT NOT NULL,
      price_ore INTEGER NOT NULL CHECK (price_ore >= 0),
      allergens TEXT,
      active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE terminals (
      id INTEGER PRIMARY KEY,
      canteen_id INTEGER NOT NULL REFERENCES canteens(id),
      name TEXT NOT NULL,
      api_key_hash TEXT NOT NULL UNIQUE,
      revoked_at INTEGER,
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE transfers (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      debit_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      credit_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      amount_ore INTEGER NOT NULL CHECK (amount_ore > 0),
      kind TEXT NOT NULL CHECK (kind IN ('deposit','sale','auto_top_up','order','refund','payout','transfer','correction')),
      reference TEXT,
      description TEXT,
      debit_balance_after_ore INTEGER NOT NULL,
      credit_balance_after_ore INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      CHECK (debit_account_id <> credit_account_id)
    )`.execute(db);
  await sql`CREATE INDEX transfers_debit ON transfers(debit_account_id, created_at)`.execute(db);
  await sql`CREATE INDEX transfers_credit ON transfers(credit_account_id, created_at)`.execute(db);
  await sql`CREATE INDEX transfers_reference ON transfers(reference)`.execute(db);
  // Transfers are immutable: mistakes are fixed with a correcting transfer.
  await sql`CREATE TRIGGER transfers_no_update BEFORE UPDATE ON transfers BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END`.execute(db);
  await sql`CREATE TRIGGER transfers_no_delete BEFORE DELETE ON transfers BEGIN SELECT RAISE(ABORT, 'transfers are immutable'); END`.execute(db);

  await sql`
    CREATE TABLE declined_transfers (
      id TEXT PRIMARY KEY,
      debit_account_id INTEGER NOT NULL,
      credit_account_id INTEGER NOT NULL,
      amount_ore INTEGER NOT NULL,
      kind TEXT NOT NULL,
      reference TEXT,
      reason TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);

  await sql`
    CREATE TABLE sales (
      id TEXT PRIMARY KEY,
      terminal_id INTEGER NOT NULL REFERENCES terminals(id),
      card_number TEXT NOT NULL,
      card_id INTEGER REFERENCES cards(id),
      amount_ore INTEGER NOT NULL,
      items_json TEXT,
      status TEXT NOT NULL CHECK (status IN ('approved','declined')),
      reason TEXT,
      transfer_id TEXT REFERENCES transfers(id),
      balance_after_ore INTEGER,
      created_at INTEGER NOT NULL,
      CHECK ((status = 'approved') = (transfer_id IS NOT NULL))
    )`.execute(db);

  await sql`
    CREATE TABLE refunds (
      id TEXT PRIMARY KEY,
      sale_id TEXT NOT NULL,
      terminal_id INTEGER NOT NULL REFERENCES terminals(id),
      amount_ore INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('approved','declined')),
      reason TEXT,
      transfer_id TEXT REFERENCES transfers(id),
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX refunds_sale ON refunds(sale_id)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["refunds", "sales", "declined_transfers", "transfers", "terminals", "products", "cards", "users", "canteens", "ledger_accounts", "tenants"]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
}
