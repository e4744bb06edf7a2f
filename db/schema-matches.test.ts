// db/schema.ts is written by hand beside the migrations (issue 28): a database migrated from empty must have exactly
// the tables and columns it declares, with the same nullability and the same kind (number or text), so that a query
// Kysely accepts is a query SQLite can run and a row it returns has the type the code believes.
import { Database } from "bun:sqlite";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { migrateToLatest } from "./migrate.ts";
import { tempDatabasePath } from "./testing.ts";

interface DeclaredColumn {
  name: string;
  nullable: boolean;
  kind: "number" | "text" | "bytes";
}

const source = readFileSync(join(import.meta.dirname, "schema.ts"), "utf8");

/** The string-literal unions the schema names (`export type UserRole = "cardholder" | …`). */
function aliases(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/^export type (\w+) =([^;]+);/gm)) found.set(match[1]!, match[2]!.trim());
  return found;
}

/** Each `export interface XTable { … }` as its columns, with the kind and nullability of each. */
export function declaredTables(text: string): Map<string, DeclaredColumn[]> {
  const typeAliases = aliases(text);
  const interfaces = new Map<string, DeclaredColumn[]>();
  for (const match of text.matchAll(/^export interface (\w+) \{\n([\s\S]*?)^\}/gm)) {
    if (match[1] === "Database") continue;
    const columns: DeclaredColumn[] = [];
    for (const property of match[2]!.matchAll(/^ {2}(\w+)\??: ([^;]+);$/gm)) {
      let type = property[2]!.trim();
      const generated = /^Generated<(.+)>$/.exec(type);
      if (generated) type = generated[1]!;
      const parts = type.split("|").map((part) => part.trim()).filter(Boolean);
      const nullable = parts.includes("null");
      const rest = parts.filter((part) => part !== "null").map((part) => typeAliases.get(part) ?? part);
      const kinds = new Set(
        rest.flatMap((part) => part.split("|").map((piece) => piece.trim()).filter(Boolean)).map((piece) => {
          if (piece === "number" || /^-?\d+$/.test(piece)) return "number";
          if (piece === "string" || /^"[^"]*"$/.test(piece) || piece === "DeclineReason") return "text";
          if (piece === "Uint8Array") return "bytes";
          return `unknown:${piece}`;
        }),
      );
      expect(kinds.size, `${match[1]}.${property[1]}: one kind, got ${[...kinds].join(", ")}`).toBe(1);
      const kind = [...kinds][0]!;
      expect(kind, `${match[1]}.${property[1]}`).not.toMatch(/^unknown/);
      columns.push({ name: property[1]!, nullable, kind: kind as DeclaredColumn["kind"] });
    }
    interfaces.set(match[1]!, columns);
  }
  const database = /^export interface Database \{\n([\s\S]*?)^\}/m.exec(text);
  expect(database, "db/schema.ts declares the Database interface").not.toBeNull();
  const tables = new Map<string, DeclaredColumn[]>();
  for (const entry of database![1]!.matchAll(/^ {2}(\w+): (\w+);$/gm)) {
    const columns = interfaces.get(entry[2]!);
    expect(columns, `interface ${entry[2]} of table ${entry[1]}`).toBeDefined();
    tables.set(entry[1]!, columns!);
  }
  return tables;
}

let sqlite: Database;
let cleanup: () => void;
beforeAll(async () => {
  const temp = tempDatabasePath();
  cleanup = temp.cleanup;
  await migrateToLatest(temp.path);
  sqlite = new Database(temp.path);
});
afterAll(() => {
  sqlite.close();
  cleanup();
});

interface ActualColumn {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

function actualTables(): Map<string, ActualColumn[]> {
  const names = (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' AND name NOT LIKE 'cardholder_search_%'").all() as Array<{ name: string }>).map((row) => row.name);
  return new Map(names.map((name) => [name, sqlite.query(`SELECT name, type, "notnull", pk FROM pragma_table_info(?)`).all(name) as ActualColumn[]]));
}

function isVirtual(table: string): boolean {
  return Boolean(sqlite.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? AND sql LIKE 'CREATE VIRTUAL TABLE%'").get(table));
}

/** Whether triggers refuse NULL in this column on insert and on update (migration 20261207T1130). */
function triggerHeld(table: string, column: string): boolean {
  const names = (sqlite.query("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?").all(table) as Array<{ name: string }>).map((row) => row.name);
  return names.includes(`${table}_${column}_not_null_insert`) && names.includes(`${table}_${column}_not_null_update`);
}

function kindOf(column: ActualColumn): DeclaredColumn["kind"] | `unknown:${string}` {
  const type = column.type.toUpperCase();
  if (type.includes("INT") || type.includes("REAL") || type.includes("NUM")) return "number";
  if (type.includes("TEXT") || type.includes("CHAR")) return "text";
  if (type.includes("BLOB")) return "bytes";
  // FTS5 columns have no declared type: they hold text.
  return type === "" ? "text" : `unknown:${type}`;
}

test("the parser reads a table's columns, nullability, kinds, aliases and Generated<>", () => {
  const tables = declaredTables(`export type Role = "a" | "b";
export interface ThingsTable {
  id: Generated<number>;
  role: Role;
  note: string | null;
  ok: 0 | 1;
  data: Uint8Array;
}
export interface Database {
  things: ThingsTable;
}
`);
  expect(tables.get("things")).toEqual([
    { name: "id", nullable: false, kind: "number" },
    { name: "role", nullable: false, kind: "text" },
    { name: "note", nullable: true, kind: "text" },
    { name: "ok", nullable: false, kind: "number" },
    { name: "data", nullable: false, kind: "bytes" },
  ]);
});

test("a database migrated from empty has exactly the tables and columns db/schema.ts declares, same nullability and kind", () => {
  const declared = declaredTables(source);
  const actual = actualTables();
  expect(declared.size).toBeGreaterThan(30);
  // The migrator's own bookkeeping tables (kysely_migration…) and FTS5's shadow tables are not the application's.
  expect([...actual.keys()].sort()).toEqual([...declared.keys()].sort());
  const differences: string[] = [];
  for (const [table, columns] of declared) {
    const real = actual.get(table)!;
    const byName = new Map(real.map((column) => [column.name, column]));
    for (const column of columns) {
      // FTS5 tables expose their rowid without declaring it.
      if (column.name === "rowid" && !byName.has("rowid")) continue;
      const found = byName.get(column.name);
      if (!found) {
        differences.push(`${table}.${column.name}: declared, not in the database`);
        continue;
      }
      // An INTEGER PRIMARY KEY is the rowid: never null, whatever table_info says of it. A column of an FTS5 table
      // has no constraints at all (its triggers write it). A text key SQLite would let be NULL is held NOT NULL by
      // triggers (migration 20261207T1130), tried below.
      const virtual = found.type === "" && isVirtual(table);
      const nullable = found.notnull === 0 && !(found.pk === 1 && found.type.toUpperCase() === "INTEGER") && !virtual && !triggerHeld(table, column.name);
      if (nullable !== column.nullable) differences.push(`${table}.${column.name}: declared ${column.nullable ? "nullable" : "not null"}, the database says ${nullable ? "nullable" : "NOT NULL"}`);
      const kind = kindOf(found);
      if (kind !== column.kind) differences.push(`${table}.${column.name}: declared ${column.kind}, the database's type is ${found.type || "(none)"}`);
    }
    for (const column of real) if (!columns.some((declaredColumn) => declaredColumn.name === column.name)) differences.push(`${table}.${column.name}: in the database, not declared`);
  }
  expect(differences).toEqual([]);
});

test("the text keys held NOT NULL by triggers refuse a NULL key on insert and on update, and the check can fail", async () => {
  const { KEYS } = await import("./migrations/20261207T1130_keys_not_null.ts");
  const writable = new Database(sqlite.filename);
  try {
    for (const [table, column] of KEYS) {
      expect(triggerHeld(table, column), `${table}.${column}`).toBe(true);
      expect(() => writable.run(`INSERT INTO ${table} (${column}) VALUES (NULL)`), `${table} insert`).toThrow(`${table}.${column} may not be NULL`);
    }
    // An update to NULL is refused too, on a real row; and without the triggers the same NULL key gets through,
    // which is the SQLite quirk they guard against.
    writable.run("BEGIN");
    writable.run("INSERT INTO tenants (id, name, created_at) VALUES (9001, 't', 0)");
    writable.run("INSERT INTO users (id, tenant_id, role, created_at) VALUES (9001, 9001, 'cardholder', 0)");
    writable.run("INSERT INTO sessions (id, user_id, expires_at, absolute_expires_at, created_at) VALUES ('s', 9001, 1, 1, 0)");
    expect(() => writable.run("UPDATE sessions SET id = NULL WHERE id = 's'")).toThrow("sessions.id may not be NULL");
    writable.run("DROP TRIGGER sessions_id_not_null_update");
    writable.run("UPDATE sessions SET id = NULL WHERE id = 's'");
    expect(writable.query("SELECT COUNT(*) AS n FROM sessions WHERE id IS NULL").get()).toEqual({ n: 1 });
    writable.run("ROLLBACK");
  } finally {
    writable.close();
  }
});
