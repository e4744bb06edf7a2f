// Which scheduled backups to keep (issue 27): by age in calendar tiers, then capped by count and by bytes.
//
// The tiers work as restic's `forget` policy does: every backup of the last `hours`; then the newest backup of each of
// the last `days` UTC days that have one, of the last `weeks` ISO weeks, and of the last `months` months. A backup any
// tier wants is kept. Then the caps: at most `maxFiles` files and at most `maxBytes` bytes, the oldest going first, and
// the newest backup is never deleted by a cap (a cap too small for one copy still leaves one copy).

export interface BackupRetention {
  /** Every backup younger than this many hours is kept (BACKUP_KEEP_HOURS). */
  hours: number;
  /** The newest backup of each of this many UTC days (BACKUP_KEEP_DAYS). */
  days: number;
  /** The newest backup of each of this many ISO weeks (BACKUP_KEEP_WEEKS). */
  weeks: number;
  /** The newest backup of each of this many months (BACKUP_KEEP_MONTHS). */
  months: number;
  /** At most this many backups in all (BACKUP_KEEP); null: no count cap. */
  maxFiles: number | null;
  /** At most this many bytes of backups in all (BACKUP_MAX_GB); null: no size cap. */
  maxBytes: number | null;
}

export const DEFAULT_RETENTION: BackupRetention = { hours: 24, days: 7, weeks: 4, months: 12, maxFiles: null, maxBytes: null };

export interface BackupFile {
  name: string;
  /** When it was made (ms since the epoch, UTC). */
  at: number;
  bytes: number;
}

export type KeepReason = "newest" | "hours" | "day" | "week" | "month";

export interface RetentionDecision {
  keep: Map<string, KeepReason>;
  /** Deleted because of a tier (no tier wanted them). */
  aged: string[];
  /** Deleted although a tier wanted them: BACKUP_KEEP or BACKUP_MAX_GB was reached. */
  capped: string[];
}

function isoWeek(at: number): string {
  const day = new Date(at);
  const date = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()));
  // The ISO week's year is the year of its Thursday.
  const weekday = (date.getUTCDay() + 6) % 7;
  date.setUTCDate(date.getUTCDate() - weekday + 3);
  const thursday = date.getTime();
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  return `${date.getUTCFullYear()}-W${1 + Math.floor((thursday - yearStart) / (7 * 86_400_000))}`;
}

const BUCKETS: Array<{ reason: KeepReason; tier: "days" | "weeks" | "months"; key: (at: number) => string }> = [
  { reason: "day", tier: "days", key: (at) => new Date(at).toISOString().slice(0, 10) },
  { reason: "week", tier: "weeks", key: isoWeek },
  { reason: "month", tier: "months", key: (at) => new Date(at).toISOString().slice(0, 7) },
];

/** Decides which backups stay; `now` is when the decision is made. Pure, so it can be tested over a made-up year. */
export function decideRetention(files: BackupFile[], policy: BackupRetention, now: number): RetentionDecision {
  const newestFirst = [...files].sort((a, b) => b.at - a.at || (a.name < b.name ? 1 : -1));
  const wanted = new Map<string, KeepReason>();
  const newest = newestFirst[0];
  if (newest) wanted.set(newest.name, "newest");
  for (const file of newestFirst) {
    if (!wanted.has(file.name) && now - file.at < policy.hours * 3_600_000) wanted.set(file.name, "hours");
  }
  for (const bucket of BUCKETS) {
    const seen = new Set<string>();
    for (const file of newestFirst) {
      const key = bucket.key(file.at);
      if (seen.has(key)) continue;
      if (seen.size >= policy[bucket.tier]) break;
      seen.add(key);
      if (!wanted.has(file.name)) wanted.set(file.name, bucket.reason);
    }
  }
  const keep = new Map<string, KeepReason>();
  const capped: string[] = [];
  let bytes = 0;
  for (const file of newestFirst) {
    const reason = wanted.get(file.name);
    if (!reason) continue;
    const overCount = policy.maxFiles !== null && keep.size >= policy.maxFiles;
    const overBytes = policy.maxBytes !== null && bytes + file.bytes > policy.maxBytes;
    if (keep.size > 0 && (overCount || overBytes)) {
      capped.push(file.name);
      continue;
    }
    keep.set(file.name, reason);
    bytes += file.bytes;
  }
  return { keep, aged: newestFirst.filter((file) => !wanted.has(file.name)).map((file) => file.name), capped };
}

/** In words, for the back office and the log: "every backup of the last 24 hours, one a day for 7 days, …". */
export function describeRetention(policy: BackupRetention): string {
  const parts = [
    policy.hours > 0 ? `every backup of the last ${policy.hours} hours` : null,
    policy.days > 0 ? `one a day for ${policy.days} days` : null,
    policy.weeks > 0 ? `one a week for ${policy.weeks} weeks` : null,
    policy.months > 0 ? `one a month for ${policy.months} months` : null,
  ].filter(Boolean);
  const caps = [policy.maxFiles !== null ? `at most ${policy.maxFiles} files` : null, policy.maxBytes !== null ? `at most ${(policy.maxBytes / 1e9).toFixed(1)} GB` : null].filter(Boolean);
  return `${parts.length > 0 ? parts.join(", ") : "the newest backup only"}${caps.length > 0 ? `; ${caps.join(" and ")}` : ""}`;
}
