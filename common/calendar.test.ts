// Copenhagen calendar bounds for spending limits, across daylight-saving changes and week/month edges.
import { describe, expect, test } from "vitest";
import { copenhagenMidnight, periodStarts } from "./calendar.ts";

describe("Copenhagen periods", () => {
  test("winter: midnight is 23:00 UTC the day before", () => {
    expect(new Date(copenhagenMidnight(2026, 1, 15)).toISOString()).toBe("2026-01-14T23:00:00.000Z");
  });

  test("summer: midnight is 22:00 UTC the day before", () => {
    expect(new Date(copenhagenMidnight(2026, 7, 1)).toISOString()).toBe("2026-06-30T22:00:00.000Z");
  });

  test("a Wednesday in November: the week starts Monday and the month on the 1st", () => {
    // 2026-11-25 12:00 local = 11:00 UTC.
    const periods = periodStarts(Date.parse("2026-11-25T11:00:00Z"));
    expect(new Date(periods.dayStartMs).toISOString()).toBe("2026-11-24T23:00:00.000Z");
    expect(new Date(periods.weekStartMs).toISOString()).toBe("2026-11-22T23:00:00.000Z");
    expect(new Date(periods.monthStartMs).toISOString()).toBe("2026-10-31T23:00:00.000Z");
    expect(new Date(periods.validUntilMs).toISOString()).toBe("2026-11-25T23:00:00.000Z");
  });

  test("just after local midnight counts as the new day, not yesterday in UTC terms", () => {
    // 2026-11-01 00:30 local (Sunday) = 2026-10-31 23:30 UTC.
    const periods = periodStarts(Date.parse("2026-10-31T23:30:00Z"));
    expect(new Date(periods.dayStartMs).toISOString()).toBe("2026-10-31T23:00:00.000Z");
    expect(new Date(periods.monthStartMs).toISOString()).toBe("2026-10-31T23:00:00.000Z");
    // Sunday belongs to the week that began on Monday 26 October (summer time then: UTC+2 until the 25th's change).
    expect(new Date(periods.weekStartMs).toISOString()).toBe("2026-10-25T23:00:00.000Z");
  });

  test("the day of the spring change is 23 hours long", () => {
    const periods = periodStarts(Date.parse("2026-03-29T12:00:00Z"));
    expect(periods.validUntilMs - periods.dayStartMs).toBe(23 * 3_600_000);
  });
});
