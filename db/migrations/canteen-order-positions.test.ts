// The order_events.canteen_seq migration: existing events are numbered per canteen in their order, and it runs down again.
import { expect, test } from "vitest";
import { Kysely, Migrator } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openSqlite } from "../connect.ts";
import { tempDatabasePath } from "../testing.ts";
import { migrations } from "./index.ts";

const MINE = "20261207T1110_canteen_order_positions";

test("events kept from before are numbered 1, 2, 3 … within each canteen in seq order; a twin position is refused; down drops it", async () => {
  const names = Object.keys(migrations).sort();
  const previous = names[names.indexOf(MINE) - 1]!;
  const { path, cleanup } = tempDatabasePath();
  const sqlite = openSqlite(path);
  try {
    const migrator = new Migrator({ db: new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) }), provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo(previous)).error).toBeUndefined();
    // Events as the code before the migration wrote them; their orders and users do not matter here.
    sqlite.run("PRAGMA foreign_keys = OFF");
    const event = sqlite.prepare("INSERT INTO order_events (order_id, user_id, canteen_id, delivery_day, status, created_at) VALUES (1, 1, ?, '2026-12-08', 'received', 0)");
    for (const canteen of [7, 9, 7, 7, 9, 12, 7]) event.run(canteen);
    event.finalize();
    sqlite.run("PRAGMA foreign_keys = ON");

    expect((await migrator.migrateTo(MINE)).error).toBeUndefined();
    expect(sqlite.prepare("SELECT seq, canteen_id AS canteen, canteen_seq AS position FROM order_events ORDER BY seq").all()).toEqual([
      { seq: 1, canteen: 7, position: 1 },
      { seq: 2, canteen: 9, position: 1 },
      { seq: 3, canteen: 7, position: 2 },
      { seq: 4, canteen: 7, position: 3 },
      { seq: 5, canteen: 9, position: 2 },
      { seq: 6, canteen: 12, position: 1 },
      { seq: 7, canteen: 7, position: 4 },
    ]);
    sqlite.run("PRAGMA foreign_keys = OFF");
    expect(() => sqlite.run("INSERT INTO order_events (order_id, user_id, canteen_id, canteen_seq, delivery_day, status, created_at) VALUES (1, 1, 9, 2, '2026-12-08', 'received', 0)")).toThrow(/UNIQUE/);
    // The screen's backfill reads one canteen's day by its position through the index.
    const explain = sqlite.prepare("EXPLAIN QUERY PLAN SELECT seq FROM order_events WHERE canteen_id = 7 AND delivery_day = '2026-12-08' AND canteen_seq > 2 ORDER BY canteen_seq");
    const plan = explain.all() as Array<{ detail: string }>;
    // Statements left open would keep the table locked for the down migration's DROP INDEX.
    explain.finalize();
    expect(plan.map((row) => row.detail).join(" ")).toMatch(/USING (COVERING )?INDEX order_events_canteen_day/);

    expect((await migrator.migrateTo(previous)).error).toBeUndefined();
    const columns = (sqlite.query("SELECT name FROM pragma_table_info('order_events')").all() as Array<{ name: string }>).map((column) => column.name);
    expect(columns).not.toContain("canteen_seq");
  } finally {
    sqlite.close();
    cleanup();
  }
});
