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
  DAY_WINDOW_MS,
  LOGIN_WINDOW_MS,
  lockoutSeconds,
  MAX_FAILURES_PER_ADDRESS,
  MAX_FAILURES_PER_USERNAME,
  MAX_FAILURES_PER_USERNAME_PER_DAY,
  recordLoginAttempt,
  recordRefusedLogin,
  REFUSED_LOGIN_ROW_MS,
} from "./login-limit.ts";
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

describe("login limits", () => {
  test("10 failures lock the card for the rest of the window; the lock survives a restart and then expires", async () => {
    const now = 2_000_000_000_000;
    for (let attempt = 0; attempt < MAX_FAILURES_PER_USERNAME; attempt += 1) {
      expect(testStore.store.read((tx) => lockoutSeconds(tx, "12345678901234", null, now))).toBe(0);
      await testStore.store.write((tx) => recordLoginAttempt(tx, "12345678901234", `10.0.0.${attempt}`, false, now - 60_000 + attempt));
    }
    expect(testStore.store.read((tx) => lockoutSeconds(tx, "12345678901234", null, now))).toBe(Math.ceil((LOGIN_WINDOW_MS - 60_000) / 1000));
    // Another card is not affected.
    expect(testStore.store.read((tx) => lockoutSeconds(tx, "12345678901235", null, now))).toBe(0);

    // A "restart": a new connection to the same file still sees the lock.
    const reopened = openStore({ path: testStore.path });
    try {
      expect(reopened.read((tx) => lockoutSeconds(tx, "12345678901234", "192.0.2.1", now))).toBeGreaterThan(0);
      expect(reopened.read((tx) => lockoutSeconds(tx, "12345678901234", null, now + LOGIN_WINDOW_MS))).toBe(0);
    } finally {
      await reopened.close();
    }
  });

  test("one address guessing across many cards is locked too", async () => {
    const now = 2_000_000_000_000;
    await testStore.store.write((tx) => {
      for (let attempt = 0; attempt < MAX_FAILURES_PER_ADDRESS; attempt += 1) recordLoginAttempt(tx, `4000000000${String(attempt).padStart(4, "0")}`, "203.0.113.9", false, now - 1_000);
    });
    expect(testStore.store.read((tx) => lockoutSeconds(tx, "49999999999999", "203.0.113.9", now))).toBeGreaterThan(0);
    expect(testStore.store.read((tx) => lockoutSeconds(tx, "49999999999999", "203.0.113.10", now))).toBe(0);
  });

  test("a successful login starts the card's count afresh", async () => {
    const now = 2_000_000_000_000;
    await testStore.store.write((tx) => {
      for (let attempt = 0; attempt < MAX_FAILURES_PER_USERNAME - 1; attempt += 1) recordLoginAttempt(tx, "12345678901234", null, false, now - 10_000 + attempt);
      recordLoginAttempt(tx, "12345678901234", null, true, now - 5_000);
      recordLoginAttempt(tx, "12345678901234", null, false, now - 4_000);
    });
    expect(testStore.store.read((tx) => lockoutSeconds(tx, "12345678901234", null, now))).toBe(0);
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

describe("login limits over a day", () => {
  test("30 failures within 24 hours lock the card until the oldest of them is a day old, however they are spread", async () => {
    const now = 2_000_000_000_000;
    const card = "12345678909999";
    // Three bursts of 10, each in its own 15-minute window: the short lock alone would let all of them through.
    await testStore.store.write((tx) => {
      for (let burst = 0; burst < 3; burst += 1) {
        for (let attempt = 0; attempt < MAX_FAILURES_PER_USERNAME; attempt += 1) recordLoginAttempt(tx, card, null, false, now - (3 - burst) * 3_600_000 + attempt);
      }
    });
    const oldest = now - 3 * 3_600_000;
    expect(MAX_FAILURES_PER_USERNAME_PER_DAY).toBe(30);
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card, null, now))).toBe(Math.ceil((oldest + DAY_WINDOW_MS - now) / 1000));
    // A day after the oldest failure the card may be tried again.
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card, null, oldest + DAY_WINDOW_MS + 1_000))).toBe(0);
  });

  test("tries refused while locked are logged (a row a minute per card and address) but never extend the lock", async () => {
    const now = 2_000_000_000_000;
    const card = "12345678908888";
    await testStore.store.write((tx) => {
      for (let attempt = 0; attempt < MAX_FAILURES_PER_USERNAME; attempt += 1) recordLoginAttempt(tx, card, null, false, now - 60_000 + attempt);
    });
    const before = testStore.store.read((tx) => lockoutSeconds(tx, card, null, now));
    await testStore.store.write((tx) => {
      for (let attempt = 0; attempt < 50; attempt += 1) recordRefusedLogin(tx, card, "203.0.113.50", now + attempt);
    });
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card, "203.0.113.50", now))).toBe(before);
    const refusedRows = () => testStore.store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM login_attempts WHERE username = ? AND refused = 1").get(card) as { n: number }).n);
    expect(refusedRows()).toBe(1);
    // Another address, or the same one a minute later, is logged again.
    await testStore.store.write((tx) => recordRefusedLogin(tx, card, "203.0.113.51", now + 100));
    await testStore.store.write((tx) => recordRefusedLogin(tx, card, "203.0.113.50", now + REFUSED_LOGIN_ROW_MS + 1));
    expect(refusedRows()).toBe(3);
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card, "203.0.113.50", now))).toBe(before);
  });

  test("a password reset through the mailbox lifts the lock of the user's cards", async () => {
    const fixture = await createCanteen(testStore.store);
    const card = await createCard(testStore.store, fixture, { email: "locked@example.dk" });
    await testStore.store.write((tx) => {
      for (let attempt = 0; attempt < MAX_FAILURES_PER_USERNAME; attempt += 1) recordLoginAttempt(tx, card.cardNumber, null, false, Date.now() - 1_000 + attempt);
    });
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card.cardNumber, null))).toBeGreaterThan(0);
    const token = generateResetToken();
    await testStore.store.write((tx) => storeResetToken(tx, token, card.userId));
    expect(await testStore.store.write((tx) => resetPasswordWithToken(tx, token, "new-hash"))).toBe(card.userId);
    expect(testStore.store.read((tx) => lockoutSeconds(tx, card.cardNumber, null))).toBe(0);
  });
});
