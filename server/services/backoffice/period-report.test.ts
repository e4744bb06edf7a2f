// Month and school-year reports (issue 27): kept day totals add up to the day reports, the months to the year, all to the ledger.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openStore, type Store } from "../../../db/connect.ts";
import { db } from "../../../db/query.ts";
import { tempDatabasePath } from "../../../db/testing.ts";
import { buildYearDatabase, yearShape, type YearDatabase } from "../../../bench/year-data.ts";
import { checkLedger } from "../../ledger/check.ts";
import { copenhagenDate, copenhagenMidnight } from "../../../common/calendar.ts";
import { postCorrection } from "./corrections.ts";
import { addUp, dayTotalsOf, keepDayTotals, periodDays, periodReport, periodReportWithin } from "./period-report.ts";
import { dailyReport } from "./reports.ts";

let store: Store;
let year: YearDatabase;
let cleanup: () => void;

beforeAll(async () => {
  const temp = tempDatabasePath();
  cleanup = temp.cleanup;
  year = await buildYearDatabase(temp.path, yearShape(6_000));
  store = openStore({ path: temp.path });
});
afterAll(async () => {
  await store.close();
  cleanup();
});

/** What the ledger itself says moved in [from, to): sums by kind over the school's canteen revenue and cards. */
function ledgerSums(from: number, to: number) {
  return store.read((tx) => {
    const rows = tx.all(
      db
        .selectFrom("transfers")
        .select((eb) => ["kind", eb.fn.sum<number>("amount_ore").as("amount_ore"), eb.fn.countAll<number>().as("count")])
        .where("created_at", ">=", from)
        .where("created_at", "<", to)
        .groupBy("kind"),
    );
    return Object.fromEntries(rows.map((row) => [row.kind, { amountOre: row.amount_ore, count: row.count }]));
  });
}

const line = (report: { lines: Array<{ key: string; amountOre: number; count: number }> }, key: string) => report.lines.find((entry) => entry.key === key)!;

describe("period reports", () => {
  test("a month is the sum of its days and agrees with the ledger to the øre", () => {
    const { report } = store.read((tx) => periodReport(tx, year.tenantId, "2025-09-01", "2025-09-30"));
    const days = store.read((tx) => periodDays("2025-09-01", "2025-09-30").map((day) => dayTotalsOf(dailyReport(tx, year.tenantId, day))));
    expect(report.days).toBe(30);
    const summed = addUp(days);
    expect(report.lines).toEqual(summed.lines);
    expect(report.salesByProduct).toEqual(summed.salesByProduct);
    const ledger = ledgerSums(copenhagenMidnight(2025, 9, 1), copenhagenMidnight(2025, 10, 1));
    expect(line(report, "sales")).toMatchObject({ amountOre: ledger.sale!.amountOre + ledger.order!.amountOre, count: ledger.sale!.count + ledger.order!.count });
    expect(line(report, "deposits")).toMatchObject({ amountOre: ledger.deposit?.amountOre ?? 0, count: ledger.deposit?.count ?? 0 });
    expect(report.depositsOre).toBe(ledger.deposit?.amountOre ?? 0);
    expect(report.salesByCanteen).toEqual([{ canteen: "Kantinen", salesOre: ledger.sale!.amountOre + ledger.order!.amountOre, count: ledger.sale!.count + ledger.order!.count }]);
    // Products add up to the sales: till items and webshop lines.
    expect(report.salesByProduct.reduce((sum, row) => sum + row.amountOre, 0)).toBe(ledger.sale!.amountOre + ledger.order!.amountOre);
  });

  test("the school year is the sum of its months; kept days give the same answer as computed ones", async () => {
    const nowMs = Date.now();
    const cold = store.read((tx) => periodReport(tx, year.tenantId, "2025-08-01", "2026-07-31", nowMs));
    expect(cold.report.keptDays).toBe(0);
    expect(cold.toKeep).toHaveLength(365);
    expect(await store.write((tx) => keepDayTotals(tx, year.tenantId, cold.toKeep))).toBe(365);
    const warm = store.read((tx) => periodReport(tx, year.tenantId, "2025-08-01", "2026-07-31", nowMs));
    expect(warm.report.keptDays).toBe(365);
    expect(warm.toKeep).toEqual([]);
    expect(warm.report).toEqual({ ...cold.report, keptDays: 365 });
    const months = ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"].map((month) => {
      const [y, m] = month.split("-").map(Number) as [number, number];
      const last = copenhagenDate(copenhagenMidnight(y, m + 1, 1) - 1);
      return store.read((tx) => periodReport(tx, year.tenantId, `${month}-01`, last, nowMs)).report;
    });
    expect(addUp(months.map((month) => ({ ...month, day: month.from }))).lines).toEqual(warm.report.lines);
    const ledger = ledgerSums(copenhagenMidnight(2025, 8, 1), copenhagenMidnight(2026, 8, 1));
    expect(line(warm.report, "sales").amountOre).toBe(ledger.sale!.amountOre + ledger.order!.amountOre);
    expect(ledger.deposit!.amountOre).toBeGreaterThan(0);
    expect(line(warm.report, "deposits")).toMatchObject({ amountOre: ledger.deposit!.amountOre, count: ledger.deposit!.count });
    expect(warm.report.liabilityOre).toBe(store.read((tx) => checkLedger(tx)).cardholderLiabilityOre);
    // Keeping the same days again changes nothing.
    expect(await store.write((tx) => keepDayTotals(tx, year.tenantId, cold.toKeep))).toBe(0);
  });

  test("within a time budget, a period not yet added up answers with its progress; asking again gets further until the exact report comes", async () => {
    const nowMs = Date.now();
    const [from, to] = ["2025-11-01", "2025-11-30"];
    const full = store.read((tx) => periodReport(tx, year.tenantId, from, to, nowMs)).report;
    await store.write((tx) => tx.run(db.deleteFrom("report_days").where("tenant_id", "=", year.tenantId).where("day", ">=", from).where("day", "<=", to)));
    const seen: number[] = [];
    let answer = store.read((tx) => periodReportWithin(tx, year.tenantId, from, to, nowMs, 0));
    for (let round = 0; answer.preparing && round < 40; round += 1) {
      // A budget of 0 still computes a day per answer: each answer is further than the one before.
      expect(answer.toKeep.length).toBeGreaterThan(0);
      expect(answer.preparing.days).toBe(30);
      seen.push(answer.preparing.readyDays);
      await store.write((tx) => keepDayTotals(tx, year.tenantId, answer.toKeep));
      answer = store.read((tx) => periodReportWithin(tx, year.tenantId, from, to, nowMs, 0));
    }
    expect(answer.preparing).toBeNull();
    expect(seen.length).toBeGreaterThan(5);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
    // The report that finally comes is the one computed in full, to the øre.
    expect({ ...answer.report!, keptDays: 0 }).toEqual({ ...full, keptDays: 0 });
    // With a generous budget the same period comes at once.
    await store.write((tx) => tx.run(db.deleteFrom("report_days").where("tenant_id", "=", year.tenantId).where("day", ">=", from).where("day", "<=", to)));
    const atOnce = store.read((tx) => periodReportWithin(tx, year.tenantId, from, to, nowMs, 60_000));
    expect(atOnce.preparing).toBeNull();
    expect(atOnce.toKeep).toHaveLength(30);
    await store.write((tx) => keepDayTotals(tx, year.tenantId, atOnce.toKeep));
  });

  test("a correction posted today is in today's report and the period that includes today; closed days stay as kept", async () => {
    const today = copenhagenDate(Date.now());
    const account = store.read((tx) => tx.first(db.selectFrom("ledger_accounts").select("id").where("kind", "=", "cardholder").orderBy("id").limit(1)))!;
    const adminId = await store.write((tx) => tx.run(db.insertInto("users").values({ tenant_id: year.tenantId, role: "admin", name: "Admin", email: "admin@example.dk", created_at: 0 })).lastInsertRowid);
    const admin = { userId: adminId, tenantId: year.tenantId, role: "admin" as const, label: "admin@example.dk" };
    const result = await store.write((tx) => postCorrection(tx, admin, { accountId: account.id, amountOre: 1_234, direction: "credit", reason: "Test af rapport", idempotencyKey: "period-correction-1" }));
    expect(result.ok).toBe(true);
    const { report } = store.read((tx) => periodReport(tx, year.tenantId, "2026-06-01", today));
    expect(line(report, "correctionsCredit")).toMatchObject({ amountOre: 1_234, count: 1 });
    expect(line(store.read((tx) => dailyReport(tx, year.tenantId, today)), "correctionsCredit")).toMatchObject({ amountOre: 1_234, count: 1 });
    expect(store.read((tx) => checkLedger(tx)).ok).toBe(true);
  });
});
