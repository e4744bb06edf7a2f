// The ledger:check command only reads: a wrong path fails clearly and creates nothing; a real database is checked, its hash chain too.
import { afterEach, expect, test } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCanteen, createCard, createTestStore, type TestStore } from "../testing/harness.ts";
import { startSealer } from "./sealer.ts";

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

test("a sealed transfer rewritten in a live database, balances and all, is named by its stretch and exits 1", async () => {
  const testStore: TestStore = await createTestStore();
  cleanups.push(() => testStore.close());
  const canteen = await createCanteen(testStore.store);
  await createCard(testStore.store, canteen, { balanceOre: 2_500 });
  await createCard(testStore.store, canteen, { balanceOre: 4_000 });
  await startSealer(testStore.store, { scheduled: false }).sealNow();
  const clean = runCheck(testStore.path);
  expect(clean.exitCode).toBe(0);
  expect(clean.stdout.toString()).toMatch(/chain: 1 seals, sealed through transfer 2; head [0-9a-f]{64} through transfer 2/);
  // The finding's edit, done to a live database: the first deposit raised by 1.000 kr. with both accounts' balances and
  // totals to match, so every invariant the ledger check had before still holds.
  await testStore.store.write((tx) => {
    tx.sqlite.run("DROP TRIGGER transfers_no_update");
    const deposit = tx.sqlite.query("SELECT seq, debit_account_id, credit_account_id FROM transfers ORDER BY seq LIMIT 1").get() as { seq: number; debit_account_id: number; credit_account_id: number };
    tx.sqlite.run("UPDATE transfers SET amount_ore = amount_ore + 100000 WHERE seq = ?", [deposit.seq]);
    tx.sqlite.run("UPDATE ledger_accounts SET balance_ore = balance_ore + 100000, credits_ore = credits_ore + 100000 WHERE id = ?", [deposit.credit_account_id]);
    tx.sqlite.run("UPDATE ledger_accounts SET balance_ore = balance_ore - 100000, debits_ore = debits_ore + 100000 WHERE id = ?", [deposit.debit_account_id]);
  });
  const broken = runCheck(testStore.path);
  expect(broken.exitCode).toBe(1);
  expect(broken.stderr.toString()).toMatch(/^CHAIN BROKEN: the chain breaks between transfer 1 and transfer 2 \(seal at seq 2 holds/m);
  expect(broken.stderr.toString()).not.toContain("VIOLATION");
});
