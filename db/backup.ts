// SQLite's side of backup and restore: a consistent copy of a live WAL database (VACUUM INTO), its integrity check, and
// the exclusive hold a restore needs (refused while any other connection, such as a running server, has the file open).
import { Database as SqliteDatabase } from "bun:sqlite";
import { closeSync, fsyncSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { openSqliteReadOnly } from "./connect.ts";

/** fsync a file or a directory, so that what was written (or renamed into it) survives a power cut. */
export function syncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a transactionally consistent copy of the database at `sourcePath` to `targetPath` (which must not exist),
 * from one read snapshot: writers go on committing meanwhile (WAL), and the copy holds exactly what was committed when
 * it began. The copy is compacted, in rollback-journal mode, and fsynced before this returns.
 */
export function copyDatabase(sourcePath: string, targetPath: string): void {
  const source = openSqliteReadOnly(sourcePath);
  try {
    // Raw SQL: VACUUM INTO is SQLite's online copy, which Kysely cannot express.
    source.query("VACUUM INTO ?").run(targetPath);
  } finally {
    source.close();
  }
  syncPath(targetPath);
  syncPath(dirname(targetPath));
}

/**
 * SQLite's check of an open connection: an empty list when the file is sound, else SQLite's findings. `quick` skips
 * the comparison of every index with its table (O(N) instead of O(N log N)): right for a fresh `VACUUM INTO` copy,
 * whose indexes were all just rebuilt from the table rows (decision 005: 4 s instead of 23 s at 3M sales); a restore
 * of a file that has lain somewhere asks for the full check.
 */
export function integrityProblems(sqlite: SqliteDatabase, depth: "full" | "quick" = "full"): string[] {
  // Raw SQL: a pragma, which Kysely cannot express.
  const rows = sqlite.query(depth === "quick" ? "PRAGMA quick_check" : "PRAGMA integrity_check").values().map((row) => String(row[0]));
  return rows.length === 1 && rows[0] === "ok" ? [] : rows.slice(0, 20);
}

export class DatabaseInUseError extends Error {
  constructor(path: string) {
    super(`another program has ${path} open (a running server?): stop it first`);
    this.name = "DatabaseInUseError";
  }
}

/**
 * Takes the database file for ourselves, or throws DatabaseInUseError when any other connection has it open. Leaving
 * WAL mode is refused by SQLite while another connection uses the file, whatever that connection is doing (a server
 * holds its connections open for its whole life, idle or not), so it is the test; the exclusive transaction then keeps
 * everyone else out until `release`.
 */
export function holdExclusively(path: string): { release(): void } {
  const sqlite = new SqliteDatabase(path, { readwrite: true, create: false });
  try {
    // Raw SQL below: connection settings and locking, which Kysely cannot express.
    sqlite.run("PRAGMA busy_timeout = 0");
    const mode = String((sqlite.query("PRAGMA journal_mode = DELETE").get() as { journal_mode: string }).journal_mode).toLowerCase();
    if (mode !== "delete") throw new DatabaseInUseError(path);
    sqlite.run("BEGIN EXCLUSIVE");
  } catch (error) {
    sqlite.close();
    if (error instanceof DatabaseInUseError) throw error;
    if (/locked|busy/i.test(error instanceof Error ? error.message : String(error))) throw new DatabaseInUseError(path);
    throw error;
  }
  return {
    release() {
      try {
        sqlite.run("ROLLBACK");
      } finally {
        sqlite.close();
      }
    },
  };
}
