// The WAL sync off the event loop (durability "wal-sync", what FULL means for a store): a job is answered only after
// an fdatasync of the WAL that started after its COMMIT; one sync answers every batch committed before it; a failed
// sync is never acknowledged; checkpoints run on their own thread.
import { afterEach, expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { fdatasync, fstatSync, statSync } from "node:fs";
import { openStore, type Store } from "./connect.ts";
import { migrateToLatest } from "./migrate.ts";
import { tempDatabasePath } from "./testing.ts";

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A real fdatasync that waits until the test lets it run, and records which file it synced. */
function heldSync() {
  const waiting: Array<() => void> = [];
  const synced: number[] = [];
  const syncFile = (fd: number) =>
    new Promise<void>((resolve, reject) => {
      waiting.push(() =>
        fdatasync(fd, (error) => {
          if (error) return reject(error);
          synced.push(fstatSync(fd).ino);
          resolve();
        }),
      );
    });
  return {
    syncFile,
    synced,
    pending: () => waiting.length,
    releaseOne: () => waiting.shift()?.(),
  };
}

async function store(options: { syncFile?: (fd: number) => Promise<void>; synchronous?: "FULL" | "NORMAL" } = {}): Promise<{ store: Store; path: string }> {
  const { path, cleanup } = tempDatabasePath();
  await migrateToLatest(path);
  const opened = openStore({ path, synchronous: options.synchronous, writer: { syncFile: options.syncFile } });
  cleanups.push(cleanup, () => opened.close());
  return { store: opened, path };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const insertTenant = (target: Store, name: string) =>
  target.write((tx) => Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, 0)").run(name).lastInsertRowid));

test("FULL is answered only after a WAL sync that began after the commit; the event loop runs meanwhile", async () => {
  const sync = heldSync();
  const { store: target, path } = await store({ syncFile: sync.syncFile });
  expect(target.writer.durability).toBe("wal-sync");
  let answered = false;
  const write = insertTenant(target, "a").then((id) => {
    answered = true;
    return id;
  });
  for (let index = 0; index < 5; index += 1) await turn();
  // Committed (another connection sees it) but not yet synced, so not answered.
  const other = new Database(path, { readonly: true });
  cleanups.push(() => other.close());
  expect(other.query("SELECT name FROM tenants").all()).toEqual([{ name: "a" }]);
  expect(sync.pending()).toBe(1);
  expect(answered).toBe(false);
  sync.releaseOne();
  expect(await write).toBeGreaterThan(0);
  // The file synced was the WAL.
  expect(sync.synced).toEqual([statSync(`${path}-wal`).ino]);
});

test("one sync answers every batch committed before it started; batches committed during a sync wait for the next", async () => {
  const sync = heldSync();
  const { store: target } = await store({ syncFile: sync.syncFile });
  const first = insertTenant(target, "first");
  for (let index = 0; index < 3; index += 1) await turn();
  expect(sync.pending()).toBe(1);
  // Three more batches commit while the first sync is held.
  const later: Array<Promise<number>> = [];
  for (const name of ["b", "c", "d"]) {
    later.push(insertTenant(target, name));
    for (let index = 0; index < 3; index += 1) await turn();
  }
  expect(target.writer.stats.commits).toBeGreaterThanOrEqual(4);
  expect(sync.pending()).toBe(1);
  sync.releaseOne();
  await first;
  let laterAnswered = false;
  void Promise.all(later).then(() => (laterAnswered = true));
  for (let index = 0; index < 5; index += 1) await turn();
  expect(laterAnswered).toBe(false);
  // The second sync covers all three.
  expect(sync.pending()).toBe(1);
  sync.releaseOne();
  expect((await Promise.all(later)).length).toBe(3);
  expect(target.writer.stats.syncs).toBe(2);
});

test("a failed sync is never acknowledged, and every later write is refused until a restart", async () => {
  const { store: target } = await store({ syncFile: () => Promise.reject(new Error("EIO: i/o error, fdatasync")) });
  await expect(insertTenant(target, "lost")).rejects.toThrow(/could not be synced to disk/);
  await expect(insertTenant(target, "after")).rejects.toThrow(/could not be synced to disk/);
});

test("NORMAL answers after COMMIT without a sync; FULL with the inline option syncs inside COMMIT", async () => {
  const normal = await store({ synchronous: "NORMAL" });
  expect(normal.store.writer.durability).toBe("none");
  expect(await insertTenant(normal.store, "n")).toBeGreaterThan(0);
  expect(normal.store.writer.stats.syncs).toBe(0);
  const { path, cleanup } = tempDatabasePath();
  await migrateToLatest(path);
  const inline = openStore({ path, syncOffLoop: false });
  cleanups.push(cleanup, () => inline.close());
  expect(inline.writer.durability).toBe("inline");
  expect(await insertTenant(inline, "i")).toBeGreaterThan(0);
  expect(inline.writer.stats.syncs).toBe(0);
});

test("past a few MB of WAL, checkpoints run on their own thread and copy the WAL into the database file", async () => {
  const { store: target, path } = await store();
  const before = statSync(path).size;
  const blob = "x".repeat(64 * 1024);
  // ~6 MB of WAL in 96 writes.
  for (let round = 0; round < 12; round += 1) {
    await Promise.all(Array.from({ length: 8 }, (_, index) => insertTenant(target, `${round}-${index}-${blob}`)));
  }
  await insertTenant(target, "trigger");
  const deadline = Date.now() + 10_000;
  while (target.writer.stats.checkpoints === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(target.writer.stats.checkpoints).toBeGreaterThan(0);
  while (statSync(path).size < before + 5 * 1024 * 1024 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(statSync(path).size).toBeGreaterThan(before + 5 * 1024 * 1024);
});

test("under writes that never stop, the WAL still starts over: the writer holds one transaction back, briefly, for a checkpoint", async () => {
  const { store: target, path } = await store();
  target.writer.startCheckpointThread();
  // 32 writers, each writing a ~4 KiB row (about a WAL frame) and then waiting up to 8 ms: thousands of small commits a
  // second, so a checkpoint never finds the WAL idle by chance. Without the restart pause the WAL grows here until
  // 16,384 frames, when the writer waits for a catch-up checkpoint of the whole backlog (0 restarts in 12,000 rows).
  const blob = "x".repeat(4_000);
  const ROWS = 12_000;
  let written = 0;
  const started = performance.now();
  const enough = () => (written >= ROWS && performance.now() - started >= 4_000) || performance.now() - started >= 25_000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (!enough()) {
        await target.write((tx) => tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, 0)").run(blob));
        written += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
      }
    }),
  );
  const stats = target.writer.stats;
  expect(written).toBeGreaterThanOrEqual(ROWS);
  // With the pause the WAL restarts about every 4,096-20,000 frames, however busy the machine (fewer rows a second
  // mean fewer restarts, not fewer per row); without it, not before 16,384 frames and a catch-up wait.
  expect(stats.walRestarts).toBeGreaterThanOrEqual(Math.max(1, Math.floor(written / 30_000)));
  expect(stats.restartPauses).toBeGreaterThanOrEqual(1);
  // Every write the writers were told about is in the file.
  const check = new Database(path, { readonly: true });
  cleanups.push(() => check.close());
  expect((check.query("SELECT count(*) AS n FROM tenants WHERE length(name) = 4000").get() as { n: number }).n).toBe(written);
}, 40_000);

test("a long read on another connection does not make the writer pause again and again (it cannot help the checkpoint)", async () => {
  const { store: target, path } = await store();
  target.writer.startCheckpointThread();
  // A reader that keeps one snapshot for the whole run, as the ledger check or a year report on the heavy-read
  // worker does: no checkpoint can pass its snapshot, so every pause for one runs out.
  const reader = new Database(path, { readonly: true });
  cleanups.push(() => reader.close());
  reader.run("BEGIN");
  reader.query("SELECT count(*) FROM tenants").get();
  const blob = "x".repeat(4_000);
  const started = performance.now();
  let written = 0;
  // Enough rows for several restart pauses a second apart (4,096 frames each), for at least 3 s.
  const enough = () => (written >= 14_000 && performance.now() - started >= 3_000) || performance.now() - started >= 25_000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (!enough()) {
        await target.write((tx) => tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, 0)").run(blob));
        written += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  reader.run("COMMIT");
  const stats = target.writer.stats;
  expect(stats.pausesRunOut).toBeGreaterThanOrEqual(1);
  // One pause that runs out, then none for 5 s: at most one per 5 s of the run (without the back-off, one a second).
  expect(stats.pausesRunOut).toBeLessThanOrEqual(Math.ceil(seconds / 5));
  expect((reader.query("SELECT count(*) AS n FROM tenants WHERE length(name) = 4000").get() as { n: number }).n).toBe(written);
}, 40_000);
