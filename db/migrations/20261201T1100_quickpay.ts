// QuickPay: payments carry the order id the gateway sees and the gateway's own id; payers' low-balance alerts.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // The gateway's order id (4–20 characters, unique per payment, subscription and recurring charge). Older rows have none.
  await sql`ALTER TABLE payments ADD COLUMN order_id TEXT`.execute(db);
  // The gateway's id for what it created (a QuickPay payment or subscription), for reading a lost result back.
  await sql`ALTER TABLE payments ADD COLUMN acquirer_ref TEXT`.execute(db);
  // When the gateway was last asked about a pending payment, so read-backs are spaced out.
  await sql`ALTER TABLE payments ADD COLUMN checked_at INTEGER`.execute(db);
  await sql`CREATE UNIQUE INDEX payments_order_id ON payments(order_id) WHERE order_id IS NOT NULL`.execute(db);
  // The reconciler reads the pending payments only; a partial index keeps that read small as payments grow.
  await sql`CREATE INDEX payments_pending ON payments(created_at) WHERE status = 'pending'`.execute(db);

  // One alert per card account, chosen by whoever pays for it (the holder or a guardian). It never grows beyond one row
  // per account, so it needs no retention rule.
  await sql`
    CREATE TABLE low_balance_alerts (
      account_id INTEGER PRIMARY KEY REFERENCES ledger_accounts(id),
      user_id INTEGER NOT NULL REFERENCES users(id),
      threshold_ore INTEGER NOT NULL CHECK (threshold_ore > 0),
      email TEXT NOT NULL,
      -- The Copenhagen day of the last alert: at most one a day per account.
      last_alert_day TEXT,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE low_balance_alerts`.execute(db);
  await sql`DROP INDEX payments_pending`.execute(db);
  await sql`DROP INDEX payments_order_id`.execute(db);
  await sql`ALTER TABLE payments DROP COLUMN checked_at`.execute(db);
  await sql`ALTER TABLE payments DROP COLUMN acquirer_ref`.execute(db);
  await sql`ALTER TABLE payments DROP COLUMN order_id`.execute(db);
}
