// The PostgreSQL groundwork of issue 21, on a real cluster started by the test (db/testing-postgres.ts): bigint øre read
// back exactly or refused, a balance that never goes below zero under 1,000 parallel debits (a conditional update
// plus a CHECK), transfers both ways between two accounts without deadlock (lock order), and serialization failures
// retried inside the store, never surfaced.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sql, type Kysely } from "kysely";
import { isRetryable, openPostgres, parseExactInteger, transactionWithRetry } from "./postgres.ts";
import { startTestCluster, type TestCluster } from "./testing-postgres.ts";

interface Db {
  accounts: { id: number; balance_ore: number };
}

let cluster: TestCluster;
let kysely: Kysely<Db>;
let pool: { end(): Promise<void> };

beforeAll(async () => {
  cluster = await startTestCluster();
  ({ kysely, pool } = openPostgres<Db>(cluster.url, { maxConnections: 20 }));
  await sql`CREATE TABLE accounts (id bigint PRIMARY KEY, balance_ore bigint NOT NULL CHECK (balance_ore >= 0))`.execute(kysely);
}, 90_000);
afterAll(async () => {
  await pool?.end();
  await cluster?.stop();
});

const balanceOf = async (id: number) => (await kysely.selectFrom("accounts").select("balance_ore").where("id", "=", id).executeTakeFirstOrThrow()).balance_ore;

describe("integers", () => {
  test("an int8 or numeric text is read as an exact number or refused", () => {
    expect(parseExactInteger("0")).toBe(0);
    expect(parseExactInteger("-42")).toBe(-42);
    expect(parseExactInteger("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseExactInteger("9007199254740992")).toThrow(RangeError);
    expect(() => parseExactInteger("12.5")).toThrow(RangeError);
    expect(() => parseExactInteger("NaN")).toThrow(RangeError);
  });

  test("bigint øre come back as numbers; one beyond the safe range stops the read instead of being rounded", async () => {
    await kysely.insertInto("accounts").values({ id: 1, balance_ore: 123_456_789_012 }).execute();
    const row = await kysely.selectFrom("accounts").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
    expect(row).toEqual({ id: 1, balance_ore: 123_456_789_012 });
    expect(typeof row.balance_ore).toBe("number");
    const count = await kysely.selectFrom("accounts").select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
    await expect(sql`SELECT 9007199254740993::bigint AS too_big`.execute(kysely)).rejects.toThrow(/not an integer JavaScript holds exactly/);
    await kysely.deleteFrom("accounts").execute();
  });
});

describe("concurrency", () => {
  test("1,000 parallel debits of 1 kr. on a card with 500 kr.: exactly 500 approved, the balance 0, never below", async () => {
    await kysely.insertInto("accounts").values({ id: 10, balance_ore: 50_000 }).execute();
    const debit = () =>
      transactionWithRetry(kysely, async (trx) => {
        // The conditional update is the check and the write in one statement, under the row's lock.
        const updated = await trx.updateTable("accounts").set((eb) => ({ balance_ore: eb("balance_ore", "-", 100) })).where("id", "=", 10).where("balance_ore", ">=", 100).returning("balance_ore").executeTakeFirst();
        return updated ? "approved" : "declined";
      });
    const answers = await Promise.all(Array.from({ length: 1_000 }, debit));
    expect(answers.filter((answer) => answer === "approved")).toHaveLength(500);
    expect(await balanceOf(10)).toBe(0);
    // The CHECK is the last word: a write that would go below zero is refused by the database itself.
    await expect(kysely.updateTable("accounts").set({ balance_ore: -1 }).where("id", "=", 10).execute()).rejects.toThrow(/check constraint/);
  }, 60_000);

  test("transfers both ways between two cards, 400 in parallel: no deadlock when rows are locked in id order, money conserved", async () => {
    await kysely.insertInto("accounts").values([{ id: 20, balance_ore: 100_000 }, { id: 21, balance_ore: 100_000 }]).execute();
    let attempts = 0;
    const transfer = (from: number, to: number, amountOre: number) =>
      transactionWithRetry(kysely, async (trx) => {
        attempts += 1;
        // Both accounts locked first, lowest id first, whichever way the money goes.
        await trx.selectFrom("accounts").select("id").where("id", "in", [from, to]).orderBy("id").forUpdate().execute();
        const debited = await trx.updateTable("accounts").set((eb) => ({ balance_ore: eb("balance_ore", "-", amountOre) })).where("id", "=", from).where("balance_ore", ">=", amountOre).returning("id").executeTakeFirst();
        if (!debited) return false;
        await trx.updateTable("accounts").set((eb) => ({ balance_ore: eb("balance_ore", "+", amountOre) })).where("id", "=", to).execute();
        return true;
      });
    const moves = Array.from({ length: 400 }, (_, index) => (index % 2 === 0 ? transfer(20, 21, 100 + index) : transfer(21, 20, 100 + index)));
    const results = await Promise.all(moves);
    expect(results.every(Boolean)).toBe(true);
    expect((await balanceOf(20)) + (await balanceOf(21))).toBe(200_000);
    // Locked in order, nothing needed a second run.
    expect(attempts).toBe(400);
  }, 60_000);

  test("a serializable read-modify-write that PostgreSQL aborts is run again inside the store, and every one lands once", async () => {
    await kysely.insertInto("accounts").values({ id: 30, balance_ore: 0 }).execute();
    let attempts = 0;
    const increment = () =>
      transactionWithRetry(
        kysely,
        async (trx) => {
          attempts += 1;
          const { balance_ore } = await trx.selectFrom("accounts").select("balance_ore").where("id", "=", 30).executeTakeFirstOrThrow();
          await trx.updateTable("accounts").set({ balance_ore: balance_ore + 1 }).where("id", "=", 30).execute();
        },
        { isolation: "serializable", attempts: 200 },
      );
    await Promise.all(Array.from({ length: 60 }, increment));
    // Each increment landed exactly once although some ran more than once.
    expect(await balanceOf(30)).toBe(60);
    expect(attempts).toBeGreaterThan(60);
  }, 60_000);

  test("only serialization failures and deadlocks count as retryable", () => {
    expect(isRetryable({ code: "40001" })).toBe(true);
    expect(isRetryable({ code: "40P01" })).toBe(true);
    expect(isRetryable({ code: "23514" })).toBe(false);
    expect(isRetryable(new Error("x"))).toBe(false);
  });
});
