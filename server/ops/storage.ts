// Storage trouble (a full, read-only or failing disk) said plainly: one log line per kind per interval with a count,
// a metric by code, the free space of the database's filesystem, and the error that makes a write answer 503.
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { storageErrorCode } from "../../db/storage-errors.ts";
import { log } from "./logger.ts";

/** Seconds a till is told to wait (Retry-After) before it sends a write the storage refused again. */
export const STORAGE_RETRY_AFTER_SECONDS = 5;

/** The reason code and message of a write refused because the storage cannot take it (HTTP 503). */
export const STORAGE_UNAVAILABLE = {
  reason: "storage_unavailable",
  message: { da: "Serveren kan ikke gemme salg lige nu – prøv igen om lidt", en: "The server cannot store sales right now – try again shortly" },
} as const;

/** The reason code and message of a write refused because the writer's queue is full (HTTP 503, Retry-After 1). */
export const SERVER_BUSY = {
  reason: "server_busy",
  message: { da: "Serveren har travlt – prøv igen om et øjeblik", en: "The server is busy – try again in a moment" },
} as const;

/** Seconds a client is told to wait before it sends a write the full queue refused again. */
export const BUSY_RETRY_AFTER_SECONDS = 1;

/** A write refused by the storage, as the client sees it: nothing of it was written, and a retry is safe. */
export class StorageUnavailableError extends Error {
  constructor(readonly code: string, options?: { cause?: unknown }) {
    super(STORAGE_UNAVAILABLE.message.en, options);
    this.name = "StorageUnavailableError";
  }
}

/** The storage code of an error that reached a procedure (see db/storage-errors.ts), or null. */
export function storageCodeOf(error: unknown): string | null {
  return error instanceof StorageUnavailableError ? error.code : storageErrorCode(error);
}

/** How long failures of one kind are gathered into a single log line. */
let intervalMs = 10_000;
/** Failures per code not yet logged, and the timer that logs them at the end of the interval. */
const gathered = new Map<string, { count: number; timer: ReturnType<typeof setTimeout> }>();

function explain(code: string): string {
  if (code.startsWith("SQLITE_FULL") || code === "ENOSPC" || code === "EDQUOT") return "the database's disk is full";
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS") return "the database's disk is read-only";
  if (code.startsWith("SQLITE_CANTOPEN")) return "a database file cannot be opened";
  return "the database's disk fails to read or write";
}

/**
 * Writes that failed on the storage (`jobs` of them, one transaction): counted in the metric, and logged once when the
 * first one arrives and then at most once per interval per code with the count ("SQLITE_FULL ×137 in the last 10 s"),
 * never a stack trace per request — a full disk under a lunch queue would otherwise write thousands of lines a minute.
 */
export function noteStorageFailure(error: unknown, jobs: number): string | null {
  const code = storageErrorCode(error);
  if (code === null) return null;
  const open = gathered.get(code);
  if (open) {
    open.count += jobs;
    return code;
  }
  // `storageCode`, not `code`: the logger redacts a field named code (it can be a card's code elsewhere).
  log.error({ storageCode: code, writes: jobs, detail: error instanceof Error ? error.message : String(error) }, `storage error: ${code} ×${jobs} (${explain(code)}); writes are refused with 503 until it is fixed`);
  startInterval(code);
  return code;
}

function startInterval(code: string): void {
  const timer = setTimeout(() => flushInterval(code), intervalMs);
  (timer as { unref?: () => void }).unref?.();
  gathered.set(code, { count: 0, timer });
}

function flushInterval(code: string): void {
  const open = gathered.get(code);
  if (!open) return;
  clearTimeout(open.timer);
  gathered.delete(code);
  if (open.count === 0) return;
  log.error({ storageCode: code, writes: open.count, seconds: intervalMs / 1000 }, `storage error: ${code} ×${open.count} in the last ${intervalMs / 1000} s (${explain(code)})`);
  startInterval(code);
}

/** Tests: the interval's length, and ending every open interval now (its summary line is written). */
export function setStorageLogInterval(ms: number): void {
  intervalMs = ms;
}
export function flushStorageLog(): void {
  for (const code of [...gathered.keys()]) flushInterval(code);
}

/** Bytes free for us (not root's reserve) on the filesystem that holds `databasePath`, or null when unknown (:memory:). */
export function freeBytes(databasePath: string): number | null {
  if (databasePath === ":memory:") return null;
  try {
    const stat = statfsSync(dirname(databasePath));
    return Number(stat.bavail) * Number(stat.bsize);
  } catch {
    return null;
  }
}
