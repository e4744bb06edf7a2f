// Copenhagen calendar periods (day, ISO week from Monday, month) as UTC millisecond bounds, for spending limits.
const TIME_ZONE = "Europe/Copenhagen";

const partsFormatter = new Intl.DateTimeFormat("en-GB", {
  timeZone: TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(utcMs: number): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of partsFormatter.formatToParts(new Date(utcMs))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

/** Offset of Copenhagen from UTC at an instant, in ms (3600000 in winter, 7200000 in summer). */
function offsetAt(utcMs: number): number {
  const local = localParts(utcMs);
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of Copenhagen local midnight on the given local date (month is 1-based; overflow allowed). */
export function copenhagenMidnight(year: number, month: number, day: number): number {
  const naive = Date.UTC(year, month - 1, day);
  // Midnight never falls in a DST gap in Denmark (changes happen at 02:00/03:00), so two passes settle it.
  let guess = naive - offsetAt(naive);
  guess = naive - offsetAt(guess);
  return guess;
}

export interface PeriodStarts {
  dayStartMs: number;
  weekStartMs: number;
  monthStartMs: number;
  /** When these bounds stop being valid (the next local midnight). */
  validUntilMs: number;
}

export function periodStarts(nowMs: number): PeriodStarts {
  const local = localParts(nowMs);
  const dayStartMs = copenhagenMidnight(local.year, local.month, local.day);
  const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay(); // 0 = Sunday
  const daysSinceMonday = (weekday + 6) % 7;
  return {
    dayStartMs,
    weekStartMs: copenhagenMidnight(local.year, local.month, local.day - daysSinceMonday),
    monthStartMs: copenhagenMidnight(local.year, local.month, 1),
    validUntilMs: copenhagenMidnight(local.year, local.month, local.day + 1),
  };
}

let cached: PeriodStarts | null = null;

/** periodStarts with a cache for the current day: the sale hot path calls this on every sale with limits. */
export function currentPeriodStarts(nowMs: number): PeriodStarts {
  if (!cached || nowMs < cached.dayStartMs || nowMs >= cached.validUntilMs) cached = periodStarts(nowMs);
  return cached;
}

/** The UTC instant of a Copenhagen wall-clock time (month is 1-based). Valid for times outside the 02:00–03:00 DST gap. */
export function copenhagenLocalToUtc(year: number, month: number, day: number, hour: number, minute: number): number {
  const naive = Date.UTC(year, month - 1, day, hour, minute);
  let guess = naive - offsetAt(naive);
  guess = naive - offsetAt(guess);
  return guess;
}

/** The Copenhagen calendar date of an instant, as YYYY-MM-DD. */
export function copenhagenDate(utcMs: number): string {
  const local = localParts(utcMs);
  return `${local.year}-${String(local.month).padStart(2, "0")}-${String(local.day).padStart(2, "0")}`;
}

/** A YYYY-MM-DD date moved by whole days. */
export function addDays(day: string, days: number): string {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** When ordering for a delivery day closes: the canteen's cut-off time (HH:MM) on that day, Copenhagen time. */
export function cutoffInstant(day: string, cutoffTime: string): number {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const [hour, minute] = cutoffTime.split(":").map(Number) as [number, number];
  return copenhagenLocalToUtc(year, month, date, hour, minute);
}
