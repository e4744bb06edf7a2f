// Synchronous transaction handles: Kysely builds the SQL, bun:sqlite runs it without yielding the event loop.
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { Compilable } from "kysely";

/**
 * A transaction handle for synchronous queries. Queries are built with Kysely (type-safe)
 * and executed directly on bun:sqlite, so a whole transaction runs without yielding the event loop.
 */
export interface Tx {
  all<R>(query: Compilable<R>): R[];
  first<R>(query: Compilable<R>): R | undefined;
  run(query: Compilable<unknown>): { changes: number; lastInsertRowid: number };
  /** Visits the rows one at a time without holding them all (a pass over a large table); returns how many it visited. */
  each<R>(query: Compilable<R>, visit: (row: R) => void): number;
  /** The connection, for the prepared statements of db/query.ts; code outside db/ builds its queries with Kysely. */
  readonly sqlite: SqliteDatabase;
}

/** Brand that only the writer can create: functions that write take a WriteTx, so the compiler enforces a transaction. */
export interface WriteTx extends Tx {
  readonly __write: true;
}

export function makeTx(sqlite: SqliteDatabase): Tx {
  return {
    sqlite,
    all<R>(query: Compilable<R>): R[] {
      const compiled = query.compile();
      return sqlite.query(compiled.sql).all(...(compiled.parameters as any[])) as R[];
    },
    first<R>(query: Compilable<R>): R | undefined {
      const compiled = query.compile();
      return (sqlite.query(compiled.sql).get(...(compiled.parameters as any[])) ?? undefined) as R | undefined;
    },
    run(query: Compilable<unknown>) {
      const compiled = query.compile();
      const result = sqlite.query(compiled.sql).run(...(compiled.parameters as any[]));
      return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) };
    },
    each<R>(query: Compilable<R>, visit: (row: R) => void): number {
      const compiled = query.compile();
      let count = 0;
      for (const row of sqlite.query(compiled.sql).iterate(...(compiled.parameters as any[]))) {
        visit(row as R);
        count += 1;
      }
      return count;
    },
  };
}

