// Which migrations a database has against the ones this code knows: readiness and restore refuse a mismatch.
import type { Tx } from "./tx.ts";
import { migrations } from "./migrations/index.ts";

export interface MigrationState {
  /** Known to the code, not yet applied to the database. */
  pending: string[];
  /** Applied to the database, unknown to the code (a newer version ran on it). */
  unknown: string[];
}

export function migrationState(tx: Tx): MigrationState {
  // Raw SQL: kysely_migration is Kysely's own bookkeeping table, not part of our typed schema; it is absent before the first migration.
  const exists = tx.sqlite.query("SELECT 1 AS present FROM sqlite_master WHERE type = 'table' AND name = 'kysely_migration'").get();
  const applied = exists ? (tx.sqlite.query("SELECT name FROM kysely_migration").all() as Array<{ name: string }>).map((row) => row.name) : [];
  const known = Object.keys(migrations);
  return { pending: known.filter((name) => !applied.includes(name)), unknown: applied.filter((name) => !(name in migrations)) };
}
