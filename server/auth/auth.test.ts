// Unit tests of the auth building blocks: session tokens and expiry, login limits that survive a restart, CPR encryption.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openStore } from "../../db/connect.ts";
import { createCanteen, createCard, createTestStore, testConfig, type TestStore } from "../testing/harness.ts";
import {
  clearedSessionCookie,
  createSession,
  extendSession,
  findSession,
  generateSessionToken,
  isHttps,
  readCookie,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
  sessionCookie,
  sessionIdOf,
} from "./session.ts";
import {
  ADDRESS_THROTTLE_FAILURES,
  ADDRESS_WINDOW_MS,
  addressThrottled,
  BACKOFF_BASE_MS,
  BACKOFF_MAX_MS,
  FREE_FAILURES,
  loginSucceeded,
  loginWaitSeconds,
  purgeLoginThrottles,
  reserveLoginAttempt,
  STREAK_FORGOTTEN_MS,
  UNKNOWN_USERNAMES_REMEMBERED,
  type LoginSubject,
} from "./login-limit.ts";
import type { Store } from "../../db/connect.ts";
import { generateResetToken, resetPasswordWithToken, storeResetToken } from "../services/auth.ts";
import { CprCipher, maskCpr, normaliseCpr } from "./cpr.ts";
import { cprCipherFor } from "../app.ts";

let testStore: TestStore;
beforeEach(async () => {
  testStore = await createTestStore();
});
afterEach(async () => {
  await testStore.close();
});

describe("session tokens", () => {
  test("tokens are 160 random bits in lower-case base32, never repeated; the id is their SHA-256 in hex", () => {
    const tokens = new Set(Array.from({ length: 1_000 }, () => generateSessionToken()));
    expect(tokens.size).toBe(1_000);
    for (const token of tokens) expect(token).toMatch(/^[a-z2-7]{32}$/);
    const token = [...tokens][0]!;
    expect(sessionIdOf(token)).toBe(encodeHexLowerCase(sha256(new TextEncoder().encode(token))));
    expect(sessionIdOf(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  test("sliding idle expiry: extended only in the second half, never past the absolute limit", async () => {
    const { store } = testStore;
    const card = await createCard(store, await createCanteen(store));
    const token = generateSessionToken();
    const start = 1_000_000_000_000;
    const session = await store.write((tx) => createSession(tx, token, card.userId, start));
    expect(session).toMatchObject({ expiresAt: start + SESSION_IDLE_MS, absoluteExpiresAt: start + SESSION_ABSOLUTE_MS });
    // The row holds the hash, not the token.
    expect(store.read((tx) => tx.sqlite.query("SELECT id FROM sessions").all())).toEqual([{ id: sessionIdOf(token) }]);

    expect(store.read((tx) => findSession(tx, token, start + 1_000))?.needsExtension).toBe(false);
    const late = start + SESSION_IDLE_MS * 0.6;
    expect(store.read((tx) => findSession(tx, token, late))?.needsExtension).toBe(true);
    await store.write((tx) => extendSession(tx, session.id, late));
    expect(store.read((tx) => findSession(tx, token, late))?.session.expiresAt).toBe(late + SESSION_IDLE_MS);

    // Idle too long: gone.
    expect(store.read((tx) => findSession(tx, token, late + SESSION_IDLE_MS))).toBeNull();

    // Used constantly, it still ends at the absolute limit.
    let now = late;
    while (now < start + SESSION_ABSOLUTE_MS - SESSION_IDLE_MS / 2) {
      now += SESSION_IDLE_MS / 2;
      const at = now;
      await store.write((tx) => extendSession(tx, session.id, at));
    }
    const stored = store.read((tx) => tx.sqlite.query("SELECT expires_at FROM sessions").get() as { expires_at: number });
    expect(stored.expires_at).toBeLessThanOrEqual(start + SESSION_ABSOLUTE_MS);
    expect(store.read((tx) => findSession(tx, token, start + SESSION_ABSOLUTE_MS))).toBeNull();
  });

  test("malformed tokens are not even looked up", () => {
    expect(testStore.store.read((tx) => findSession(tx, "' OR 1=1 --"))).toBeNull();
    expect(testStore.store.read((tx) => findSession(tx, ""))).toBeNull();
  });

  test("cookies: HttpOnly, SameSite=Lax, Path=/, Secure only over HTTPS (direct or via a proxy)", () => {
    const plain = sessionCookie("abc", Date.UTC(2030, 0, 1), false);
    expect(plain).toMatch(/^kk_session=abc; /);
    for (const part of ["Path=/", "HttpOnly", "SameSite=Lax", "Expires=Tue, 01 Jan 2030 00:00:00 GMT"]) expect(plain).toContain(part);
    expect(plain).not.toContain("Secure");
    expect(sessionCookie("abc", Date.now(), true)).toMatch(/; Secure$/);
    expect(clearedSessionCookie(false)).toContain("Max-Age=0");
    expect(isHttps({ url: "https://kantine.example.dk/trpc", headers: new Headers() })).toBe(true);
    expect(isHttps({ url: "http://127.0.0.1/trpc", headers: new Headers({ "x-forwarded-proto": "https" }) })).toBe(true);
    expect(isHttps({ url: "http://127.0.0.1/trpc", headers: new Headers() })).toBe(false);
    expect(readCookie("theme=dark; kk_session=tok123; other=1", "kk_session")).toBe("tok123");
    expect(readCookie("kk_session_old=x", "kk_session")).toBeNull();
  });
});

/** One wrong try, counted the way the login procedure counts it; returns the wait the answer names (0: none). */
async function fail(store: Store, subject: LoginSubject, address: string | null, nowMs: number): Promise<number> {
  const reservation = await store.write((tx) => reserveLoginAttempt(tx, subject, address, nowMs));
  if (reservation.ticket === null) throw new Error(`refused, ${reservation.retryAfterSeconds} s to wait`);
  return store.read((tx) => loginWaitSeconds(tx, subject, address, nowMs));
}

const throttleRows = (store: Store) => store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM login_throttles").get() as { n: number }).n);

describe("login limits", () => {
  test("five free failures, then waits of 1, 2, 4 … minutes (at most an hour) after each; a try during the wait is not counted; the state survives a restart", async () => {
    const { store } = testStore;
    const card = await createCard(store, await createCanteen(store));
    const subject = { userId: card.userId, username: card.cardNumber };
    let now = 2_000_000_000_000;
    for (let attempt = 1; attempt < FREE_FAILURES; attempt += 1) expect(await fail(store, subject, "192.0.2.1", now)).toBe(0);
    const waits: number[] = [await fail(store, subject, "192.0.2.1", now)];
    for (let attempt = 0; attempt < 8; attempt += 1) {
      // Early tries are refused, unchecked and uncounted.
      const early = await store.write((tx) => reserveLoginAttempt(tx, subject, "192.0.2.2", now + waits.at(-1)! * 1000 - 1_000));
      expect(early).toEqual({ ticket: null, retryAfterSeconds: 1 });
      now += waits.at(-1)! * 1000;
      waits.push(await fail(store, subject, "192.0.2.1", now));
    }
    expect(waits).toEqual([60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    expect(BACKOFF_BASE_MS).toBe(60_000);
    expect(BACKOFF_MAX_MS).toBe(3_600_000);
    // Another account is not affected.
    const other = await createCard(store, await createCanteen(store, "Anden"));
    expect(store.read((tx) => loginWaitSeconds(tx, { userId: other.userId, username: other.cardNumber }, "192.0.2.1", now))).toBe(0);
    // A "restart": a new connection to the same file still sees the wait; a day without failures forgets it.
    const reopened = openStore({ path: testStore.path });
    try {
      expect(reopened.read((tx) => loginWaitSeconds(tx, subject, "198.51.100.1", now))).toBe(3600);
      expect(reopened.read((tx) => loginWaitSeconds(tx, subject, "198.51.100.1", now + STREAK_FORGOTTEN_MS))).toBe(0);
    } finally {
      await reopened.close();
    }
  });

  test("an address with 30 failures in its window is throttled: two free failures per account there instead of five, none taken from accounts without failures", async () => {
    const { store } = testStore;
    const now = 2_000_000_000_000;
    for (let attempt = 0; attempt < ADDRESS_THROTTLE_FAILURES; attempt += 1) {
      expect(store.read((tx) => addressThrottled(tx, "203.0.113.9", now))).toBe(false);
      await fail(store, { userId: null, username: `4000000000${String(attempt).padStart(4, "0")}` }, "203.0.113.9", now);
    }
    expect(store.read((tx) => addressThrottled(tx, "203.0.113.9", now))).toBe(true);
    expect(store.read((tx) => addressThrottled(tx, "203.0.113.10", now))).toBe(false);
    const card = await createCard(store, await createCanteen(store));
    const subject = { userId: card.userId, username: card.cardNumber };
    // An account without failures is always checked, from the throttled address too.
    expect(store.read((tx) => loginWaitSeconds(tx, subject, "203.0.113.9", now))).toBe(0);
    // A typo is free; after two failures it waits a minute at the throttled address, and not at all elsewhere.
    expect(await fail(store, subject, "203.0.113.9", now)).toBe(0);
    expect(await fail(store, subject, "203.0.113.9", now)).toBe(60);
    expect(store.read((tx) => loginWaitSeconds(tx, subject, "203.0.113.10", now))).toBe(0);
    // The window passes: the address is no longer throttled.
    expect(store.read((tx) => addressThrottled(tx, "203.0.113.9", now + ADDRESS_WINDOW_MS))).toBe(false);
  });

  test("a successful login starts the account's count afresh and takes its try back from the address", async () => {
    const { store } = testStore;
    const card = await createCard(store, await createCanteen(store));
    const subject = { userId: card.userId, username: card.cardNumber };
    const now = 2_000_000_000_000;
    for (let attempt = 1; attempt < FREE_FAILURES; attempt += 1) await fail(store, subject, "192.0.2.7", now + attempt);
    const ticket = (await store.write((tx) => reserveLoginAttempt(tx, subject, "192.0.2.7", now + 10))).ticket!;
    await store.write((tx) => loginSucceeded(tx, ticket, now + 10));
    const address = store.read((tx) => tx.sqlite.query("SELECT failures FROM login_throttles WHERE scope = 'address' AND subject = '192.0.2.7'").get()) as { failures: number };
    expect(address.failures).toBe(FREE_FAILURES - 1);
    for (let attempt = 1; attempt < FREE_FAILURES; attempt += 1) expect(await fail(store, subject, "192.0.2.7", now + 20 + attempt)).toBe(0);
    // Tries at a real account are kept in login_attempts (the success marked), with the address.
    expect(store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n, SUM(success) AS ok FROM login_attempts WHERE username = ?").get(card.cardNumber))).toEqual({ n: 2 * FREE_FAILURES - 1, ok: 1 });
  });

  test("made-up card numbers are answered on the same schedule as real ones but add no rows: 5,000 failures, one row", async () => {
    const { store } = testStore;
    const now = 2_000_000_000_000;
    const made = { userId: null, username: "49999999999999" };
    const card = await createCard(store, await createCanteen(store));
    const real = { userId: card.userId, username: card.cardNumber };
    const madeWaits: number[] = [];
    const realWaits: number[] = [];
    for (let attempt = 0; attempt < FREE_FAILURES + 1; attempt += 1) {
      madeWaits.push(await fail(store, made, "192.0.2.30", now + attempt * 3_600_000));
      realWaits.push(await fail(store, real, "192.0.2.31", now + attempt * 3_600_000));
    }
    expect(madeWaits).toEqual(realWaits);
    expect(madeWaits.at(-1)).toBeGreaterThan(0);
    const before = throttleRows(store);
    const attemptsBefore = store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM login_attempts").get() as { n: number }).n);
    // 5,000 failures at distinct made-up cards from one address, in one write job each as the login procedure does
    // (sent at once, so the writer commits them in batches).
    const reservations = await Promise.all(
      Array.from({ length: 5_000 }, (_, attempt) => store.write((tx) => reserveLoginAttempt(tx, { userId: null, username: `5${String(attempt).padStart(13, "0")}` }, "198.51.100.99", now + attempt))),
    );
    expect(reservations.every((reservation) => reservation.ticket !== null)).toBe(true);
    expect(throttleRows(store) - before).toBe(1);
    expect(store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM login_attempts").get() as { n: number }).n)).toBe(attemptsBefore);
    // Memory is bounded too: the oldest made-up names are forgotten first.
    expect(UNKNOWN_USERNAMES_REMEMBERED).toBe(10_000);
  });

  test("rows whose failures no longer count are purged", async () => {
    const { store } = testStore;
    const card = await createCard(store, await createCanteen(store));
    const now = 2_000_000_000_000;
    await fail(store, { userId: card.userId, username: card.cardNumber }, "192.0.2.40", now);
    expect(throttleRows(store)).toBe(2);
    expect(await store.write((tx) => purgeLoginThrottles(tx, now + ADDRESS_WINDOW_MS))).toBe(1);
    expect(await store.write((tx) => purgeLoginThrottles(tx, now + STREAK_FORGOTTEN_MS))).toBe(1);
    expect(throttleRows(store)).toBe(0);
  });
});

describe("CPR encryption", () => {
  test("round trip with a fresh IV each time; tampering or another key fails loudly", () => {
    const cipher = new CprCipher("ab".repeat(32));
    const first = cipher.encrypt("0111021234");
    const second = cipher.encrypt("0111021234");
    expect(first).not.toBe(second);
    expect(first).not.toContain("0111021234");
    expect(cipher.decrypt(first)).toBe("0111021234");
    const parts = first.split(":");
    const data = Buffer.from(parts[3]!, "base64");
    data[0] = data[0]! ^ 1;
    expect(() => cipher.decrypt([parts[0], parts[1], parts[2], data.toString("base64")].join(":"))).toThrow();
    expect(() => new CprCipher(Buffer.alloc(32, 7).toString("base64")).decrypt(first)).toThrow();
  });

  test("keys must be 32 bytes; production refuses to start without one, development falls back", () => {
    expect(() => new CprCipher("too-short")).toThrow(/32 bytes/);
    expect(() => new CprCipher(Buffer.alloc(32, 1).toString("base64"))).not.toThrow();
    expect(() => cprCipherFor(testConfig({ production: true, cprEncryptionKey: null }))).toThrow(/CPR_ENCRYPTION_KEY/);
    expect(cprCipherFor(testConfig({ production: true, cprEncryptionKey: "cd".repeat(32) }))).toBeInstanceOf(CprCipher);
    expect(cprCipherFor(testConfig({ production: false, cprEncryptionKey: null }))).toBeInstanceOf(CprCipher);
  });

  test("normalising and masking", () => {
    expect(normaliseCpr("011102-1234")).toBe("0111021234");
    expect(normaliseCpr("0111021234")).toBe("0111021234");
    expect(normaliseCpr("321302-1234")).toBeNull();
    expect(normaliseCpr("0111021")).toBeNull();
    expect(maskCpr("0111021234")).toBe("011102-XXXX");
  });
});

describe("password reset and the login waits", () => {
  test("a password reset through the mailbox lifts the waits of the account", async () => {
    const fixture = await createCanteen(testStore.store);
    const card = await createCard(testStore.store, fixture, { email: "locked@example.dk" });
    const subject = { userId: card.userId, username: card.cardNumber };
    for (let attempt = 0; attempt < FREE_FAILURES + 2; attempt += 1) await testStore.store.write((tx) => reserveLoginAttempt(tx, subject, null, Date.now() - 1_000_000 + attempt * 300_000));
    expect(testStore.store.read((tx) => loginWaitSeconds(tx, subject, null))).toBeGreaterThan(0);
    const token = generateResetToken();
    await testStore.store.write((tx) => storeResetToken(tx, token, card.userId));
    expect(await testStore.store.write((tx) => resetPasswordWithToken(tx, token, "new-hash"))).toBe(card.userId);
    expect(testStore.store.read((tx) => loginWaitSeconds(tx, subject, null))).toBe(0);
  });
});
