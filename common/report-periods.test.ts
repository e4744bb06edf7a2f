import { describe, expect, test } from "vitest";
import { daysBetween, lastDayOfMonth, PERIOD_DAYS_MAX, periodOf, periodProblem, recentMonths, schoolYearName, schoolYearOf } from "./report-periods.ts";

describe("report periods", () => {
  test("a school year runs 1 August to 31 July and is named by both years", () => {
    expect(schoolYearOf("2026-07-31")).toBe(2025);
    expect(schoolYearOf("2026-08-01")).toBe(2026);
    expect(schoolYearOf("2026-01-15")).toBe(2025);
    expect(schoolYearName(2025)).toBe("2025/26");
    expect(schoolYearName(2099)).toBe("2099/00");
    expect(periodOf({ kind: "schoolYear", startYear: 2025 }, "2026-12-07")).toEqual({ from: "2025-08-01", to: "2026-07-31" });
    // The running school year stops at today.
    expect(periodOf({ kind: "schoolYear", startYear: 2026 }, "2026-12-07")).toEqual({ from: "2026-08-01", to: "2026-12-07" });
    expect(daysBetween("2025-08-01", "2026-07-31")).toBe(365);
  });

  test("a month is its calendar days, up to today; leap years and December included", () => {
    expect(periodOf({ kind: "month", month: "2028-02" }, "2028-12-01")).toEqual({ from: "2028-02-01", to: "2028-02-29" });
    expect(periodOf({ kind: "month", month: "2027-02" }, "2028-12-01")).toEqual({ from: "2027-02-01", to: "2027-02-28" });
    expect(periodOf({ kind: "month", month: "2026-12" }, "2026-12-07")).toEqual({ from: "2026-12-01", to: "2026-12-07" });
    expect(lastDayOfMonth(2026, 12)).toBe("2026-12-31");
    expect(recentMonths("2026-02-10", 4)).toEqual(["2026-02", "2026-01", "2025-12", "2025-11"]);
  });

  test("a free period: both dates, in order, at most 400 days (counted across summer time)", () => {
    expect(periodProblem({ from: "2026-01-01", to: "2026-01-01" })).toBeNull();
    expect(periodProblem({ from: "2026-01-01", to: "" })).toBe("incomplete");
    expect(periodProblem({ from: "2026-02-30x", to: "2026-03-01" })).toBe("incomplete");
    expect(periodProblem({ from: "2026-03-02", to: "2026-03-01" })).toBe("backwards");
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(3);
    const last = "2027-02-04";
    expect(daysBetween("2026-01-01", last)).toBe(PERIOD_DAYS_MAX);
    expect(periodProblem({ from: "2026-01-01", to: last })).toBeNull();
    expect(periodProblem({ from: "2026-01-01", to: "2027-02-05" })).toBe("tooLong");
    expect(daysBetween("x", "2026-01-01")).toBe(Number.POSITIVE_INFINITY);
  });
});
