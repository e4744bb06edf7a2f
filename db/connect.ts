// Opens the SQLite file (bun:sqlite) with our pragmas and wraps it in the Store: sync read/write transactions plus a Kysely builder.
import { Database as SqliteDatabase } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { Kysely } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import type { Database } from "./schema.ts";
import { makeTx, type Tx, type WriteTx } from "./tx.ts";
import { GroupCommitWriter, type WriterOptions } from "./writer.ts";

export type { Tx, WriteTx } from "./tx.ts";

export type SynchronousMode = "FULL" | "NORMAL" | "EXTRA";

export interface StoreOptions {
  path: string;
  /** FULL (default) makes every acknowledged commit survive a power cut. */
  synchronous?: SynchronousMode;
  busyTimeoutMs?: number;
  /**
   * FULL only: sync the WAL off the event loop (the default; see Durability in db/writer.ts) or, when false, let
   * COMMIT sync on the event loop as SQLite's synchronous=FULL does.
   */
  syncOffLoop?: boolean;
  writer?: Omit<WriterOptions, "durability" | "databasePath">;
}

export interface Store {
  /** Kysely instance used as a query builder (and for async reads and migrations). */
  readonly kysely: Kysely<Database>;
  /** Runs `fn` in one read transaction (a consistent snapshot) on the read connection. */
  read<T>(fn: (tx: Tx) => T): T;
  /** Queues `fn` to run in a write transaction; resolves after the transaction has committed. */
  write<T>(fn: (tx: WriteTx) => T): Promise<T>;
  readonly writer: GroupCommitWriter;
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Opens an existing database file for reading only: nothing is created, neither the file nor its directory, and a
 * missing file is an error (for tools such as ledger:check, where a wrong path must not leave an empty database).
 */
export function openSqliteReadOnly(path: string, options: { busyTimeoutMs?: number } = {}): SqliteDatabase {
  const sqlite = new SqliteDatabase(path, { readonly: true, strict: true });
  // Raw SQL: a pragma (a connection setting), which Kysely's query builder cannot express.
  sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  return sqlite;
}

/**
 * Runs `fn` in one read transaction on a read-only connection to an existing file (see openSqliteReadOnly), so every
 * query sees the same snapshot while a server keeps writing; the connection is closed afterwards.
 */
export function readSnapshot<T>(path: string, fn: (tx: Tx) => T): T {
  const sqlite = openSqliteReadOnly(path);
  try {
    return inReadTransaction(sqlite, fn);
  } finally {
    sqlite.close();
  }
}

/** Runs `fn` in one read transaction on `sqlite`, so every query in it sees the same committed snapshot. */
export function inReadTransaction<T>(sqlite: SqliteDatabase, fn: (tx: Tx) => T): T {
  // Raw SQL: a read transaction is connection state, which Kysely's query builder has no statement for.
  sqlite.run("BEGIN");
  try {
    return fn(makeTx(sqlite));
  } finally {
    sqlite.run("COMMIT");
  }
}

export function openSqlite(path: string, options: { synchronous?: SynchronousMode; busyTimeoutMs?: number; queryOnly?: boolean } = {}): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SqliteDatabase(path, { create: true, strict: true });
  // Raw SQL below: pragmas are connection settings, which Kysely's query builder cannot express.
  // Wait for other writers (another process, a CLI) instead of failing with SQLITE_BUSY.
  sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run(`PRAGMA synchronous = ${options.synchronous ?? "FULL"}`);
  sqlite.run("PRAGMA foreign_keys = ON");
  if (options.queryOnly) sqlite.run("PRAGMA query_only = ON");
  return sqlite;
}

export function openStore(options: StoreOptions): Store {
  const synchronous = options.synchronous ?? "FULL";
  // FULL's promise (an answered write survives a power cut) kept by syncing the WAL on a thread before answering.
  const walSync = synchronous === "FULL" && options.path !== ":memory:" && options.syncOffLoop !== false;
  const writeConnection = openSqlite(options.path, { ...options, synchronous: walSync ? "NORMAL" : synchronous });
  // Raw SQL: a pragma. Checkpoints move to the writer's checkpoint thread, out of COMMIT on the event loop.
  if (walSync) writeConnection.run("PRAGMA wal_autocheckpoint = 0");
  // A second connection for reads: WAL lets it read a committed snapshot while the writer works.
  const readConnection = options.path === ":memory:" ? writeConnection : openSqlite(options.path, { ...options, queryOnly: true });
  const kysely = new Kysely<Database>({ dialect: new BunSqliteDialect({ database: readConnection }) });
  const writer = new GroupCommitWriter(writeConnection, {
    ...options.writer,
    durability: walSync ? "wal-sync" : synchronous === "NORMAL" ? "none" : "inline",
    databasePath: options.path,
  });
  const readTx = makeTx(readConnection);
  // Raw SQL: transaction control, which Kysely only offers asynchronously (a read must stay synchronous, decision 001).
  const beginRead = readConnection.query("BEGIN");
  const commitRead = readConnection.query("COMMIT");
  return {
    kysely,
    writer,
    path: options.path,
    read<T>(fn: (tx: Tx) => T): T {
      beginRead.run();
      try {
        return fn(readTx);
      } finally {
        commitRead.run();
      }
    },
    write<T>(fn: (tx: WriteTx) => T): Promise<T> {
      return writer.submit(fn);
    },
    async close() {
      await writer.close();
      readConnection.close();
      if (readConnection !== writeConnection) writeConnection.close();
    },
  };
}
