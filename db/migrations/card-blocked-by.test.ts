// The cards.blocked_by migration: cards blocked before it are told apart by the back office's audit entries, and it runs down again.
import { expect, test } from "vitest";
import { Kysely, Migrator } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openSqlite } from "../connect.ts";
import { tempDatabasePath } from "../testing.ts";
import { migrations } from "./index.ts";

const MINE = "20261207T1030_card_blocked_by";

test("a card the back office blocked last counts as staff's, any other blocked card as its holder's (the safe side)", async () => {
  const names = Object.keys(migrations).sort();
  const previous = names[names.indexOf(MINE) - 1]!;
  const { path, cleanup } = tempDatabasePath();
  const sqlite = openSqlite(path);
  try {
    const migrator = new Migrator({ db: new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) }), provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo(previous)).error).toBeUndefined();
    // Cards as the code before the migration left them; their users and accounts do not matter here.
    sqlite.run("PRAGMA foreign_keys = OFF");
    const card = sqlite.query("INSERT INTO cards (id, card_number, user_id, account_id, verification_code_hash, status, created_at, replaced_by_card_id) VALUES (?, ?, 1, 1, 'x', ?, 0, ?)");
    card.run(1, "10000000000001", "active", null);
    card.run(2, "10000000000002", "blocked", null); // blocked in the back office
    card.run(3, "10000000000003", "blocked", null); // blocked in the portal ("Spær kort" audits nothing)
    card.run(4, "10000000000004", "blocked", null); // staff blocked, unblocked, then the holder blocked it
    card.run(5, "10000000000005", "blocked", 1); // replaced: blocked for good either way
    const entry = sqlite.query("INSERT INTO audit_log (tenant_id, actor_user_id, actor_label, action, target, details_json, created_at) VALUES (1, NULL, 'kantine@example.dk', ?, ?, '{}', 0)");
    entry.run("card.block", "card:2");
    entry.run("card.block", "card:4");
    entry.run("card.unblock", "card:4");
    sqlite.run("PRAGMA foreign_keys = ON");

    expect((await migrator.migrateTo(MINE)).error).toBeUndefined();
    expect(sqlite.query("SELECT id, blocked_by FROM cards ORDER BY id").all()).toEqual([
      { id: 1, blocked_by: null },
      { id: 2, blocked_by: "staff" },
      { id: 3, blocked_by: "holder" },
      { id: 4, blocked_by: "holder" },
      { id: 5, blocked_by: null },
    ]);
    expect(() => sqlite.run("UPDATE cards SET blocked_by = 'someone' WHERE id = 1")).toThrow();

    expect((await migrator.migrateTo(previous)).error).toBeUndefined();
    const columns = (sqlite.query("SELECT name FROM pragma_table_info('cards')").all() as Array<{ name: string }>).map((column) => column.name);
    expect(columns).not.toContain("blocked_by");
  } finally {
    sqlite.close();
    cleanup();
  }
});
