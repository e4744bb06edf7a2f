// Group commit: jobs share a transaction but fail alone, and a job is answered only once its batch has committed.
import { afterEach, expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { createTestStore, type TestStore } from "./testing.ts";

let testStore: TestStore | null = null;
afterEach(async () => {
  await testStore?.close();
  testStore = null;
});

function insertTenant(name: string) {
  return testStore!.store.write((tx) => Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, 0)").run(name).lastInsertRowid));
}

test("concurrent jobs are committed together, and a failing job is rolled back alone", async () => {
  testStore = await createTestStore({ maxBatch: 256 });
  const commitsBefore = testStore.store.writer.stats.commits;
  const failing = testStore.store.write((tx) => {
    tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES ('doomed', 0)").run();
    throw new Error("boom");
  });
  const results = await Promise.allSettled([insertTenant("a"), failing, insertTenant("b"), insertTenant("c")]);
  expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  expect(testStore.store.writer.stats.commits - commitsBefore).toBe(1);
  const names = testStore.store.read((tx) => (tx.sqlite.query("SELECT name FROM tenants ORDER BY id").all() as Array<{ name: string }>).map((row) => row.name));
  expect(names).toEqual(["a", "b", "c"]);
});

test("maxBatch 1 gives one transaction per job", async () => {
  testStore = await createTestStore({ maxBatch: 1 });
  const before = testStore.store.writer.stats.commits;
  await Promise.all(["a", "b", "c", "d"].map(insertTenant));
  expect(testStore.store.writer.stats.commits - before).toBe(4);
});

test("when a write resolves, another connection already sees it on disk", async () => {
  testStore = await createTestStore();
  const other = new Database(testStore.path, { readonly: true });
  try {
    await Promise.all(
      Array.from({ length: 20 }, async (_, index) => {
        const id = await insertTenant(`t${index}`);
        expect(other.query("SELECT name FROM tenants WHERE id = ?").get(id)).toEqual({ name: `t${index}` });
      }),
    );
  } finally {
    other.close();
  }
});

test("async jobs are refused, so a transaction can never span an await", async () => {
  testStore = await createTestStore();
  await expect(testStore.store.write(async () => 1)).rejects.toThrow(/synchronous/);
});

test("a full queue refuses a write at once with WriterBusyError, writes nothing of it, and takes writes again once it drains", async () => {
  let busy = 0;
  testStore = await createTestStore({ maxQueued: 2, onBusy: () => (busy += 1) });
  const { WriterBusyError } = await import("./writer.ts");
  // Four writes in one turn of the event loop: the first two wait for the batch, the other two find the queue full.
  const results = await Promise.allSettled(["a", "b", "c", "d"].map(insertTenant));
  expect(results.map((result) => result.status)).toEqual(["fulfilled", "fulfilled", "rejected", "rejected"]);
  for (const refused of results.slice(2)) expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(WriterBusyError);
  expect(busy).toBe(2);
  const names = () => testStore!.store.read((tx) => (tx.sqlite.query("SELECT name FROM tenants ORDER BY id").all() as Array<{ name: string }>).map((row) => row.name));
  expect(names()).toEqual(["a", "b"]);
  // The same writes again, now that the queue is empty: taken.
  await Promise.all(["c", "d"].map(insertTenant));
  expect(names()).toEqual(["a", "b", "c", "d"]);
});
