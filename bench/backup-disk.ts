// What a school year of scheduled backups costs in disk under a retention policy: hourly backups from 1 August to
// 31 July, each the size the database had then (growing with the school days' sales, flat in the holidays), pruned
// after each run exactly as the server does (decideRetention). Used by `npm run bench:data`.
import { scheduledBackupName } from "../server/backups/backup.ts";
import { decideRetention, type BackupFile, type BackupRetention } from "../server/ops/retention.ts";

export interface BackupDisk {
  /** The most bytes on disk at any hour of the year. */
  peakBytes: number;
  /** Bytes and files kept on 31 July, before the next year starts. */
  endBytes: number;
  endFiles: number;
}

/** `finalBytes`: one backup's size at the end of the year; `days`: the school days (YYYY-MM-DD) sales fall on. */
export function yearOfBackupsOnDisk(finalBytes: number, days: string[], policy: BackupRetention, intervalHours = 1): BackupDisk {
  const start = Date.UTC(2025, 7, 1);
  const end = Date.UTC(2026, 7, 1);
  const dayStarts = days.map((day) => Date.parse(`${day}T00:00:00Z`)).sort((a, b) => a - b);
  // A small empty database to begin with; then every school day adds its share.
  const base = Math.min(finalBytes, 2_000_000);
  const sizeAt = (at: number) => {
    let done = 0;
    for (const dayStart of dayStarts) if (dayStart + 86_400_000 <= at) done += 1;
    return Math.round(base + ((finalBytes - base) * done) / Math.max(1, dayStarts.length));
  };
  let files: BackupFile[] = [];
  let peakBytes = 0;
  for (let at = start; at < end; at += intervalHours * 3_600_000) {
    files.push({ name: scheduledBackupName(new Date(at)), at, bytes: sizeAt(at) });
    const decision = decideRetention(files, policy, at);
    files = files.filter((file) => decision.keep.has(file.name));
    peakBytes = Math.max(peakBytes, files.reduce((sum, file) => sum + file.bytes, 0));
  }
  return { peakBytes, endBytes: files.reduce((sum, file) => sum + file.bytes, 0), endFiles: files.length };
}
