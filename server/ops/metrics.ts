// Prometheus metrics (prom-client) in a registry of our own: counters and histograms only on the hot path, and no label
// whose values come from ids or input, so the number of series stays fixed whatever the traffic.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { noteStorageFailure } from "./storage.ts";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "kantinekort_" });

export const posSales = new Counter({
  name: "kantinekort_pos_sales_total",
  help: "POS sales answered (first answers, not replays), by status and decline reason",
  labelNames: ["status", "reason"] as const,
  registers: [registry],
});

export const posSaleReplays = new Counter({
  name: "kantinekort_pos_sale_replays_total",
  help: "POS sale requests answered from the stored first answer (a retried sale id)",
  registers: [registry],
});

export const posSaleSeconds = new Histogram({
  name: "kantinekort_pos_sale_duration_seconds",
  help: "Time to answer pos.sale inside the server (validation, queueing for the writer, commit)",
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

export const writerBatchSize = new Histogram({
  name: "kantinekort_writer_batch_size",
  help: "Write jobs per group-commit transaction",
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
  registers: [registry],
});

export const writerCommitSeconds = new Histogram({
  name: "kantinekort_writer_commit_seconds",
  help: "Time of one group-commit transaction, BEGIN to COMMIT (the fsync included)",
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

export const writerFailedCommits = new Counter({
  name: "kantinekort_writer_failed_commits_total",
  help: "Group-commit transactions that could not begin or commit (every job in them failed)",
  registers: [registry],
});

export const writerBusy = new Counter({
  name: "kantinekort_writer_busy_total",
  help: "Writes refused at once because the writer's queue was full (WRITER_MAX_QUEUED); answered 503 with Retry-After, nothing written",
  registers: [registry],
});

export const storageErrors = new Counter({
  name: "kantinekort_storage_errors_total",
  help: "Writes refused because the database's storage failed (disk full, read-only, I/O error), by SQLite or OS code",
  labelNames: ["code"] as const,
  registers: [registry],
});

/** The storage as /readyz sees it, filled in when scraped from a source the server sets. */
let storageState: () => { freeBytes: number | null; failing: boolean } = () => ({ freeBytes: null, failing: false });
export function setStorageSource(source: typeof storageState): void {
  storageState = source;
}
new Gauge({
  name: "kantinekort_storage_free_bytes",
  help: "Bytes free on the filesystem that holds the database (-1: unknown, e.g. an in-memory database)",
  registers: [registry],
  collect() {
    this.set(storageState().freeBytes ?? -1);
  },
});
new Gauge({
  name: "kantinekort_storage_writable",
  help: "1 while commits succeed, 0 while they fail on the storage (no successful commit since a storage error)",
  registers: [registry],
  collect() {
    this.set(storageState().failing ? 0 : 1);
  },
});

export const openStreams = new Gauge({
  name: "kantinekort_open_streams",
  help: "Open server-sent event streams, by subscription procedure",
  labelNames: ["kind"] as const,
  registers: [registry],
});

export const logins = new Counter({
  name: "kantinekort_logins_total",
  help: "Sign-in attempts, by who signs in (cardholder or staff) and outcome",
  labelNames: ["kind", "outcome"] as const,
  registers: [registry],
});

export const payments = new Counter({
  name: "kantinekort_payments_total",
  help: "Card payments settled (deposits, automatic top-ups and their card setups), by purpose and outcome",
  labelNames: ["purpose", "outcome"] as const,
  registers: [registry],
});

export const httpRequests = new Counter({
  name: "kantinekort_http_requests_total",
  help: "HTTP requests answered, by status class (2xx, 3xx, 4xx, 5xx)",
  labelNames: ["status"] as const,
  registers: [registry],
});

export const backups = new Counter({
  name: "kantinekort_backups_total",
  help: "Scheduled backups made by this server, by outcome (ok: copied and checked)",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

/** Seconds since the last backup that passed its checks; filled in when scraped, from a source the server sets. */
let lastBackupAt: () => number | null = () => null;
export function setBackupClock(source: () => number | null): void {
  lastBackupAt = source;
}
new Gauge({
  name: "kantinekort_backup_age_seconds",
  help: "Seconds since the last backup that passed its checks (-1: none yet)",
  registers: [registry],
  collect() {
    let at: number | null = null;
    try {
      at = lastBackupAt();
    } catch {
      // A database without the backups table yet (a migration pending): no backup known.
    }
    this.set(at === null ? -1 : Math.max(0, (Date.now() - at) / 1000));
  },
});

/** The status label for HTTP counters: its class only, so the label has five values at most. */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/**
 * A counter's child for one set of label values, looked up once: prom-client hashes the labels on every `inc({...})`,
 * which showed in the till sale's profile. The label sets are few (status classes, decline reasons), so this is small.
 */
function childCache<L extends string>(counter: Counter<L>): (labels: Record<L, string>) => { inc(): void } {
  const children = new Map<string, { inc(): void }>();
  return (labels) => {
    const key = Object.values(labels).join("\u0000");
    let child = children.get(key);
    if (!child) {
      child = counter.labels(labels);
      children.set(key, child);
    }
    return child;
  };
}

const httpRequestsBy = childCache(httpRequests);
/** Counts one answered HTTP request by its status class. */
export function countHttpRequest(status: number): void {
  httpRequestsBy({ status: statusClass(status) }).inc();
}
const posSalesBy = childCache(posSales);

/** The writer's hooks (db/ cannot import server/, so the server hands them in when it opens the store). */
export const writerObservers = {
  onCommit(jobs: number, seconds: number): void {
    writerBatchSize.observe(jobs);
    writerCommitSeconds.observe(seconds);
  },
  onBusy(): void {
    writerBusy.inc();
  },
  onCommitFailed(error: unknown, jobs: number): void {
    writerFailedCommits.inc();
    // Logged here, once per kind and interval with a count, rather than as a stack trace by every failed request.
    const code = noteStorageFailure(error, jobs);
    if (code !== null) storageErrors.inc({ code }, jobs);
  },
};

/** One pos.sale answered: counted by status and reason (first answers), or as a replay; its time observed. */
export function observeSale(result: { status: string; reason?: string | null; replayed?: boolean }, startedMs: number): void {
  posSaleSeconds.observe((performance.now() - startedMs) / 1000);
  if (result.replayed) posSaleReplays.inc();
  else posSalesBy({ status: result.status, reason: result.reason ?? "" }).inc();
}

/** The background ledger verifier (services/reads/verify-schedule.ts): its last result, as of its last step. */
export const ledgerVerification = {
  ok: new Gauge({ name: "kantinekort_ledger_verified_ok", help: "1 while the background ledger verifier finds every rule kept, 0 after a failure (alert on 0)", registers: [registry] }),
  throughSeq: new Gauge({ name: "kantinekort_ledger_verified_through_seq", help: "Every transfer up to this sequence number has been verified", registers: [registry] }),
  atSeconds: new Gauge({ name: "kantinekort_ledger_verified_at_seconds", help: "When the ledger verifier last finished a step (Unix time)", registers: [registry] }),
  lastFullSeconds: new Gauge({ name: "kantinekort_ledger_verified_full_at_seconds", help: "When the whole ledger was last summed from its first transfer (Unix time)", registers: [registry] }),
};
