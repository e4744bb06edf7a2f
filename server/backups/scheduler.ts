// Scheduled backups inside the server (BACKUP_DIR, BACKUP_INTERVAL_MINUTES, BACKUP_KEEP_*): every interval a worker
// process copies and checks the database into BACKUP_DIR; the server records the result (the back office shows it), logs
// it and deletes the backups the retention policy no longer wants (server/ops/retention.ts). Off when BACKUP_DIR is not set.
import { mkdirSync } from "node:fs";
import { setPriority } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Store } from "../../db/connect.ts";
import type { Config } from "../config.ts";
import { backupStatus, pruneBackups, recordBackup, scheduledBackupName, type BackupOutcome } from "./backup.ts";
import { errorField, log } from "../ops/logger.ts";
import { backups } from "../ops/metrics.ts";
import { signingKeys } from "../ops/backup-signature.ts";
import { describeRetention, type BackupRetention } from "../ops/retention.ts";

export interface BackupScheduleOptions {
  dir: string;
  intervalMinutes: number;
  retention: BackupRetention;
  /** The first backup after start: soon, unless the last good one is younger than the interval. */
  firstRunDelayMs?: number;
  /** Runs before each copy: the server's sealer seals the ledger up to its end, so the signed chain is sealed too. */
  beforeCopy?: () => Promise<unknown>;
}

export interface BackupSchedule {
  /** Makes a backup now (waiting for one already running), records it and prunes; resolves with its outcome. */
  runNow(): Promise<BackupOutcome>;
  stop(): Promise<void>;
}

const WORKER = fileURLToPath(new URL("./backup-main.ts", import.meta.url));

/** Runs the worker process; a worker that dies or prints nonsense is a failed backup, never a thrown error. */
async function runWorker(databasePath: string, target: string, signingKey: string, running: Set<ReturnType<typeof Bun.spawn>>): Promise<BackupOutcome> {
  const startedAt = Date.now();
  // The key the server resolved (its own, or the development key) goes to the worker, which signs with it.
  const env = { ...process.env, BACKUP_SIGNING_KEY: signingKey };
  const child = Bun.spawn([process.execPath, WORKER, databasePath, target], { stdout: "pipe", stderr: "pipe", stdin: "ignore", env });
  running.add(child);
  try {
    // The copy competes with the tills for the disk and the CPU: it may wait, they should not.
    setPriority(child.pid, 10);
  } catch {
    // Not allowed here (some containers): the backup simply runs at normal priority.
  }
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    try {
      return JSON.parse(stdout) as BackupOutcome;
    } catch {
      return { ok: false, file: target, error: `the backup process ended with code ${code}${stderr ? `: ${stderr.trim().split("\n").slice(-1)[0]}` : ""}`, startedAt, finishedAt: Date.now() };
    }
  } finally {
    running.delete(child);
  }
}

/** What the schedule works with: the store it copies and records into, and the configuration (its signing key). */
export interface BackupServices {
  store: Store;
  config: Config;
}

export function startBackupSchedule(services: BackupServices, options: BackupScheduleOptions): BackupSchedule {
  const intervalMs = options.intervalMinutes * 60_000;
  const running = new Set<ReturnType<typeof Bun.spawn>>();
  let current: Promise<BackupOutcome> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  async function backupOnce(): Promise<BackupOutcome> {
    const target = join(options.dir, scheduledBackupName(new Date()));
    let outcome: BackupOutcome;
    try {
      mkdirSync(options.dir, { recursive: true });
      if (options.beforeCopy) await options.beforeCopy().catch((error) => log.warn({ err: errorField(error) }, "sealing before the backup failed; the signature covers the chain all the same"));
      outcome = await runWorker(services.store.path, target, signingKeys(services.config).current.key, running);
    } catch (error) {
      outcome = { ok: false, file: target, error: error instanceof Error ? error.message : String(error), startedAt: Date.now(), finishedAt: Date.now() };
    }
    backups.inc({ outcome: outcome.ok ? "ok" : "failed" });
    if (outcome.ok) log.info({ file: outcome.file, bytes: outcome.bytes, transfers: outcome.transfers, ms: outcome.finishedAt - outcome.startedAt }, "backup written and checked");
    else log.error({ file: outcome.file, error: outcome.error }, "backup failed");
    if (stopped && !outcome.ok) return outcome;
    try {
      await recordBackup(services.store, outcome, "scheduled");
    } catch (error) {
      log.error({ err: errorField(error) }, "backup result could not be recorded");
    }
    if (outcome.ok) {
      try {
        const pruned = pruneBackups(options.dir, options.retention);
        if (pruned.deleted.length > 0) log.info({ deleted: pruned.deleted, kept: pruned.kept }, "old backups deleted (retention)");
        // A cap that deletes backups the age tiers want means the disk budget is smaller than the policy: say so.
        if (pruned.capped.length > 0) log.warn({ capped: pruned.capped, kept: pruned.kept }, "BACKUP_KEEP or BACKUP_MAX_GB deleted backups the age tiers would keep: raise the cap or shorten the tiers");
      } catch (error) {
        log.error({ err: errorField(error) }, "old backups could not be deleted");
      }
    }
    return outcome;
  }

  function runNow(): Promise<BackupOutcome> {
    current ??= backupOnce().finally(() => {
      current = null;
    });
    return current;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow().finally(() => schedule(intervalMs));
    }, delayMs);
    timer.unref?.();
  }

  let lastSuccessAt: number | null = null;
  try {
    lastSuccessAt = services.store.read(backupStatus).lastSuccessAt;
  } catch {
    lastSuccessAt = null;
  }
  const firstRunDelayMs = options.firstRunDelayMs ?? 10_000;
  schedule(lastSuccessAt === null ? firstRunDelayMs : Math.max(firstRunDelayMs, lastSuccessAt + intervalMs - Date.now()));
  log.info({ intervalMinutes: options.intervalMinutes, retention: describeRetention(options.retention) }, "scheduled backups on");

  return {
    runNow,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      // A backup in progress is abandoned: its partial file is deleted by the next run's pruning, never counted.
      for (const child of running) child.kill("SIGTERM");
      await current?.catch(() => undefined);
    },
  };
}
