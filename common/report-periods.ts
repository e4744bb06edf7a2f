// The periods the back office reports on (Rapporter): a month, a school year (1 August – 31 July) or any stretch of
// days, at most PERIOD_DAYS_MAX at a time. Shared by the server's check and the client's choice, so both count alike.

/** The longest period one report covers (a school year with room to spare). */
export const PERIOD_DAYS_MAX = 400;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const pad = (value: number) => String(value).padStart(2, "0");

/** Calendar days from `from` to `to` (YYYY-MM-DD), both included; Infinity when either is no date. */
export function daysBetween(from: string, to: string): number {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  return Number.isFinite(days) ? days : Number.POSITIVE_INFINITY;
}

/** The school year a day falls in, named by the year it starts (1 August): 2026-03-01 → 2025 (2025/26). */
export function schoolYearOf(day: string): number {
  const year = Number(day.slice(0, 4));
  return Number(day.slice(5, 7)) >= 8 ? year : year - 1;
}

/** 2025 → "2025/26". */
export function schoolYearName(startYear: number): string {
  return `${startYear}/${pad((startYear + 1) % 100)}`;
}

/** The last day of a month: (2028, 2) → "2028-02-29". */
export function lastDayOfMonth(year: number, month: number): string {
  return `${year}-${pad(month)}-${pad(new Date(Date.UTC(year, month, 0)).getUTCDate())}`;
}

export type PeriodChoice =
  | { kind: "month"; month: string }
  | { kind: "schoolYear"; startYear: number }
  | { kind: "range"; from: string; to: string };

/** The days a choice covers. A month or a school year stops at today: no later day has anything to add up yet. */
export function periodOf(choice: PeriodChoice, today: string): { from: string; to: string } {
  const upToToday = (to: string) => (to > today ? today : to);
  switch (choice.kind) {
    case "month": {
      const [year, month] = choice.month.split("-").map(Number) as [number, number];
      return { from: `${choice.month}-01`, to: upToToday(lastDayOfMonth(year, month)) };
    }
    case "schoolYear":
      return { from: `${choice.startYear}-08-01`, to: upToToday(`${choice.startYear + 1}-07-31`) };
    case "range":
      return { from: choice.from, to: choice.to };
  }
}

export type PeriodProblem = "incomplete" | "backwards" | "tooLong";

/** Why a period cannot be reported on, or null when it can. */
export function periodProblem(period: { from: string; to: string }): PeriodProblem | null {
  if (!DAY.test(period.from) || !DAY.test(period.to) || !Number.isFinite(daysBetween(period.from, period.to))) return "incomplete";
  if (period.from > period.to) return "backwards";
  if (daysBetween(period.from, period.to) > PERIOD_DAYS_MAX) return "tooLong";
  return null;
}

/** The months to choose from, newest first: `today`'s month and the `count - 1` before it ("2026-12", "2026-11", …). */
export function recentMonths(today: string, count: number): string[] {
  let year = Number(today.slice(0, 4));
  let month = Number(today.slice(5, 7));
  const months: string[] = [];
  for (let index = 0; index < count; index += 1) {
    months.push(`${year}-${pad(month)}`);
    month -= 1;
    if (month === 0) {
      month = 12;
      year -= 1;
    }
  }
  return months;
}
