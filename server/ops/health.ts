// Readiness: the database file is the one we opened, it takes a commit, its migrations are the code's, and we are not
// stopping. Every check names what is wrong in words an operator can act on, never a secret or a path.
import { statSync } from "node:fs";
import { db } from "../../db/query.ts";
import { migrationState } from "../../db/migration-state.ts";
import type { Store } from "../../db/connect.ts";
import type { Config } from "../config.ts";
import { log } from "./logger.ts";
import { freeBytes } from "./storage.ts";

/** What the probes look at: the store and the configuration (the running services hand in themselves). */
export interface ProbedServices {
  store: Store;
  config: Config;
}

export interface DatabaseIdentity {
  dev: number;
  ino: number;
}

export interface Readiness {
  ready: boolean;
  checks: Record<"database" | "migrations" | "writer" | "storage" | "server", string>;
  /** The first check that is not ok (e.g. "storage"), or null when ready. */
  reason: string | null;
}

/** A storage error this recent, with no successful commit since, keeps the server "not ready". */
export const STORAGE_FAILURE_WINDOW_MS = 60_000;

/**
 * Whether the storage takes our writes: no commit has failed on it since the last one that succeeded (within the
 * window), and the filesystem has at least DISK_FREE_MIN_MB free, so a balancer stops sending sales before they fail.
 */
export function storageCheck(services: ProbedServices, now = Date.now()): string {
  const failure = services.store.writer.storageFailure;
  if (failure && now - failure.at < STORAGE_FAILURE_WINDOW_MS) return `commits fail on the storage (${failure.code}): the database's disk is full, read-only or failing`;
  const free = freeBytes(services.store.path);
  const floor = services.config.diskFreeMinBytes;
  if (free !== null && free < floor) return `${(free / 1048576).toFixed(1)} MB free on the database's filesystem, below DISK_FREE_MIN_MB (${(floor / 1048576).toFixed(0)} MB)`;
  return "ok";
}

/** How long a probe write may take before the writer counts as stuck. */
export const WRITER_PROBE_TIMEOUT_MS = 2_000;

/** One probe write at a time per store: a slow one is shared by the probes that arrive meanwhile. */
const probes = new WeakMap<object, Promise<void>>();

function probeWrite(services: ProbedServices): Promise<void> {
  const running = probes.get(services.store);
  if (running) return running;
  const probe = services.store
    .write((tx) => {
      const at = Date.now();
      tx.run(db.insertInto("ops_heartbeat").values({ id: 1, at }).onConflict((oc) => oc.column("id").doUpdateSet({ at })));
    })
    .finally(() => probes.delete(services.store));
  probes.set(services.store, probe);
  return probe;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function databaseCheck(path: string, opened: DatabaseIdentity | null): string {
  if (opened === null) return "ok";
  let now: DatabaseIdentity;
  try {
    const stat = statSync(path);
    now = { dev: stat.dev, ino: stat.ino };
  } catch {
    return "the database file is gone from DATABASE_PATH (removed or moved while the server runs)";
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino) return "the file at DATABASE_PATH is not the one the server opened (replaced while it runs: restart it)";
  return "ok";
}

function migrationsCheck(services: ProbedServices): string {
  let state;
  try {
    state = services.store.read(migrationState);
  } catch (error) {
    return `migrations cannot be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (state.pending.length > 0) return `pending: ${state.pending.join(", ")}`;
  if (state.unknown.length > 0) return `the database has migrations this server does not know (newer code ran on it): ${state.unknown.join(", ")}`;
  return "ok";
}

export async function readiness(services: ProbedServices, options: { databaseIdentity: DatabaseIdentity | null; shuttingDown: boolean }): Promise<Readiness> {
  const checks: Readiness["checks"] = {
    server: options.shuttingDown ? "stopping" : "ok",
    database: databaseCheck(services.store.path, options.databaseIdentity),
    migrations: migrationsCheck(services),
    writer: "ok",
    storage: "ok",
  };
  if (!options.shuttingDown) {
    try {
      const result = await withTimeout(probeWrite(services), WRITER_PROBE_TIMEOUT_MS);
      if (result === "timeout") checks.writer = `no commit within ${WRITER_PROBE_TIMEOUT_MS} ms (the writer is stuck or the disk is slow)`;
    } catch (error) {
      checks.writer = `a write failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  // After the probe: its commit, when it succeeds, is the proof that the storage takes writes again.
  checks.storage = storageCheck(services);
  // Storage before writer: a full disk also makes the probe write fail, and "storage" is the reason to act on.
  const order: Array<keyof Readiness["checks"]> = ["server", "database", "migrations", "storage", "writer"];
  const failing = order.find((name) => checks[name] !== "ok") ?? null;
  if (failing) log.warn({ checks }, "not ready");
  return { ready: failing === null, checks, reason: failing };
}
