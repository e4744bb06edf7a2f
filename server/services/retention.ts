// Nothing grows without bound: a scheduled purge of expired sessions, old login records, spent reset links and old mail.
import type { Store } from "../../db/connect.ts";
import type { WriteTx } from "../../db/tx.ts";
import { db } from "../../db/query.ts";
import { purgeLoginThrottles } from "../auth/login-limit.ts";
import { RESET_TOKEN_TTL_MS } from "./auth.ts";
import { errorField, log } from "../ops/logger.ts";

/** How long each kind of row is kept after it stops mattering. */
export const RETENTION = {
  /** The record of checked sign-in tries at real accounts (login_attempts). */
  loginAttemptsMs: 30 * 86_400_000,
  /**
   * Reset links, once expired (a link lives an hour; a used one is kept as long, since the hourly limit of reset mails
   * counts the links created in the last hour, used or not).
   */
  resetTokensMs: Math.max(RESET_TOKEN_TTL_MS, 3_600_000),
  /** Mails in the outbox table (the development mail page, or a site without SMTP): reset links in them die in an hour. */
  outboxMs: 7 * 86_400_000,
} as const;

/** How often the running server purges. */
export const RETENTION_EVERY_MS = 10 * 60_000;

/** Rows deleted per write job, so a large backlog never holds the writer (and the tills) for long. */
export const PURGE_BATCH = 2_000;

export interface PurgeCounts {
  sessions: number;
  loginAttempts: number;
  loginThrottles: number;
  resetTokens: number;
  outbox: number;
}

/** One batch of each kind; returns how many rows each deleted (a full batch means: call again). */
export function purgeBatch(tx: WriteTx, nowMs: number, batch: number = PURGE_BATCH): PurgeCounts {
  const sessions = tx.run(
    db.deleteFrom("sessions").where(
      "id",
      "in",
      db
        .selectFrom("sessions")
        .select("id")
        .where((eb) => eb.or([eb("expires_at", "<=", nowMs), eb("absolute_expires_at", "<=", nowMs)]))
        .limit(batch),
    ),
  ).changes;
  const loginAttempts = tx.run(
    db.deleteFrom("login_attempts").where("id", "in", db.selectFrom("login_attempts").select("id").where("created_at", "<", nowMs - RETENTION.loginAttemptsMs).limit(batch)),
  ).changes;
  const resetTokens = tx.run(
    db
      .deleteFrom("password_reset_tokens")
      .where("token_hash", "in", db.selectFrom("password_reset_tokens").select("token_hash").where("created_at", "<", nowMs - RETENTION.resetTokensMs).limit(batch)),
  ).changes;
  const outbox = tx.run(db.deleteFrom("outbox").where("id", "in", db.selectFrom("outbox").select("id").where("created_at", "<", nowMs - RETENTION.outboxMs).limit(batch))).changes;
  // One row per account or address at most, and the limit's own rule says which still count.
  const loginThrottles = purgeLoginThrottles(tx, nowMs);
  return { sessions, loginAttempts, loginThrottles, resetTokens, outbox };
}

/** Purges everything that is due, batch by batch, each batch its own write job. Callable from tests. */
export async function purgeExpired(store: Store, nowMs: number = Date.now(), batch: number = PURGE_BATCH): Promise<PurgeCounts> {
  const total: PurgeCounts = { sessions: 0, loginAttempts: 0, loginThrottles: 0, resetTokens: 0, outbox: 0 };
  for (;;) {
    const counts = await store.write((tx) => purgeBatch(tx, nowMs, batch));
    for (const key of Object.keys(total) as Array<keyof PurgeCounts>) total[key] += counts[key];
    if (Math.max(counts.sessions, counts.loginAttempts, counts.resetTokens, counts.outbox) < batch) return total;
  }
}

/** Runs the purge now and then every `everyMs`; returns the function that stops it. */
export function scheduleRetention(store: Store, everyMs: number = RETENTION_EVERY_MS): () => void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    purgeExpired(store)
      .then((counts) => {
        const deleted = Object.entries(counts).filter(([, n]) => n > 0);
        if (deleted.length > 0) log.info({ purged: Object.fromEntries(deleted) }, "retention purge");
      })
      .catch((error) => log.error({ err: errorField(error) }, "retention purge failed"))
      .finally(() => {
        running = false;
      });
  };
  run();
  const timer = setInterval(run, everyMs);
  return () => clearInterval(timer);
}
