// Login rate limits: 10 failed tries per card and 30 per client address in 15 minutes, 30 per card a day; every attempt is logged.
import type { Tx, WriteTx } from "../../db/tx.ts";

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const MAX_FAILURES_PER_USERNAME = 10;
export const MAX_FAILURES_PER_ADDRESS = 30;
/**
 * The 15-minute window alone would allow 960 guesses a day at one card. After 30 failures within 24 hours the card
 * stays locked until the oldest of them is a day old, so a six-digit code cannot be worn down over days.
 */
export const DAY_WINDOW_MS = 24 * 60 * 60_000;
export const MAX_FAILURES_PER_USERNAME_PER_DAY = 30;

/**
 * When the card's `limit`-th most recent failure in `windowMs` (counting only since its last success) stops counting,
 * or null when there are fewer. Refused tries (made while locked) never count: they would keep a lock alive forever.
 */
function usernameUnlockAt(tx: Tx, username: string, nowMs: number, windowMs: number, limit: number): number | null {
  const row = tx.sqlite
    .query(
      `SELECT COUNT(*) AS failures, MIN(created_at) AS oldest FROM (
         SELECT created_at FROM login_attempts WHERE username = ? AND success = 0 AND refused = 0 AND created_at > ?
           AND created_at > COALESCE((SELECT MAX(created_at) FROM login_attempts WHERE username = ? AND success = 1), 0)
         ORDER BY created_at DESC LIMIT ?)`,
    )
    .get(username, nowMs - windowMs, username, limit) as { failures: number; oldest: number | null };
  return row.failures >= limit && row.oldest !== null ? row.oldest + windowMs : null;
}

/** Seconds until another try is allowed, or 0 when the caller may try now. */
export function lockoutSeconds(tx: Tx, username: string, clientAddress: string | null, nowMs: number = Date.now()): number {
  let unlockAt = Math.max(
    usernameUnlockAt(tx, username, nowMs, LOGIN_WINDOW_MS, MAX_FAILURES_PER_USERNAME) ?? 0,
    usernameUnlockAt(tx, username, nowMs, DAY_WINDOW_MS, MAX_FAILURES_PER_USERNAME_PER_DAY) ?? 0,
  );
  if (clientAddress) {
    const byAddress = tx.sqlite
      .query(
        "SELECT COUNT(*) AS failures, MIN(created_at) AS oldest FROM (SELECT created_at FROM login_attempts WHERE client_address = ? AND success = 0 AND refused = 0 AND created_at > ? ORDER BY created_at DESC LIMIT ?)",
      )
      .get(clientAddress, nowMs - LOGIN_WINDOW_MS, MAX_FAILURES_PER_ADDRESS) as { failures: number; oldest: number | null };
    if (byAddress.failures >= MAX_FAILURES_PER_ADDRESS && byAddress.oldest !== null) unlockAt = Math.max(unlockAt, byAddress.oldest + LOGIN_WINDOW_MS);
  }
  const waitMs = unlockAt - nowMs;
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

export function recordLoginAttempt(tx: WriteTx, username: string, clientAddress: string | null, success: boolean, nowMs: number = Date.now()): number {
  return Number(
    tx.sqlite.query("INSERT INTO login_attempts (username, client_address, success, created_at) VALUES (?, ?, ?, ?)").run(username, clientAddress, success ? 1 : 0, nowMs)
      .lastInsertRowid,
  );
}

/** A try refused because the card or address was locked: logged for the record, never counted towards a lock. */
/** Refused tries are kept as at most one row per card and address a minute, so hammering a locked card cannot grow the table. */
export const REFUSED_LOGIN_ROW_MS = 60_000;

/** Whether a refused try from this address at this card was already kept within the last minute. */
export function refusedLoginRecently(tx: Tx, username: string, clientAddress: string | null, nowMs: number = Date.now()): boolean {
  return Boolean(
    tx.sqlite
      .query("SELECT 1 FROM login_attempts WHERE username = ? AND client_address IS ? AND refused = 1 AND created_at > ? LIMIT 1")
      .get(username, clientAddress, nowMs - REFUSED_LOGIN_ROW_MS),
  );
}

export function recordRefusedLogin(tx: WriteTx, username: string, clientAddress: string | null, nowMs: number = Date.now()): void {
  if (refusedLoginRecently(tx, username, clientAddress, nowMs)) return;
  tx.sqlite.query("INSERT INTO login_attempts (username, client_address, success, refused, created_at) VALUES (?, ?, 0, 1, ?)").run(username, clientAddress, nowMs);
}

/** Lifts the per-card lockouts of a user's cards (after a password reset through their mailbox): a success row per card. */
export function clearCardLockouts(tx: WriteTx, userId: number, nowMs: number = Date.now()): void {
  tx.sqlite.query("INSERT INTO login_attempts (username, client_address, success, created_at) SELECT card_number, NULL, 1, ? FROM cards WHERE user_id = ?").run(nowMs, userId);
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

/**
 * A sliding-window limit per client address, in memory: for requests that are cheap to refuse but must not be
 * repeated without bound (a password reset hashes with argon2id). A restart forgets it, which is acceptable there.
 */
export class AddressRateLimit {
  private readonly hits = new Map<string, number[]>();

  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Counts one request; returns 0 when it may go ahead, else the seconds until the address may try again. */
  take(address: string, nowMs: number = Date.now()): number {
    // Addresses seen once and never again would otherwise stay in the map for the life of the process.
    if (this.hits.size > 10_000) for (const [key, times] of this.hits) if (times.at(-1)! <= nowMs - this.windowMs) this.hits.delete(key);
    const recent = (this.hits.get(address) ?? []).filter((at) => at > nowMs - this.windowMs);
    if (recent.length >= this.max) {
      this.hits.set(address, recent);
      return Math.ceil((recent[0]! + this.windowMs - nowMs) / 1000);
    }
    recent.push(nowMs);
    this.hits.set(address, recent);
    return 0;
  }
}
