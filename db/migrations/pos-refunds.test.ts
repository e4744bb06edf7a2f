// The POS refunds migration: older refunds get their request amount and balance filled in, and it runs down again.
import { expect, test } from "vitest";
import { Kysely, Migrator } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openSqlite } from "../connect.ts";
import { tempDatabasePath } from "../testing.ts";
import { migrations } from "./index.ts";

test("refunds recorded before the migration get a request amount and the balance of their answer", async () => {
  const { path, cleanup } = tempDatabasePath();
  const sqlite = openSqlite(path);
  try {
    const migrator = new Migrator({ db: new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) }), provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo("20261124T2330_portal")).error).toBeUndefined();
    // Rows as the code before the migration wrote them; the accounts and terminal behind them do not matter here.
    sqlite.run("PRAGMA foreign_keys = OFF");
    sqlite.run(
      "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount_ore, kind, reference, debit_balance_after_ore, credit_balance_after_ore, created_at) VALUES ('refund:old-approved', 1, 2, 1500, 'refund', 'sale-1', -1500, 7500, 0)",
    );
    const insertRefund = sqlite.query("INSERT INTO refunds (id, sale_id, terminal_id, amount_ore, status, reason, transfer_id, created_at) VALUES (?, 'sale-1', 1, ?, ?, ?, ?, 0)");
    insertRefund.run("old-approved", 1500, "approved", null, "refund:old-approved");
    insertRefund.run("old-declined-rest", 0, "declined", "sale_not_found", null);
    insertRefund.run("old-declined-amount", 9000, "declined", "refund_exceeds_sale", null);
    sqlite.run("PRAGMA foreign_keys = ON");

    expect((await migrator.migrateTo("20261125T0400_pos_refunds")).error).toBeUndefined();
    expect(sqlite.query("SELECT id, requested_amount_ore, balance_after_ore FROM refunds ORDER BY id").all()).toEqual([
      { id: "old-approved", requested_amount_ore: 1500, balance_after_ore: 7500 },
      { id: "old-declined-amount", requested_amount_ore: 9000, balance_after_ore: null },
      { id: "old-declined-rest", requested_amount_ore: null, balance_after_ore: null },
    ]);

    expect((await migrator.migrateTo("20261124T2330_portal")).error).toBeUndefined();
    const columns = (sqlite.query("SELECT name FROM pragma_table_info('refunds')").all() as Array<{ name: string }>).map((column) => column.name);
    expect(columns).not.toContain("requested_amount_ore");
    expect(columns).not.toContain("balance_after_ore");
  } finally {
    sqlite.close();
    cleanup();
  }
});
