// The database's durability settings and the migration chain, checked on real files.
import { expect, test } from "vitest";
import { Database as SqliteDatabase } from "bun:sqlite";
import { Kysely, Migrator } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openStore, type Store } from "./connect.ts";
import { migrateDown, migrateToLatest } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";
import { tempDatabasePath } from "./testing.ts";

function pragma(sqlite: { query(sql: string): { get(): unknown } }, name: string): unknown {
  return Object.values(sqlite.query(`PRAGMA ${name}`).get() as Record<string, unknown>)[0];
}

/** A fresh file migrated to the latest schema, opened as the server opens it; closed and removed afterwards. */
async function withStore(options: { synchronous?: "FULL" | "NORMAL" }, fn: (store: Store) => Promise<void>): Promise<void> {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const store = openStore({ path, ...options });
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
}

/** A fresh, empty file with Kysely's migrator over our migrations, to step through them one at a time. */
async function withMigrator(fn: (migrator: Migrator, sqlite: SqliteDatabase) => Promise<void>): Promise<void> {
  const { path, cleanup } = tempDatabasePath();
  const sqlite = new SqliteDatabase(path, { create: true });
  const kysely = new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) });
  try {
    await fn(new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } }), sqlite);
  } finally {
    await kysely.destroy();
    cleanup();
  }
}

test("both store connections run WAL with foreign keys and a busy timeout; the read one is query-only; FULL syncs the WAL off the event loop", async () => {
  await withStore({}, async (store) => {
    // The writer's connection. Under FULL (the default) COMMIT only writes the WAL (synchronous=NORMAL on the
    // connection) and the writer fdatasyncs the WAL before it answers (db/writer-sync.test.ts proves the order);
    // checkpoints are not run inside COMMIT but on the checkpoint thread.
    const writeSettings = await store.write((tx) => ({
      journal: pragma(tx.sqlite, "journal_mode"),
      synchronous: pragma(tx.sqlite, "synchronous"),
      autocheckpoint: pragma(tx.sqlite, "wal_autocheckpoint"),
      foreignKeys: pragma(tx.sqlite, "foreign_keys"),
      busyTimeout: pragma(tx.sqlite, "busy_timeout"),
      queryOnly: pragma(tx.sqlite, "query_only"),
    }));
    // SQLite reports synchronous as a number: 1 is NORMAL, 2 is FULL.
    expect(writeSettings).toEqual({ journal: "wal", synchronous: 1, autocheckpoint: 0, foreignKeys: 1, busyTimeout: 5000, queryOnly: 0 });
    expect(store.writer.durability).toBe("wal-sync");
    const readSettings = store.read((tx) => ({
      journal: pragma(tx.sqlite, "journal_mode"),
      foreignKeys: pragma(tx.sqlite, "foreign_keys"),
      busyTimeout: pragma(tx.sqlite, "busy_timeout"),
      queryOnly: pragma(tx.sqlite, "query_only"),
    }));
    expect(readSettings).toEqual({ journal: "wal", foreignKeys: 1, busyTimeout: 5000, queryOnly: 1 });
  });
});

test("FULL with the sync on the event loop (WRITE_SYNC=inline) is SQLite's own synchronous=FULL", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const store = openStore({ path, syncOffLoop: false });
    try {
      expect(await store.write((tx) => ({ synchronous: pragma(tx.sqlite, "synchronous"), autocheckpoint: pragma(tx.sqlite, "wal_autocheckpoint") }))).toEqual({ synchronous: 2, autocheckpoint: 1000 });
      expect(store.writer.durability).toBe("inline");
    } finally {
      await store.close();
    }
  } finally {
    cleanup();
  }
});

test("NORMAL is used only when asked for", async () => {
  await withStore({ synchronous: "NORMAL" }, async (store) => {
    expect(await store.write((tx) => pragma(tx.sqlite, "synchronous"))).toBe(1);
  });
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
    const sqlite = new SqliteDatabase(path, { readonly: true });
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
  await withStore({}, async (store) => {
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
  });
});

/**
 * A CREATE statement as SQLite means it: a table rebuilt by a down step (create new, copy, drop, rename) is stored with
 * its name quoted and its columns laid out anew, yet has the same columns, types, constraints and order.
 */
function canonicalSql(sql: string | null): string | null {
  return sql === null ? null : sql.replace(/"(\w+)"/g, "$1").replace(/\s+/g, " ").replace(/\s*([(),])\s*/g, "$1").trim();
}

test("each migration's down undoes exactly its up: tables, columns, indexes and triggers as they were", async () => {
  await withMigrator(async (migrator, sqlite) => {
    // The schema as SQLite stores it (every CREATE statement), minus Kysely's own bookkeeping.
    const schema = () =>
      (sqlite.query("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'kysely_%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{ type: string; name: string; sql: string | null }>)
        .map((row) => `${row.type} ${row.name}: ${canonicalSql(row.sql)}`);
    for (const name of Object.keys(migrations).sort()) {
      const before = schema();
      expect((await migrator.migrateUp()).results?.[0]).toMatchObject({ migrationName: name, status: "Success" });
      const after = schema();
      expect(after, `${name} changes the schema`).not.toEqual(before);
      expect((await migrator.migrateDown()).results?.[0]).toMatchObject({ migrationName: name, direction: "Down", status: "Success" });
      expect(schema(), `${name}'s down restores the schema`).toEqual(before);
      await migrator.migrateUp();
    }
  });
});

test("the never-negative migration refuses a database that already holds a cardholder account allowed below zero", async () => {
  await withMigrator(async (migrator, sqlite) => {
    expect((await migrator.migrateTo("20261125T0440_guardians")).error).toBeUndefined();
    sqlite.query("INSERT INTO ledger_accounts (kind, name, allow_negative, created_at) VALUES ('cardholder', 'Madkort', 1, 0)").run();
    const result = await migrator.migrateTo("20261125T0450_cardholder_never_negative");
    expect(String(result.error)).toMatch(/1 cardholder account\(s\) allow a negative balance/);
  });
});
