// Webshop and kitchen: menus per canteen and day, orders with lines, an order event log for live screens, kitchen screens.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // Orders for a day close at this local (Copenhagen) time on the delivery day itself.
  await sql`ALTER TABLE canteens ADD COLUMN order_cutoff_time TEXT NOT NULL DEFAULT '09:30'`.execute(db);

  await sql`
    CREATE TABLE menu_items (
      id INTEGER PRIMARY KEY,
      canteen_id INTEGER NOT NULL REFERENCES canteens(id),
      delivery_day TEXT NOT NULL CHECK (delivery_day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
      product_id INTEGER NOT NULL REFERENCES products(id),
      quantity_limit INTEGER CHECK (quantity_limit IS NULL OR quantity_limit >= 0),
      UNIQUE (canteen_id, delivery_day, product_id)
    )`.execute(db);

  await sql`
    CREATE TABLE orders (
      id INTEGER PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users(id),
      account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
      canteen_id INTEGER NOT NULL REFERENCES canteens(id),
      delivery_day TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('received','in_progress','ready','delivered','cancelled')),
      total_ore INTEGER NOT NULL CHECK (total_ore > 0),
      idempotency_key TEXT NOT NULL,
      transfer_id TEXT NOT NULL REFERENCES transfers(id),
      refund_transfer_id TEXT REFERENCES transfers(id),
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (user_id, idempotency_key)
    )`.execute(db);
  await sql`CREATE INDEX orders_user ON orders(user_id, delivery_day)`.execute(db);
  await sql`CREATE INDEX orders_canteen_day ON orders(canteen_id, delivery_day, status)`.execute(db);

  await sql`
    CREATE TABLE order_lines (
      id INTEGER PRIMARY KEY,
      order_id INTEGER NOT NULL REFERENCES orders(id),
      product_id INTEGER NOT NULL REFERENCES products(id),
      name TEXT NOT NULL,
      unit_price_ore INTEGER NOT NULL CHECK (unit_price_ore >= 0),
      quantity INTEGER NOT NULL CHECK (quantity > 0),
      comment TEXT
    )`.execute(db);
  await sql`CREATE INDEX order_lines_order ON order_lines(order_id)`.execute(db);

  await sql`
    CREATE TABLE order_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      order_id INTEGER NOT NULL REFERENCES orders(id),
      user_id INTEGER NOT NULL,
      canteen_id INTEGER NOT NULL,
      delivery_day TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX order_events_canteen ON order_events(canteen_id, delivery_day, seq)`.execute(db);
  await sql`CREATE INDEX order_events_user ON order_events(user_id, seq)`.execute(db);

  await sql`
    CREATE TABLE kitchen_screens (
      id INTEGER PRIMARY KEY,
      canteen_id INTEGER NOT NULL REFERENCES canteens(id),
      name TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE,
      revoked_at INTEGER,
      created_at INTEGER NOT NULL
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["kitchen_screens", "order_events", "order_lines", "orders", "menu_items"]) {
    await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(db);
  }
  await sql`ALTER TABLE canteens DROP COLUMN order_cutoff_time`.execute(db);
}
