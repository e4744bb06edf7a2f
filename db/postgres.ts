// PostgreSQL as the second store (issue 21), the parts where it differs from SQLite, in one place: the connection
// (Kysely's own PostgresDialect over node-postgres, decision 014), integer types read back as JavaScript numbers only
// when they are exact (øre amounts are bigint there), and which errors mean "run the transaction again".
import { Kysely, PostgresDialect, type Transaction } from "kysely";
import pg from "pg";

/** PostgreSQL type ids whose text form is an integer too large for int4: int8 (bigint) and numeric. */
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * An int8 or numeric value as a number, refusing one that a number cannot hold exactly: an amount beyond
 * Number.MAX_SAFE_INTEGER øre must stop the operation, never be rounded into another amount.
 */
export function parseExactInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || String(value) !== text.replace(/^(-?)0+(?=\d)/, "$1")) {
    throw new RangeError(`PostgreSQL returned ${text}, which is not an integer JavaScript holds exactly`);
  }
  return value;
}

/** The type parsers of our pools: integers exact or refused, everything else as node-postgres reads it. */
export const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== "binary") return parseExactInteger;
    return pg.types.getTypeParser(oid, format as "text");
  }) as pg.CustomTypesConfig["getTypeParser"],
};

export interface PostgresOptions {
  /** Most connections in the pool (a node's share of the server's max_connections). */
  maxConnections?: number;
}

/** A pool and a Kysely over it, for `DATABASE_URL=postgres://…`. */
export function openPostgres<DB>(url: string, options: PostgresOptions = {}): { kysely: Kysely<DB>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types: postgresTypes });
  return { kysely: new Kysely<DB>({ dialect: new PostgresDialect({ pool }) }), pool };
}

/** SQLSTATEs after which the same transaction may simply run again: serialization failure and deadlock. */
const RETRYABLE = new Set(["40001", "40P01"]);

export function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && RETRYABLE.has((error as { code?: string }).code ?? "");
}

/**
 * Runs `work` in a transaction and runs it again (up to `attempts` times, with a short growing pause) when PostgreSQL
 * aborts it as a serialization failure or a deadlock victim, so that a till never sees those. Any other error, and the
 * last retryable one, is thrown.
 */
export async function transactionWithRetry<DB, T>(kysely: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>, options: { attempts?: number; isolation?: "read committed" | "serializable" } = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await kysely.transaction().setIsolationLevel(options.isolation ?? "read committed").execute(work);
    } catch (error) {
      if (!isRetryable(error) || attempt >= attempts) throw error;
      await Bun.sleep(Math.min(50, 2 ** attempt) * Math.random());
    }
  }
}
