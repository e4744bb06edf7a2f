// The queries that run on every sale, every portal request and every live stream must find their rows through an index:
// a full scan is invisible with a test's handful of rows and costs milliseconds per call at a school's size (issue 16:
// the "which accounts may this user act on" query scanned every account, 1.2 ms per call at 10,000 cardholders).
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, expect, test } from "vitest";
import { migrateToLatest } from "../../db/migrate.ts";
import { tempDatabasePath } from "../../db/testing.ts";
import { actableQueries } from "./access.ts";
import { cardForTerminal, posQueries } from "./pos.ts";

let sqlite: Database;
let cleanup: () => void;
beforeAll(async () => {
  const temp = tempDatabasePath();
  cleanup = temp.cleanup;
  await migrateToLatest(temp.path);
  sqlite = new Database(temp.path, { readonly: true });
});
afterAll(() => {
  sqlite.close();
  cleanup();
});

/** SQLite's plan for a query, one line per step ("SEARCH a USING INDEX ...", "SCAN a", ...). */
function plan(sql: string): string[] {
  const parameters = (sql.match(/\?/g) ?? []).map(() => 1);
  return (sqlite.query(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as Array<{ detail: string }>).map((row) => row.detail);
}

const hot = {
  "accounts a user may act on (every portal page, every live stream)": actableQueries.all.sql,
  "one account a user may act on (every money form)": actableQueries.one.sql,
  "the card a till sells on (every sale)": cardForTerminal.sql,
  // Issue 29: sale and refund ids are keys of one terminal, (terminal_id, id).
  "a sale's replay by terminal and id (every sale)": posQueries.saleById.sql,
  "a refund's replay by terminal and id (every refund)": posQueries.refundById.sql,
  "the sale a refund names among the canteen's tills (every refund)": posQueries.canteenSalesById.sql,
  "what was refunded of one sale (every refund)": posQueries.refundedOfSale.sql,
};

for (const [name, sql] of Object.entries(hot)) {
  test(`${name}: no table is scanned`, () => {
    const steps = plan(sql);
    expect(steps.length).toBeGreaterThan(0);
    // "SCAN <table>" reads every row; a covering-index scan or a temporary b-tree for ORDER BY is not that.
    expect(steps.filter((step) => /^SCAN \w+$/.test(step.trim()))).toEqual([]);
    expect(steps.some((step) => /^SEARCH /.test(step.trim()))).toBe(true);
  });
}

test("the plan check sees a full scan when there is one", () => {
  expect(plan("SELECT id FROM ledger_accounts WHERE name = ?").filter((step) => /^SCAN \w+$/.test(step.trim()))).toEqual(["SCAN ledger_accounts"]);
});
