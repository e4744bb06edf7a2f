// The ledger:check command only reads: a wrong path fails clearly and creates nothing; a real database is checked.
import { afterEach, expect, test } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanteen, createCard, createTestStore, type TestStore } from "../testing/harness.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const runCheck = (path: string) => Bun.spawnSync([process.execPath, "server/ledger/check-cli.ts", path], { stdout: "pipe", stderr: "pipe" });

test("a path with no database exits 1 with a clear message and creates neither a file nor a directory", () => {
  const parent = mkdtempSync(join(tmpdir(), "kantinekort-check-"));
  cleanups.push(() => rmSync(parent, { recursive: true, force: true }));
  const missingDirectory = join(parent, "no-such-directory");
  const missing = join(missingDirectory, "typo.sqlite");
  const run = runCheck(missing);
  expect(run.exitCode).toBe(1);
  expect(run.stderr.toString()).toContain(`no database file at ${missing}`);
  expect(existsSync(missingDirectory)).toBe(false);
  const missingFile = join(parent, "typo.sqlite");
  expect(runCheck(missingFile).exitCode).toBe(1);
  expect(existsSync(missingFile)).toBe(false);
});

test("an existing database is checked read-only while its server holds it open", async () => {
  const testStore: TestStore = await createTestStore();
  cleanups.push(() => testStore.close());
  const canteen = await createCanteen(testStore.store);
  await createCard(testStore.store, canteen, { balanceOre: 2_500 });
  const run = runCheck(testStore.path);
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
  expect(run.stdout.toString()).toMatch(/transfers, sum of balances 0 øre/);
  expect(run.stdout.toString()).toContain("ledger:check OK");
});
