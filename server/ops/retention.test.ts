// Backup retention over a made-up year: the tiers keep what they say, the caps hold, the newest always stays, and
// pruning a real directory deletes only scheduled backups (with their signatures).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { pruneBackups, scheduledBackupName, scheduledBackupTime } from "../backups/backup.ts";
import { DEFAULT_RETENTION, decideRetention, describeRetention, type BackupFile, type BackupRetention } from "./retention.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2025, 7, 1, 0, 30); // 1 August 2025, 00:30 UTC

/** Hourly backups for `hours`, pruned after each one as the scheduler does; returns what stays at the end. */
function runHourly(policy: BackupRetention, hours: number, bytesAt: (at: number) => number = () => 1_000): BackupFile[] {
  let files: BackupFile[] = [];
  for (let hour = 0; hour < hours; hour += 1) {
    const at = START + hour * HOUR;
    files.push({ name: scheduledBackupName(new Date(at)), at, bytes: bytesAt(at) });
    const decision = decideRetention(files, policy, at);
    files = files.filter((file) => decision.keep.has(file.name));
  }
  return files;
}

describe("retention tiers", () => {
  test("a year of hourly backups under the default policy keeps 24 hours, then one a day, a week and a month", () => {
    const hours = 365 * 24;
    const kept = runHourly(DEFAULT_RETENTION, hours);
    const now = START + (hours - 1) * HOUR;
    const ages = kept.map((file) => now - file.at).sort((a, b) => a - b);
    // Every backup of the last 24 hours.
    expect(ages.filter((age) => age < 24 * HOUR)).toHaveLength(24);
    // One per UTC day for the last 7 days that have one (today's is among the 24 hours).
    const days = new Set(kept.filter((file) => now - file.at < 7 * DAY).map((file) => new Date(file.at).toISOString().slice(0, 10)));
    expect(days.size).toBeGreaterThanOrEqual(7);
    // Nothing older than 12 months and a bit (the oldest monthly is the newest backup of a month 11 months back).
    expect(Math.max(...ages)).toBeLessThan(366 * DAY);
    expect(Math.max(...ages)).toBeGreaterThan(300 * DAY);
    // 12 distinct months are represented.
    expect(new Set(kept.map((file) => new Date(file.at).toISOString().slice(0, 7))).size).toBe(12);
    // And the total stays small: 24 + at most 7 + 4 + 12, minus the ones several tiers share.
    expect(kept.length).toBeLessThanOrEqual(24 + 7 + 4 + 12);
    expect(kept.length).toBeGreaterThanOrEqual(24 + 6 + 2 + 10);
    // The newest is always among them.
    expect(ages[0]).toBe(0);
  });

  test("the count grows with the tiers, not with time: two years keep no more than one", () => {
    const oneYear = runHourly(DEFAULT_RETENTION, 365 * 24).length;
    const twoYears = runHourly(DEFAULT_RETENTION, 2 * 365 * 24).length;
    expect(twoYears).toBeLessThanOrEqual(oneYear + 1);
  });

  test("BACKUP_KEEP caps the count and BACKUP_MAX_GB the bytes, oldest first, never the newest", () => {
    const counted = runHourly({ ...DEFAULT_RETENTION, maxFiles: 10 }, 30 * 24);
    expect(counted).toHaveLength(10);
    expect(Math.max(...counted.map((file) => file.at))).toBe(START + (30 * 24 - 1) * HOUR);
    // The ten kept are the ten newest the tiers wanted: here the last ten hours.
    expect(Math.min(...counted.map((file) => file.at))).toBe(START + (30 * 24 - 10) * HOUR);

    const sized = runHourly({ ...DEFAULT_RETENTION, maxBytes: 5_500 }, 30 * 24);
    expect(sized.reduce((sum, file) => sum + file.bytes, 0)).toBeLessThanOrEqual(5_500);
    expect(sized).toHaveLength(5);

    // A cap smaller than one copy still keeps the newest one.
    const files = [
      { name: "kantinekort-20260101T000000Z.sqlite", at: Date.UTC(2026, 0, 1), bytes: 10_000 },
      { name: "kantinekort-20260101T010000Z.sqlite", at: Date.UTC(2026, 0, 1, 1), bytes: 10_000 },
    ];
    const decision = decideRetention(files, { ...DEFAULT_RETENTION, maxBytes: 1, maxFiles: 1 }, Date.UTC(2026, 0, 1, 2));
    expect([...decision.keep.keys()]).toEqual(["kantinekort-20260101T010000Z.sqlite"]);
    expect(decision.capped).toEqual(["kantinekort-20260101T000000Z.sqlite"]);
  });

  test("all tiers at zero keep the newest backup only; a week tier follows ISO weeks across a new year", () => {
    const none = runHourly({ hours: 0, days: 0, weeks: 0, months: 0, maxFiles: null, maxBytes: null }, 100);
    expect(none).toHaveLength(1);
    // Mondays to Sundays around 1 January 2026 (a Thursday): 29 Dec 2025–4 Jan 2026 is ISO week 1 of 2026.
    const daily = Array.from({ length: 14 }, (_, day) => {
      const at = Date.UTC(2025, 11, 22 + day, 12);
      return { name: scheduledBackupName(new Date(at)), at, bytes: 1 };
    });
    const weekly = decideRetention(daily, { hours: 0, days: 0, weeks: 2, months: 0, maxFiles: null, maxBytes: null }, Date.UTC(2026, 0, 4, 13));
    expect([...weekly.keep.keys()].map((name) => new Date(scheduledBackupTime(name)).toISOString().slice(0, 10)).sort()).toEqual(["2025-12-28", "2026-01-04"]);
  });

  test("described in words for the log", () => {
    expect(describeRetention(DEFAULT_RETENTION)).toBe("every backup of the last 24 hours, one a day for 7 days, one a week for 4 weeks, one a month for 12 months");
    expect(describeRetention({ ...DEFAULT_RETENTION, maxFiles: 40, maxBytes: 100e9 })).toMatch(/; at most 40 files and at most 100\.0 GB$/);
  });
});

describe("pruning a backup directory", () => {
  const directory = mkdtempSync(join(tmpdir(), "kantinekort-retention-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  test("deletes the backups the policy drops with their signatures, and leaves every other file alone", () => {
    const now = Date.UTC(2026, 5, 30, 12);
    const names: string[] = [];
    for (let day = 0; day < 20; day += 1) {
      const name = scheduledBackupName(new Date(now - day * DAY));
      names.push(name);
      writeFileSync(join(directory, name), "x".repeat(100));
      writeFileSync(join(directory, `${name}.sig`), "{}");
    }
    writeFileSync(join(directory, "before-upgrade.sqlite"), "the operator's own copy");
    writeFileSync(join(directory, "notes.txt"), "keep me");
    const result = pruneBackups(directory, { hours: 0, days: 3, weeks: 0, months: 0, maxFiles: null, maxBytes: null }, now);
    expect(result.kept).toEqual({ files: 3, bytes: 300 });
    expect(result.capped).toEqual([]);
    expect(result.deleted).toHaveLength(17 * 2);
    expect(readdirSync(directory).sort()).toEqual(["before-upgrade.sqlite", "notes.txt", ...names.slice(0, 3).flatMap((name) => [name, `${name}.sig`])].sort());
  });
});
