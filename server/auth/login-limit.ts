// Login rate limits: at most 10 failed tries per card and 30 per client address in 15 minutes; every attempt is logged.
import type { Tx, WriteTx } from "../../db/tx.ts";

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_ADDRESS = 30;

/** Seconds until another try is allowed, or 0 when the caller may try now. */
export function lockoutSeconds(tx: Tx, username: string, clientAddress: string | null, nowMs: number = Date.now()): number {
  const since = nowMs - LOGIN_WINDOW_MS;
  const byUsername = tx.sqlite
    .query(
      `SELECT COUNT(*) AS failures, MIN(created_at) AS oldest FROM (
         SELECT created_at FROM login_attempts WHERE username = ? AND success = 0 AND created_at > ?
           AND created_at > COALESCE((SELECT MAX(created_at) FROM login_attempts WHERE username = ? AND success = 1), 0)
         ORDER BY created_at DESC LIMIT ?)`,
    )
    .get(username, since, username, MAX_FAILURES_PER_USERNAME) as { failures: number; oldest: number | null };
  let waitMs = 0;
  if (byUsername.failures >= MAX_FAILURES_PER_USERNAME && byUsername.oldest !== null) waitMs = byUsername.oldest + LOGIN_WINDOW_MS - nowMs;
  if (clientAddress) {
    const byAddress = tx.sqlite
      .query(
        "SELECT COUNT(*) AS failures, MIN(created_at) AS oldest FROM (SELECT created_at FROM login_attempts WHERE client_address = ? AND success = 0 AND created_at > ? ORDER BY created_at DESC LIMIT ?)",
      )
      .get(clientAddress, since, MAX_FAILURES_PER_ADDRESS) as { failures: number; oldest: number | null };
    if (byAddress.failures >= MAX_FAILURES_PER_ADDRESS && byAddress.oldest !== null) waitMs = Math.max(waitMs, byAddress.oldest + LOGIN_WINDOW_MS - nowMs);
  }
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

export function recordLoginAttempt(tx: WriteTx, username: string, clientAddress: string | null, success: boolean, nowMs: number = Date.now()): number {
  return Number(
    tx.sqlite.query("INSERT INTO login_attempts (username, client_address, success, created_at) VALUES (?, ?, ?, ?)").run(username, clientAddress, success ? 1 : 0, nowMs)
      .lastInsertRowid,
  );
}

/**
 * Checks the limits and, when not locked, records the attempt as failed, in one write job. The writer runs jobs one
 * at a time, so a burst of parallel guesses cannot all pass the check while their (slow) hashes are being verified:
 * each guess counts against the limit before its password is even looked at. A right password then marks it a success.
 */
export function reserveLoginAttempt(tx: WriteTx, username: string, clientAddress: string | null, nowMs: number = Date.now()): { lockedSeconds: number; attemptId: number | null } {
  const lockedSeconds = lockoutSeconds(tx, username, clientAddress, nowMs);
  if (lockedSeconds > 0) return { lockedSeconds, attemptId: null };
  return { lockedSeconds: 0, attemptId: recordLoginAttempt(tx, username, clientAddress, false, nowMs) };
}

export function markLoginSucceeded(tx: WriteTx, attemptId: number): void {
  tx.sqlite.query("UPDATE login_attempts SET success = 1 WHERE id = ?").run(attemptId);
}
