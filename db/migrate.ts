// Runs the Kysely migrations (up to latest, or one step down) against a database file.
import { Database as SqliteDatabase } from "bun:sqlite";
import { Kysely, Migrator, type MigrationResultSet } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openSqlite } from "./connect.ts";
import { migrations } from "./migrations/index.ts";

function migratorFor(sqlite: SqliteDatabase): { kysely: Kysely<any>; migrator: Migrator } {
  const kysely = new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) });
  const migrator = new Migrator({ db: kysely, provider: { getMigrations: async () => migrations } });
  return { kysely, migrator };
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) throw result.error instanceof Error ? result.error : new Error(String(result.error));
  return result;
}

/** Migrates the file at `path` to the latest schema. Safe to call on every start. */
export async function migrateToLatest(path: string): Promise<MigrationResultSet> {
  const sqlite = openSqlite(path);
  try {
    return check(await migratorFor(sqlite).migrator.migrateToLatest());
  } finally {
    sqlite.close();
  }
}

export async function migrateDown(path: string): Promise<MigrationResultSet> {
  const sqlite = openSqlite(path);
  try {
    return check(await migratorFor(sqlite).migrator.migrateDown());
  } finally {
    sqlite.close();
  }
}
