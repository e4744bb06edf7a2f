// Sale and refund ids become idempotency keys of one terminal: the primary keys of sales and refunds become (terminal_id, id).
import { sql, type Kysely } from "kysely";

// SQLite cannot change a primary key in place, so both tables are rebuilt: created anew, every row copied, the old
// table dropped and the new one renamed, then the indexes made again (no trigger or foreign key names these tables).
// Old sales keep their transfer id `sale:<id>`; new ones get `sale:<terminal>/<id>` (a `/` is not allowed in an id, so
// the two forms never meet). A refund now records the terminal of the sale it refunds (`sale_terminal_id`).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE sales_scoped (
      id TEXT NOT NULL,
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
      CHECK ((status = 'approved') = (transfer_id IS NOT NULL)),
      PRIMARY KEY (terminal_id, id)
    )`.execute(db);
  await sql`
    INSERT INTO sales_scoped (id, terminal_id, card_number, card_id, amount_ore, items_json, status, reason, transfer_id, balance_after_ore, created_at)
    SELECT id, terminal_id, card_number, card_id, amount_ore, items_json, status, reason, transfer_id, balance_after_ore, created_at FROM sales`.execute(db);
  await sql`DROP TABLE sales`.execute(db);
  await sql`ALTER TABLE sales_scoped RENAME TO sales`.execute(db);
  await sql`CREATE INDEX sales_terminal_created ON sales(terminal_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE refunds_scoped (
      id TEXT NOT NULL,
      sale_id TEXT NOT NULL,
      terminal_id INTEGER NOT NULL REFERENCES terminals(id),
      amount_ore INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('approved','declined')),
      reason TEXT,
      transfer_id TEXT REFERENCES transfers(id),
      created_at INTEGER NOT NULL,
      requested_amount_ore INTEGER,
      balance_after_ore INTEGER,
      sale_terminal_id INTEGER REFERENCES terminals(id),
      PRIMARY KEY (terminal_id, id)
    )`.execute(db);
  // Sale ids were unique until now, so the sale of an old refund is found by its id alone. A "sale not found" decline
  // names no sale of its canteen (it may name another canteen's, whose balance it must not replay: issue 29).
  await sql`
    INSERT INTO refunds_scoped (id, sale_id, terminal_id, amount_ore, status, reason, transfer_id, created_at, requested_amount_ore, balance_after_ore, sale_terminal_id)
    SELECT r.id, r.sale_id, r.terminal_id, r.amount_ore, r.status, r.reason, r.transfer_id, r.created_at, r.requested_amount_ore,
      CASE WHEN r.reason = 'sale_not_found' THEN NULL ELSE r.balance_after_ore END,
      CASE WHEN r.reason = 'sale_not_found' THEN NULL ELSE (SELECT s.terminal_id FROM sales s WHERE s.id = r.sale_id) END
    FROM refunds r`.execute(db);
  await sql`DROP TABLE refunds`.execute(db);
  await sql`ALTER TABLE refunds_scoped RENAME TO refunds`.execute(db);
  await sql`CREATE INDEX refunds_sale ON refunds(sale_terminal_id, sale_id)`.execute(db);
  // A refund looks its sale up at each till of the refunding canteen: the canteen's tills are found by this index.
  await sql`CREATE INDEX terminals_canteen ON terminals(canteen_id)`.execute(db);
}

// Back to one id namespace: only possible while no id is used by two terminals, else the down step stops unchanged.
export async function down(db: Kysely<any>): Promise<void> {
  const shared = await sql<{ n: number }>`
    SELECT (SELECT COUNT(*) FROM (SELECT id FROM sales GROUP BY id HAVING COUNT(*) > 1))
         + (SELECT COUNT(*) FROM (SELECT id FROM refunds GROUP BY id HAVING COUNT(*) > 1)) AS n`.execute(db);
  if (shared.rows[0]!.n > 0) throw new Error("cannot migrate down: a sale or refund id is used by more than one terminal");
  await sql`DROP INDEX terminals_canteen`.execute(db);
  await sql`
    CREATE TABLE sales_global (
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
  await sql`INSERT INTO sales_global SELECT id, terminal_id, card_number, card_id, amount_ore, items_json, status, reason, transfer_id, balance_after_ore, created_at FROM sales`.execute(db);
  await sql`DROP TABLE sales`.execute(db);
  await sql`ALTER TABLE sales_global RENAME TO sales`.execute(db);
  await sql`CREATE INDEX sales_terminal_created ON sales(terminal_id, created_at)`.execute(db);

  await sql`
    CREATE TABLE refunds_global (
      id TEXT PRIMARY KEY,
      sale_id TEXT NOT NULL,
      terminal_id INTEGER NOT NULL REFERENCES terminals(id),
      amount_ore INTEGER NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('approved','declined')),
      reason TEXT,
      transfer_id TEXT REFERENCES transfers(id),
      created_at INTEGER NOT NULL,
      requested_amount_ore INTEGER,
      balance_after_ore INTEGER
    )`.execute(db);
  await sql`
    INSERT INTO refunds_global SELECT id, sale_id, terminal_id, amount_ore, status, reason, transfer_id, created_at, requested_amount_ore, balance_after_ore FROM refunds`.execute(db);
  await sql`DROP TABLE refunds`.execute(db);
  await sql`ALTER TABLE refunds_global RENAME TO refunds`.execute(db);
  await sql`CREATE INDEX refunds_sale ON refunds(sale_id)`.execute(db);
}
