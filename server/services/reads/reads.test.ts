// Heavy reads on their worker thread (answers, time limit, bounded queue) and the background ledger verifier (issue 27).
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { db } from "../../../db/query.ts";
import { createCanteen, createCard, createTestStore, type Fixture, type TestStore } from "../../testing/harness.ts";
import { LedgerVerifier } from "../../ledger/verifier.ts";
import { checkLedger } from "../../ledger/check.ts";
import { postTransfer } from "../../ledger/ledger.ts";
import { copenhagenDate } from "../../../common/calendar.ts";
import { createHeavyReads, HeavyReadsBusyError, HeavyReadTimeoutError, type HeavyReads } from "./pool.ts";
import { startLedgerWatch } from "./verify-schedule.ts";

let testStore: TestStore;
let canteen: Fixture;
let reads: HeavyReads | null = null;

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
});
afterEach(async () => {
  reads?.close();
  reads = null;
  await testStore.close();
});

async function sell(count: number, cardNumber: string, accountId: number): Promise<void> {
  await testStore.store.write((tx) => {
    for (let index = 0; index < count; index += 1) {
      postTransfer(tx, { id: `sale:${cardNumber}:${index}`, debitAccountId: accountId, creditAccountId: canteen.revenueAccountId, amountOre: 100, kind: "sale" });
    }
  });
}

/** A balance edited in place, with its credits to match (what passes the table's CHECK): money made up. */
async function tamper(accountId: number, amountOre: number): Promise<void> {
  await testStore.store.write((tx) => {
    tx.run(db.updateTable("ledger_accounts").set((eb) => ({ balance_ore: eb("balance_ore", "+", amountOre), credits_ore: eb("credits_ore", "+", amountOre) })).where("id", "=", accountId));
  });
}

describe("the heavy-read worker", () => {
  test("answers what the same read answers on the server's own connection, and keeps answering", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    await sell(5, card.cardNumber, card.accountId);
    reads = createHeavyReads(testStore.store);
    const day = copenhagenDate(Date.now());
    const inWorker = await reads.run("dailyReport", { tenantId: canteen.tenantId, day });
    const inline = await createHeavyReads(testStore.store, { inline: true }).run("dailyReport", { tenantId: canteen.tenantId, day });
    expect(inWorker).toEqual(inline);
    expect(inWorker.lines.find((line) => line.key === "deposits")).toMatchObject({ amountOre: 10_000, count: 1 });
    // A second job reuses the worker, and sees what was committed since.
    await sell(2, `${card.cardNumber}b`, card.accountId);
    expect((await reads.run("checkLedger", {})).transfers).toBe(8);
  });

  test("a job over its time limit is stopped with a clear error, and the next job gets a new worker", async () => {
    await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    reads = createHeavyReads(testStore.store);
    // One millisecond is less than a worker takes to start, so this job is always over its limit.
    await expect(reads.run("checkLedger", {}, { timeoutMs: 1 })).rejects.toBeInstanceOf(HeavyReadTimeoutError);
    expect((await reads.run("checkLedger", {})).ok).toBe(true);
  });

  test("a full queue answers busy instead of growing", async () => {
    reads = createHeavyReads(testStore.store, { queueMax: 1 });
    const first = reads.run("checkLedger", {});
    const second = reads.run("checkLedger", {});
    await expect(reads.run("checkLedger", {})).rejects.toBeInstanceOf(HeavyReadsBusyError);
    expect((await first).ok).toBe(true);
    expect((await second).ok).toBe(true);
  });
});

describe("the ledger verifier", () => {
  test("checks each new transfer once and agrees with the full check", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const verifier = new LedgerVerifier();
    const first = testStore.store.read((tx) => verifier.step(tx));
    expect(first).toMatchObject({ ok: true, full: true, transfersRead: 1 });
    await sell(30, card.cardNumber, card.accountId);
    const second = testStore.store.read((tx) => verifier.step(tx));
    expect(second).toMatchObject({ ok: true, full: false, transfersRead: 30 });
    expect(second.verifiedThroughSeq).toBe(testStore.store.read((tx) => checkLedger(tx)).transfers);
    expect(testStore.store.read((tx) => verifier.step(tx))).toMatchObject({ ok: true, transfersRead: 0 });
  });

  test("a balance edited on an account no new transfer touches is found at the next step, and named", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const other = await createCard(testStore.store, canteen, { balanceOre: 5_000 });
    const verifier = new LedgerVerifier();
    expect(testStore.store.read((tx) => verifier.step(tx)).ok).toBe(true);
    await tamper(other.accountId, 100_000);
    await sell(3, card.cardNumber, card.accountId);
    const found = testStore.store.read((tx) => verifier.step(tx));
    expect(found.ok).toBe(false);
    expect(found.violations.join("\n")).toMatch(/sum of all balances is 100000 øre/);
    // The next step checks the whole book and names the account.
    const named = testStore.store.read((tx) => verifier.step(tx));
    expect(named).toMatchObject({ ok: false, full: true });
    expect(named.violations.join("\n")).toContain(`account ${other.accountId}: credits`);
  });

  test("the watch turns red on a tampered ledger at its next step, through the worker, and says so in /metrics terms", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    reads = createHeavyReads(testStore.store);
    const watch = startLedgerWatch(reads, { scheduled: false });
    try {
      expect((await watch.stepNow()).ok).toBe(true);
      expect(watch.latest()?.ok).toBe(true);
      await tamper(card.accountId, 2_500);
      const after = await watch.stepNow();
      expect(after.ok).toBe(false);
      expect(watch.latest()).toBe(after);
      const { registry } = await import("../../ops/metrics.ts");
      expect(await registry.getSingleMetricAsString("kantinekort_ledger_verified_ok")).toMatch(/kantinekort_ledger_verified_ok 0/);
    } finally {
      watch.stop();
    }
  });
});

describe("the day keeper", () => {
  test("keeps every closed day of every school once, computed on the worker, and nothing of today", async () => {
    const { startDayKeeper } = await import("./keep-days.ts");
    await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const other = await createCanteen(testStore.store, "Anden");
    reads = createHeavyReads(testStore.store);
    const keeper = startDayKeeper(testStore.store, reads, { scheduled: false });
    const kept = async () => testStore.store.read((tx) => tx.all(db.selectFrom("report_days").select(["tenant_id", "day"]).orderBy("tenant_id").orderBy("day")));
    expect(await keeper.turn()).toBe(62);
    const first = await kept();
    expect(first.filter((row) => row.tenant_id === canteen.tenantId)).toHaveLength(31);
    expect(first.filter((row) => row.tenant_id === other.tenantId)).toHaveLength(31);
    expect(first.some((row) => row.day === copenhagenDate(Date.now()))).toBe(false);
    // The next turn takes the month before; a day already kept is never computed again.
    expect(await keeper.turn()).toBe(62);
    expect(new Set((await kept()).map((row) => `${row.tenant_id}:${row.day}`)).size).toBe(124);
    keeper.stop();
  });
});
