// The database's durability settings and the migration chain, checked on real files.
import { expect, test } from "vitest";
import { openStore } from "./connect.ts";
import { migrateDown, migrateToLatest } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";
import { tempDatabasePath } from "../server/testing/harness.ts";

function pragma(sqlite: { query(sql: string): { get(): unknown } }, name: string): unknown {
  return Object.values(sqlite.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
}

test("both store connections run WAL with synchronous=FULL, foreign keys and a busy timeout; the read one is query-only", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const store = openStore({ path });
    try {
      // The writer's connection: what decides whether an acknowledged sale survives a power cut.
      const writeSettings = await store.write((tx) => ({
        journal: pragma(tx.sqlite, "journal_mode"),
        synchronous: pragma(tx.sqlite, "synchronous"),
        foreignKeys: pragma(tx.sqlite, "foreign_keys"),
        busyTimeout: pragma(tx.sqlite, "busy_timeout"),
        queryOnly: pragma(tx.sqlite, "query_only"),
      }));
      // SQLite reports synchronous as a number: 2 is FULL.
      expect(writeSettings).toEqual({ journal: "wal", synchronous: 2, foreignKeys: 1, busyTimeout: 5000, queryOnly: 0 });
      const readSettings = store.read((tx) => ({
        journal: pragma(tx.sqlite, "journal_mode"),
        foreignKeys: pragma(tx.sqlite, "foreign_keys"),
        busyTimeout: pragma(tx.sqlite, "busy_timeout"),
        queryOnly: pragma(tx.sqlite, "query_only"),
      }));
      expect(readSettings).toEqual({ journal: "wal", foreignKeys: 1, busyTimeout: 5000, queryOnly: 1 });
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
});

test("NORMAL is used only when asked for", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const store = openStore({ path, synchronous: "NORMAL" });
    try {
      expect(await store.write((tx) => pragma(tx.sqlite, "synchronous"))).toBe(1);
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
});

test("every migration runs down to an empty schema and up again", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const names = Object.keys(migrations).sort().reverse();
    for (const name of names) {
      const down = await migrateDown(path);
      expect(down.results?.[0]).toMatchObject({ migrationName: name, direction: "Down", status: "Success" });
    }
    // Nothing of ours is left once the first migration is undone (Kysely's own bookkeeping tables stay).
    const { Database } = await import("bun:sqlite");
    const sqlite = new Database(path, { readonly: true });
    const tables = (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'kysely_%' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((row) => row.name);
    sqlite.close();
    expect(tables).toEqual([]);
    const up = await migrateToLatest(path);
    expect(up.results?.map((result) => result.migrationName)).toEqual([...names].reverse());
  } finally {
    cleanup();
  }
});

test("a cardholder account can never be switched to allow a negative balance", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const store = openStore({ path });
    try {
      const insertAllowingNegative = store.write((tx) =>
        tx.sqlite.query("INSERT INTO ledger_accounts (kind, name, allow_negative, created_at) VALUES ('cardholder', 'Madkort', 1, 0)").run(),
      );
      await expect(insertAllowingNegative).rejects.toThrow(/never allow a negative balance/);
      const accountId = await store.write((tx) =>
        Number(tx.sqlite.query("INSERT INTO ledger_accounts (kind, name, allow_negative, created_at) VALUES ('cardholder', 'Madkort', 0, 0)").run().lastInsertRowid),
      );
      await expect(store.write((tx) => tx.sqlite.query("UPDATE ledger_accounts SET allow_negative = 1 WHERE id = ?").run(accountId))).rejects.toThrow(/never allow a negative balance/);
      // A system account turned into a cardholder account keeps its allowance, so that is refused as well.
      const systemId = await store.write((tx) =>
        Number(tx.sqlite.query("INSERT INTO ledger_accounts (kind, name, allow_negative, created_at) VALUES ('corrections', 'X', 1, 0)").run().lastInsertRowid),
      );
      await expect(store.write((tx) => tx.sqlite.query("UPDATE ledger_accounts SET kind = 'cardholder' WHERE id = ?").run(systemId))).rejects.toThrow(/never allow a negative balance/);
      expect(store.read((tx) => tx.sqlite.query("SELECT allow_negative FROM ledger_accounts WHERE id = ?").get(accountId))).toEqual({ allow_negative: 0 });
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
});
