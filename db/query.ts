// The one way to query: a Kysely builder typed by db/schema.ts, and a helper that compiles a query once into a prepared statement.
import type { Database as SqliteDatabase, Statement } from "bun:sqlite";
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type Compilable } from "kysely";
import type { Database } from "./schema.ts";

/**
 * Builds queries only; it never executes anything. Queries run synchronously through a `Tx`
 * (`tx.all`, `tx.first`, `tx.run`), so a write job never awaits (decision 001).
 */
export const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

/** Marks a named parameter inside a query given to `prepared`; replaced by the caller's value on every run. */
const PARAMETER_PREFIX = "\u0000kantinekort-parameter:";

type ParameterValue = string | number | bigint | boolean | null | Uint8Array;

/**
 * A query compiled once, run many times with new parameters on the connection of the given transaction.
 * bun:sqlite statements belong to one connection, so each connection gets its own prepared statement.
 */
export interface PreparedQuery<P, R> {
  all(tx: { sqlite: SqliteDatabase }, parameters: P): R[];
  first(tx: { sqlite: SqliteDatabase }, parameters: P): R | undefined;
  run(tx: { sqlite: SqliteDatabase }, parameters: P): { changes: number; lastInsertRowid: number };
  /** The compiled SQL, for tests and query plans. */
  readonly sql: string;
}

/**
 * Compiles a Kysely query once for the hot path. `build` receives stand-ins for the named parameters, typed as their
 * values: `prepared<{ id: string }>()((p) => db.selectFrom("transfers").selectAll().where("id", "=", p.id))`.
 * Only the stand-ins may vary between runs; every other value in the query is fixed at compile time.
 */
export function prepared<P extends Record<string, ParameterValue>>() {
  return <R>(build: (parameters: P) => Compilable<R>): PreparedQuery<P, R> => {
    const standIns = new Proxy({} as P, {
      get: (_target, name) => `${PARAMETER_PREFIX}${String(name)}`,
    });
    const compiled = build(standIns).compile();
    const order: Array<{ name: string } | { fixed: unknown }> = compiled.parameters.map((value) =>
      typeof value === "string" && value.startsWith(PARAMETER_PREFIX) ? { name: value.slice(PARAMETER_PREFIX.length) } : { fixed: value },
    );
    const statements = new WeakMap<SqliteDatabase, Statement>();
    const statementFor = (sqlite: SqliteDatabase): Statement => {
      let statement = statements.get(sqlite);
      if (!statement) {
        statement = sqlite.prepare(compiled.sql);
        statements.set(sqlite, statement);
      }
      return statement;
    };
    const bind = (parameters: P): any[] =>
      order.map((slot) => {
        if (!("name" in slot)) return slot.fixed;
        const value = parameters[slot.name];
        if (value === undefined) throw new Error(`prepared query: parameter "${slot.name}" is missing`);
        return value;
      });
    return {
      sql: compiled.sql,
      all: (tx, parameters) => statementFor(tx.sqlite).all(...bind(parameters)) as R[],
      first: (tx, parameters) => (statementFor(tx.sqlite).get(...bind(parameters)) ?? undefined) as R | undefined,
      run: (tx, parameters) => {
        const result = statementFor(tx.sqlite).run(...bind(parameters));
        return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) };
      },
    };
  };
}
