// Tests for the query helpers: the Kysely builder runs through a Tx, and prepared queries bind named parameters on each connection.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore, type Store } from "./connect.ts";
import { migrateToLatest } from "./migrate.ts";
import { db, prepared } from "./query.ts";

let directory: string;
let store: Store;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "kantinekort-query-"));
  const path = join(directory, "test.sqlite");
  await migrateToLatest(path);
  store = openStore({ path });
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const insertTenant = prepared<{ name: string; createdAt: number }>()((p) =>
  db.insertInto("tenants").values({ name: p.name, created_at: p.createdAt }).returning(["id", "name"]),
);
const tenantByName = prepared<{ name: string }>()((p) =>
  db.selectFrom("tenants").select(["id", "name", "created_at"]).where("name", "=", p.name).where("created_at", ">", 0),
);

describe("prepared queries", () => {
  it("compile once with placeholders, bind named parameters in order and keep fixed values", async () => {
    expect(tenantByName.sql).toBe('select "id", "name", "created_at" from "tenants" where "name" = ? and "created_at" > ?');
    const inserted = await store.write((tx) => insertTenant.first(tx, { name: "Skolen", createdAt: 5 }));
    expect(inserted).toEqual({ id: expect.any(Number), name: "Skolen" });
    await store.write((tx) => insertTenant.run(tx, { name: "Anden skole", createdAt: 6 }));
    // The same prepared query runs on the read connection too, with its own statement.
    const row = store.read((tx) => tenantByName.first(tx, { name: "Anden skole" }));
    expect(row).toEqual({ id: expect.any(Number), name: "Anden skole", created_at: 6 });
    expect(store.read((tx) => tenantByName.first(tx, { name: "ingen" }))).toBeUndefined();
    expect(store.read((tx) => tenantByName.all(tx, { name: "Skolen" }))).toHaveLength(1);
  });

  it("refuses a missing parameter instead of binding undefined", () => {
    expect(() => store.read((tx) => tenantByName.first(tx, {} as { name: string }))).toThrow(/parameter "name" is missing/);
  });

  it("the builder runs through a Tx with Kysely's result types", async () => {
    await store.write((tx) => tx.run(db.insertInto("tenants").values({ name: "Tredje", created_at: 7 })));
    const rows = store.read((tx) => tx.all(db.selectFrom("tenants").select(["name"]).orderBy("created_at", "desc")));
    expect(rows[0]).toEqual({ name: "Tredje" });
  });
});
