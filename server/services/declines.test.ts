// The decline precedence (issue 28): SALE_DECLINE_PRECEDENCE in common/declines.ts is the one ordered list. Every
// combination of broken rules (2^7 of them) is sold, and the answer must be the first broken rule in that list (or an
// approval when none is); the README's "Checks run in this order" reads the same list.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { db } from "../../db/query.ts";
import { findTerminalByKey } from "../auth/terminal.ts";
import { checkLedger } from "../ledger/check.ts";
import { createCanteen, createCard, createTestStore, type Fixture, type TestStore } from "../testing/harness.ts";
import { SALE_DECLINE_PRECEDENCE, declineReasons, type SaleDeclineReason } from "../../common/declines.ts";
import { recordSale, type TerminalIdentity } from "./pos.ts";

let testStore: TestStore;
let canteen: Fixture;
let terminal: TerminalIdentity;
beforeAll(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
  terminal = testStore.store.read((tx) => findTerminalByKey(tx, canteen.terminalKey))!;
});
afterAll(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

const AMOUNT = 1_000;

/** Every subset of the rules, as lists in precedence order. */
function subsets(): SaleDeclineReason[][] {
  return Array.from({ length: 2 ** SALE_DECLINE_PRECEDENCE.length }, (_, mask) => SALE_DECLINE_PRECEDENCE.filter((_, bit) => mask & (1 << bit)));
}

test("every combination of broken rules is declined for the first of them in SALE_DECLINE_PRECEDENCE", async () => {
  let index = 0;
  const outcomes: string[] = [];
  for (const broken of subsets()) {
    index += 1;
    const breaks = (reason: SaleDeclineReason) => broken.includes(reason);
    // A card that breaks exactly these rules, a fresh one each time (nothing spent on it yet).
    const card = await createCard(testStore.store, canteen, {
      balanceOre: breaks("insufficient_funds") ? AMOUNT - 1 : AMOUNT * 10,
      status: breaks("card_blocked") ? "blocked" : "active",
      limits: {
        ...(breaks("limit_daily_exceeded") ? { daily: AMOUNT - 1 } : {}),
        ...(breaks("limit_weekly_exceeded") ? { weekly: AMOUNT - 1 } : {}),
        ...(breaks("limit_monthly_exceeded") ? { monthly: AMOUNT - 1 } : {}),
      },
    });
    const cardNumber = breaks("card_unknown") ? `9${String(index).padStart(13, "0")}` : card.cardNumber;
    const maxSaleOre = breaks("amount_over_sale_maximum") ? AMOUNT - 1 : AMOUNT * 100;
    const { result } = await testStore.store.write((tx) => recordSale(tx, terminal, { saleId: `precedence-${index}`, cardNumber, amountOre: AMOUNT }, { maxSaleOre }));
    const expected = broken[0] ?? null;
    outcomes.push(`${broken.join("+") || "nothing"} → ${result.reason ?? result.status}`);
    expect(result.status, outcomes.at(-1)).toBe(expected ? "declined" : "approved");
    expect(result.reason ?? null, outcomes.at(-1)).toBe(expected);
    if (expected) expect(result.message).toEqual(declineReasons[expected]);
  }
  expect(outcomes).toHaveLength(128);
  // Only the sale that broke nothing moved money.
  const approved = testStore.store.read((tx) => tx.all(db.selectFrom("sales").select("id").where("status", "=", "approved")));
  expect(approved.map((row) => row.id)).toEqual(["precedence-1"]);
});

test("the README lists the checks in the same order", () => {
  const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
  const line = /Checks run in this order:([\s\S]*?)\n\n|Checks run in this order:([\s\S]*?)Declines are answers/.exec(readme);
  expect(line).not.toBeNull();
  const text = (line![1] ?? line![2])!;
  const words: Record<SaleDeclineReason, RegExp> = {
    card_unknown: /card known/,
    card_blocked: /card active/,
    amount_over_sale_maximum: /MAX_SALE_ORE/,
    limit_daily_exceeded: /daily/,
    limit_weekly_exceeded: /weekly/,
    limit_monthly_exceeded: /monthly/,
    insufficient_funds: /balance/,
  };
  const positions = SALE_DECLINE_PRECEDENCE.map((reason) => text.search(words[reason]));
  expect(positions.every((position) => position >= 0), JSON.stringify(positions)).toBe(true);
  expect([...positions].sort((a, b) => a - b)).toEqual(positions);
});
