// One way to query (issue 11): server code builds every query with Kysely. This reads every server source file and
// fails on raw SQL — a `tx.sqlite` handle or an SQL string literal — outside the few places that say why they need it.
// Test files (`*.test.ts`) are left out: some arrange or tamper with rows directly (a card cancelled at the bank).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { expect, test } from "vitest";

const root = resolve(import.meta.dirname, "..");

/** Raw SQL allowed in server/, by file, with the reason Kysely cannot say it. Keep this list short. */
const allowed: Record<string, string> = {
  "server/testing/harness.ts": "the test fingerprint walks whatever tables and columns SQLite reports, which no typed query can name",
};

function files(directory: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(join(root, directory))) {
    const path = join(directory, name);
    if (statSync(join(root, path)).isDirectory()) found.push(...files(path));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) found.push(path);
  }
  return found;
}

/** Lines of a source that run raw SQL: the raw connection handle, or a string literal that starts like a statement. */
export function rawSqlLines(source: string): string[] {
  const statement = /(["'`])\s*(SELECT|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+\w+\s+AS|PRAGMA|BEGIN|COMMIT|CREATE\s+(TABLE|INDEX|TRIGGER))\b/;
  return source.split("\n").filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line) && (/\bsqlite\s*\.\s*(query|prepare|run|exec)\b|\.sqlite\s*$/.test(line) || statement.test(line)));
}

test("the detector sees raw SQL and leaves Kysely calls alone", () => {
  expect(rawSqlLines('const row = tx.sqlite.query("SELECT 1").get();')).toHaveLength(1);
  expect(rawSqlLines("tx.run(`INSERT INTO cards VALUES (?)`)")).toHaveLength(1);
  expect(rawSqlLines('  "UPDATE users SET role = ? WHERE id = ?"')).toHaveLength(1);
  expect(rawSqlLines('tx.first(db.selectFrom("cards").select("id").where("id", "=", id))')).toHaveLength(0);
  expect(rawSqlLines('import { Database } from "bun:sqlite";')).toHaveLength(0);
  expect(rawSqlLines("// SELECT in a comment is documentation")).toHaveLength(0);
  expect(rawSqlLines("  const row = tx.sqlite\n    .query(`SELECT 1`)")).toHaveLength(2);
  expect(rawSqlLines('const name = `kantinekort-${stamp}.sqlite`; map.get(tx.sqlite.filename);')).toHaveLength(0);
});

test("server production code runs no raw SQL outside the justified places", () => {
  const offenders: string[] = [];
  for (const file of files("server")) {
    const path = relative(root, join(root, file));
    if (allowed[path]) continue;
    for (const line of rawSqlLines(readFileSync(join(root, file), "utf8"))) offenders.push(`${path}: ${line.trim().slice(0, 120)}`);
  }
  expect(offenders).toEqual([]);
});
