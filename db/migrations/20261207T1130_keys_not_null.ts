// Text primary keys that SQLite lets be NULL (issue 28, found by db/schema-matches.test.ts): a PRIMARY KEY that is not
// an INTEGER PRIMARY KEY may hold NULL in SQLite unless declared NOT NULL, and these five were not. No code writes a
// NULL key, but the schema says they cannot be one (and PostgreSQL's PRIMARY KEY would refuse it). SQLite cannot add
// NOT NULL to an existing column without rebuilding the table, so, as for the never-negative rule (migration
// 20261125T0450), triggers refuse it on insert and update.
import { sql, type Kysely } from "kysely";

/** Table and key column: the text primary keys without NOT NULL. */
export const KEYS: ReadonlyArray<readonly [table: string, column: string]> = [
  ["declined_transfers", "id"],
  ["sessions", "id"],
  ["password_reset_tokens", "token_hash"],
  ["payments", "id"],
  ["backoffice_submissions", "key_hash"],
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const [table, column] of KEYS) {
    const found = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM ${sql.table(table)} WHERE ${sql.ref(column)} IS NULL`.execute(db);
    if (Number(found.rows[0]?.n ?? 0) > 0) throw new Error(`${table}.${column} holds NULL keys: repair them before this migration`);
    for (const event of ["insert", "update"] as const) {
      const when = event === "insert" ? sql.raw(`BEFORE INSERT ON ${table}`) : sql.raw(`BEFORE UPDATE OF ${column} ON ${table}`);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_${column}_not_null_${event}`)} ${when} WHEN new.${sql.raw(column)} IS NULL
        BEGIN SELECT RAISE(ABORT, ${sql.lit(`${table}.${column} may not be NULL`)}); END`.execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const [table, column] of KEYS) {
    for (const event of ["insert", "update"]) await sql`DROP TRIGGER ${sql.raw(`${table}_${column}_not_null_${event}`)}`.execute(db);
  }
}
