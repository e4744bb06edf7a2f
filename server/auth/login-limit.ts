// Login throttling that strangers cannot turn against users: a growing delay per account under guessing, fewer free
// tries per account from an address that keeps failing, and never a lock of everyone behind one address.
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db } from "../../db/query.ts";

/**
 * The policy (the README's "Sign-in throttling" section says the same):
 * - Per account (a card's user, a staff user, the current password at "Skift adgangskode"): the first
 *   FREE_FAILURES failed tries since the last sign-in or password reset are free; after that each try must wait after
 *   the previous failure 1 min, 2 min, 4 min, … at most BACKOFF_MAX_MS. A try during the wait is not checked and does
 *   not count. A sign-in, a password reset through the mailbox, or 24 hours without a failure start the count over.
 * - Per client address (the peer, or X-Forwarded-For through TRUST_PROXY's trusted hops only): an address with
 *   ADDRESS_THROTTLE_FAILURES failures in its 15-minute window is throttled. From it, each account gets only
 *   FREE_FAILURES_FROM_THROTTLED_ADDRESS free failures (a typo) before the waits start. An account without failures is always
 *   checked: a correct password is never refused because others at the same address (a school behind one proxy)
 *   guessed wrong.
 * - Rows: one per account with failures and one per failing address. A username that names no account keeps its
 *   count in memory only (at most UNKNOWN_USERNAMES_REMEMBERED, the oldest forgotten first), so made-up card numbers add
 *   no rows, yet they are answered on the same schedule as real ones and cannot be told apart.
 */
export const FREE_FAILURES = 5;
export const FREE_FAILURES_FROM_THROTTLED_ADDRESS = 2;
export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 60 * 60_000;
/** An account's failures are forgotten this long after its last one. */
export const STREAK_FORGOTTEN_MS = 24 * 60 * 60_000;
export const ADDRESS_WINDOW_MS = 15 * 60_000;
export const ADDRESS_THROTTLE_FAILURES = 30;
export const UNKNOWN_USERNAMES_REMEMBERED = 10_000;

/** Who a try is at: the account when the username names one (userId), and the username as typed. */
export interface LoginSubject {
  userId: number | null;
  /** The card number typed, `staff:<e-mail>`, or `password-change:<user id>`: the key for unknown names and the log. */
  username: string;
}

interface Streak {
  failures: number;
  firstFailureAt: number;
  lastFailureAt: number;
}

const NO_FAILURES: Streak = { failures: 0, firstFailureAt: 0, lastFailureAt: 0 };

/**
 * Counts of usernames that name no account, per database file (the reading and the writing connection share it, and
 * every test database has its own).
 */
const unknownByDatabase = new Map<string, Map<string, Streak>>();

function unknownStreaks(tx: Tx): Map<string, Streak> {
  let map = unknownByDatabase.get(tx.sqlite.filename);
  if (!map) unknownByDatabase.set(tx.sqlite.filename, (map = new Map()));
  return map;
}

const addressKey = (address: string | null) => address ?? "unknown";

function storedStreak(tx: Tx, scope: "user" | "address", subject: string): Streak | null {
  const row = tx.first(
    db.selectFrom("login_throttles").select(["failures", "first_failure_at", "last_failure_at"]).where("scope", "=", scope).where("subject", "=", subject),
  );
  return row ? { failures: row.failures, firstFailureAt: row.first_failure_at, lastFailureAt: row.last_failure_at } : null;
}

/** The account's failures since its last sign-in or reset; none once 24 hours passed without a failure. */
function accountStreak(tx: Tx, subject: LoginSubject, nowMs: number): Streak {
  const streak = subject.userId !== null ? storedStreak(tx, "user", String(subject.userId)) : (unknownStreaks(tx).get(subject.username) ?? null);
  return streak && nowMs - streak.lastFailureAt < STREAK_FORGOTTEN_MS ? streak : NO_FAILURES;
}

/** The address's failures in its current 15-minute window. */
function addressStreak(tx: Tx, address: string | null, nowMs: number): Streak {
  const streak = storedStreak(tx, "address", addressKey(address));
  return streak && nowMs - streak.firstFailureAt < ADDRESS_WINDOW_MS ? streak : NO_FAILURES;
}

function waitMs(account: Streak, addressThrottled: boolean, nowMs: number): number {
  const free = addressThrottled ? FREE_FAILURES_FROM_THROTTLED_ADDRESS : FREE_FAILURES;
  if (account.failures < free) return 0;
  const delay = Math.min(BACKOFF_BASE_MS * 2 ** (account.failures - free), BACKOFF_MAX_MS);
  return Math.max(0, account.lastFailureAt + delay - nowMs);
}

/** Whether the address has failed often enough in its window to get fewer free tries per account. */
export function addressThrottled(tx: Tx, address: string | null, nowMs: number = Date.now()): boolean {
  return addressStreak(tx, address, nowMs).failures >= ADDRESS_THROTTLE_FAILURES;
}

/** Seconds until a try at this account from this address is checked, or 0 when it may be tried now. */
export function loginWaitSeconds(tx: Tx, subject: LoginSubject, address: string | null, nowMs: number = Date.now()): number {
  const wait = waitMs(accountStreak(tx, subject, nowMs), addressThrottled(tx, address, nowMs), nowMs);
  return wait > 0 ? Math.ceil(wait / 1000) : 0;
}

function saveStreak(tx: WriteTx, scope: "user" | "address", subject: string, streak: Streak): void {
  tx.run(
    db
      .insertInto("login_throttles")
      .values({ scope, subject, failures: streak.failures, first_failure_at: streak.firstFailureAt, last_failure_at: streak.lastFailureAt })
      .onConflict((conflict) =>
        conflict.columns(["scope", "subject"]).doUpdateSet((eb) => ({
          failures: eb.ref("excluded.failures"),
          first_failure_at: eb.ref("excluded.first_failure_at"),
          last_failure_at: eb.ref("excluded.last_failure_at"),
        })),
      ),
  );
}

const oneMore = (streak: Streak, nowMs: number): Streak => ({
  failures: streak.failures + 1,
  firstFailureAt: streak.failures === 0 ? nowMs : streak.firstFailureAt,
  lastFailureAt: nowMs,
});

/** A try that was allowed and counted as a failure until `loginSucceeded` says otherwise. */
export interface LoginTicket {
  subject: LoginSubject;
  address: string | null;
  /** The login_attempts row of a try at a real account; tries at unknown names are not stored one by one. */
  attemptId: number | null;
}

export type LoginReservation = { ticket: LoginTicket; retryAfterSeconds: 0 } | { ticket: null; retryAfterSeconds: number };

/**
 * Checks the limits and, when the try may go ahead, counts it as a failure at once, in one write job. The writer runs
 * jobs one at a time, so a burst of parallel guesses cannot all pass the check while their (slow) hashes are being
 * verified: each counts before its password is looked at. A right password then takes it back (`loginSucceeded`).
 */
export function reserveLoginAttempt(tx: WriteTx, subject: LoginSubject, address: string | null, nowMs: number = Date.now()): LoginReservation {
  const retryAfterSeconds = loginWaitSeconds(tx, subject, address, nowMs);
  if (retryAfterSeconds > 0) return { ticket: null, retryAfterSeconds };
  const account = oneMore(accountStreak(tx, subject, nowMs), nowMs);
  if (subject.userId !== null) saveStreak(tx, "user", String(subject.userId), account);
  else rememberUnknown(tx, subject.username, account);
  saveStreak(tx, "address", addressKey(address), oneMore(addressStreak(tx, address, nowMs), nowMs));
  const attemptId =
    subject.userId === null
      ? null
      : tx.run(db.insertInto("login_attempts").values({ username: subject.username, client_address: address, success: 0, created_at: nowMs })).lastInsertRowid;
  return { ticket: { subject, address, attemptId }, retryAfterSeconds: 0 };
}

function rememberUnknown(tx: Tx, username: string, streak: Streak): void {
  const map = unknownStreaks(tx);
  // Re-inserted at the end, so the oldest entry is the one least recently failed.
  map.delete(username);
  map.set(username, streak);
  if (map.size > UNKNOWN_USERNAMES_REMEMBERED) map.delete(map.keys().next().value!);
}

/** The right password: the account starts over, and the try no longer counts against its address. */
export function loginSucceeded(tx: WriteTx, ticket: LoginTicket, nowMs: number = Date.now()): void {
  if (ticket.subject.userId !== null) clearAccountThrottle(tx, ticket.subject.userId);
  const address = addressStreak(tx, ticket.address, nowMs);
  if (address.failures > 0) saveStreak(tx, "address", addressKey(ticket.address), { ...address, failures: address.failures - 1 });
  if (ticket.attemptId !== null) tx.run(db.updateTable("login_attempts").set({ success: 1 }).where("id", "=", ticket.attemptId));
}

/** Lifts the waits of an account (after a password reset through the mailbox, which proves who is asking). */
export function clearAccountThrottle(tx: WriteTx, userId: number): void {
  tx.run(db.deleteFrom("login_throttles").where("scope", "=", "user").where("subject", "=", String(userId)));
}

/** Rows whose failures no longer count (for the retention purge): accounts after 24 h, addresses after their window. */
export function purgeLoginThrottles(tx: WriteTx, nowMs: number): number {
  return tx.run(
    db
      .deleteFrom("login_throttles")
      .where((eb) =>
        eb.or([
          eb.and([eb("scope", "=", "user"), eb("last_failure_at", "<=", nowMs - STREAK_FORGOTTEN_MS)]),
          eb.and([eb("scope", "=", "address"), eb("first_failure_at", "<=", nowMs - ADDRESS_WINDOW_MS)]),
        ]),
      ),
  ).changes;
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
