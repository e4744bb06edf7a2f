// Reports for a month or a school year: the exact day reports added up, closed days kept so a period costs its days once.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { addDays, copenhagenDate } from "../../../common/calendar.ts";
import { PERIOD_DAYS_MAX } from "../../../common/report-periods.ts";
import { dailyReport, REPORT_LINES, type DailyReport, type ReportLine, type ReportLineKey } from "./reports.ts";

/** What a day contributes to a period; the "now" figures (liability, pending payouts) are read live, never kept. */
export type DayTotals = Pick<DailyReport, "day" | "lines" | "salesByCanteen" | "salesByProduct" | "depositsOre" | "payoutsOre" | "refundsOre">;

export interface PeriodReport extends Omit<DayTotals, "day"> {
  from: string;
  to: string;
  /** Calendar days in the period, and how many of them came from kept day totals. */
  days: number;
  keptDays: number;
  liabilityOre: number;
  payoutsPendingOre: number;
}

/** Bumped whenever the day report's sums change meaning: kept days of another version are computed again. */
export const DAY_TOTALS_VERSION = 1;
/** A day is closed (nothing more can be dated on it) this long after its midnight; only closed days are kept. */
const CLOSED_AFTER_MS = 10 * 60_000;
/** The longest period one report covers (a school year with room to spare); the client's choice counts alike. */
export { PERIOD_DAYS_MAX } from "../../../common/report-periods.ts";

export function dayTotalsOf(report: DailyReport): DayTotals {
  const { day, lines, salesByCanteen, salesByProduct, depositsOre, payoutsOre, refundsOre } = report;
  return { day, lines, salesByCanteen, salesByProduct, depositsOre, payoutsOre, refundsOre };
}

/** The calendar days from `from` to `to`, both included; a longer period than PERIOD_DAYS_MAX is a caller's bug. */
export function periodDays(from: string, to: string): string[] {
  const days: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    if (days.length === PERIOD_DAYS_MAX) throw new RangeError(`a report covers at most ${PERIOD_DAYS_MAX} days`);
    days.push(day);
  }
  return days;
}

/** Whether nothing can be dated on `day` any more at `nowMs` (its next midnight, plus a margin, has passed). */
export function isClosedDay(day: string, nowMs: number): boolean {
  return copenhagenDate(nowMs - CLOSED_AFTER_MS) > day;
}

/** Adds day totals up: each line by key, sales by canteen and by product by name. Exact: sums of integers. */
export function addUp(days: readonly DayTotals[]): Omit<DayTotals, "day"> {
  const lines = new Map<ReportLineKey, ReportLine>();
  const canteens = new Map<string, { salesOre: number; count: number }>();
  const products = new Map<string, { quantity: number; amountOre: number }>();
  let depositsOre = 0;
  let payoutsOre = 0;
  let refundsOre = 0;
  for (const totals of days) {
    for (const line of totals.lines) {
      const sum = lines.get(line.key) ?? { key: line.key, label: REPORT_LINES[line.key], amountOre: 0, count: 0 };
      sum.amountOre += line.amountOre;
      sum.count += line.count;
      lines.set(line.key, sum);
    }
    for (const row of totals.salesByCanteen) {
      const sum = canteens.get(row.canteen) ?? { salesOre: 0, count: 0 };
      sum.salesOre += row.salesOre;
      sum.count += row.count;
      canteens.set(row.canteen, sum);
    }
    for (const row of totals.salesByProduct) {
      const sum = products.get(row.product) ?? { quantity: 0, amountOre: 0 };
      sum.quantity += row.quantity;
      sum.amountOre += row.amountOre;
      products.set(row.product, sum);
    }
    depositsOre += totals.depositsOre;
    payoutsOre += totals.payoutsOre;
    refundsOre += totals.refundsOre;
  }
  return {
    // The day report's order of lines; "other" only when something unexpected moved, as on a day.
    lines: (Object.keys(REPORT_LINES) as ReportLineKey[])
      .map((key) => lines.get(key) ?? { key, label: REPORT_LINES[key], amountOre: 0, count: 0 })
      .filter((line) => line.key !== "other" || line.count > 0),
    salesByCanteen: [...canteens].map(([canteen, sum]) => ({ canteen, ...sum })).sort((a, b) => a.canteen.localeCompare(b.canteen, "da")),
    salesByProduct: [...products].map(([product, sum]) => ({ product, ...sum })).sort((a, b) => b.amountOre - a.amountOre),
    depositsOre,
    payoutsOre,
    refundsOre,
  };
}

/** Kept totals of the tenant's closed days within [from, to], of the current version, by day. */
export function keptDayTotals(tx: Tx, tenantId: number, from: string, to: string): Map<string, DayTotals> {
  const rows = tx.all(
    db
      .selectFrom("report_days")
      .select(["day", "totals_json"])
      .where("tenant_id", "=", tenantId)
      .where("version", "=", DAY_TOTALS_VERSION)
      .where("day", ">=", from)
      .where("day", "<=", to),
  );
  return new Map(rows.map((row) => [row.day, JSON.parse(row.totals_json) as DayTotals]));
}

export interface PeriodReportAnswer {
  report: PeriodReport;
  /** Closed days that were computed for this answer and are not kept yet: the caller keeps them (a write). */
  toKeep: DayTotals[];
}

/** How much of a period's days are ready while the rest is still being added up (a school year on a fresh database). */
export interface PeriodPreparing {
  /** Days of the period whose totals are kept or were computed now. */
  readyDays: number;
  days: number;
}

/** A report within a time budget: the report, or how far its days are when the budget ran out first. */
export type BudgetedPeriodReport = { report: PeriodReport; preparing: null; toKeep: DayTotals[] } | { report: null; preparing: PeriodPreparing; toKeep: DayTotals[] };

/**
 * The period's report from kept closed days and, for the others, the day report itself. Runs on the heavy-read
 * worker (read-only); the days it had to compute come back to be kept by the server's writer.
 */
export function periodReport(tx: Tx, tenantId: number, from: string, to: string, nowMs: number = Date.now()): PeriodReportAnswer {
  const answer = periodReportWithin(tx, tenantId, from, to, nowMs, Number.POSITIVE_INFINITY);
  return { report: answer.report!, toKeep: answer.toKeep };
}

/**
 * As periodReport, but computing closed days that are not kept yet only for `budgetMs`: past it, the answer is how many
 * days are ready, with the days computed so far to be kept — so the next request goes further, and a school year on a
 * database whose days are not kept yet shows progress instead of running past the heavy reads' time limit. At 3M sales a
 * day takes about 0.1 s; on a small database every day fits in one budget and the report comes at once.
 */
export function periodReportWithin(tx: Tx, tenantId: number, from: string, to: string, nowMs: number, budgetMs: number): BudgetedPeriodReport {
  const started = performance.now();
  const days = periodDays(from, to);
  const kept = keptDayTotals(tx, tenantId, from, to);
  const toKeep: DayTotals[] = [];
  const totals: DayTotals[] = [];
  let pending = 0;
  for (const day of days) {
    const found = kept.get(day);
    if (found) {
      totals.push(found);
      continue;
    }
    const closed = isClosedDay(day, nowMs);
    // Open days (today, the days ahead) are computed always: they are never kept and cost little. At least one closed
    // day is computed per answer, so that asking again always gets further.
    if (closed && toKeep.length > 0 && performance.now() - started > budgetMs) {
      pending += 1;
      continue;
    }
    const computed = dayTotalsOf(dailyReport(tx, tenantId, day));
    if (closed) toKeep.push(computed);
    totals.push(computed);
  }
  if (pending > 0) return { report: null, preparing: { readyDays: days.length - pending, days: days.length }, toKeep };
  // Liability and pending payouts are "now" figures: today's report reads them live.
  const now = dailyReport(tx, tenantId, copenhagenDate(nowMs));
  return {
    report: { from, to, days: days.length, keptDays: kept.size, ...addUp(totals), liabilityOre: now.liabilityOre, payoutsPendingOre: now.payoutsPendingOre },
    preparing: null,
    toKeep,
  };
}

/** The tenant's closed days in [from, to] that have no kept totals yet, newest first (for the background filler). */
export function missingClosedDays(tx: Tx, tenantId: number, from: string, to: string, nowMs: number, limit: number): string[] {
  const kept = keptDayTotals(tx, tenantId, from, to);
  return periodDays(from, to)
    .filter((day) => isClosedDay(day, nowMs) && !kept.has(day))
    .reverse()
    .slice(0, limit);
}

/** Keeps computed totals of closed days (a second keeper of the same day writes the same numbers: the first stays). */
export function keepDayTotals(tx: WriteTx, tenantId: number, days: readonly DayTotals[], nowMs: number = Date.now()): number {
  let kept = 0;
  for (const totals of days) {
    kept += tx.run(
      db
        .insertInto("report_days")
        .values({ tenant_id: tenantId, day: totals.day, version: DAY_TOTALS_VERSION, totals_json: JSON.stringify(totals), computed_at: nowMs })
        .onConflict((conflict) => conflict.columns(["tenant_id", "day"]).doUpdateSet({ version: DAY_TOTALS_VERSION, totals_json: JSON.stringify(totals), computed_at: nowMs }).where("report_days.version", "<>", DAY_TOTALS_VERSION)),
    ).changes;
  }
  return kept;
}
