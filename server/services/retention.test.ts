// Nothing grows without bound, over real HTTP: the retention purge, the cap on live sessions per user, and the cap on
// unpaid hosted payments per user.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, PortalClient, startTestServer, tempDatabasePath, testConfig, type Fixture, type TestServer } from "../testing/harness.ts";
import { startServer } from "../app.ts";
import type { Store } from "../../db/connect.ts";
import { resetMailsSettled } from "../routers/auth.ts";
import { purgeExpired, RETENTION } from "./retention.ts";
import { MAX_SESSIONS_PER_USER, sessionIdOf } from "../auth/session.ts";
import { MAX_OPEN_PAYMENTS_PER_USER, OPEN_PAYMENT_WINDOW_MS } from "./payments/records.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;

beforeAll(async () => {
  server = await startTestServer();
  store = server.services.store;
  canteen = await createCanteen(store);
});
afterAll(async () => {
  await (server.services.acquirer as AcquirerSimulator).settle();
  await server.close();
});

const count = (table: string, where = "1 = 1", ...parameters: Array<string | number>) =>
  store.read((tx) => (tx.sqlite.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`).get(...parameters) as { n: number }).n);

async function signedIn(options: { email?: string } = {}) {
  const code = String(100000 + Math.floor(Math.random() * 900000));
  const email = options.email ?? `${crypto.randomUUID()}@example.dk`;
  const card = await createCard(store, canteen, { code, name: "Holder", email });
  const client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
  return { card, client, code, email };
}

const cookieSessionId = (client: PortalClient) => sessionIdOf(client.cookie!.split("=")[1]!);

describe("the retention purge", () => {
  test("deletes expired sessions, old login records, spent or expired reset links and old mail; keeps what still counts", async () => {
    const old = await signedIn();
    const live = await signedIn();
    // A reset link and its mail, then a second link that is used.
    await new PortalClient(server.url).mutate("auth.requestPasswordReset", { email: old.email });
    await resetMailsSettled();
    await old.client.login(old.card.cardNumber, "000000");
    const now = Date.now();
    const day = 86_400_000;
    await store.write((tx) => {
      // The old holder's session expired yesterday; their records are from long ago.
      tx.sqlite.query("UPDATE sessions SET expires_at = ? WHERE id = ?").run(now - day, cookieSessionId(old.client));
      tx.sqlite.query("UPDATE login_attempts SET created_at = ? WHERE username = ?").run(now - RETENTION.loginAttemptsMs - day, old.card.cardNumber);
      tx.sqlite.query("UPDATE password_reset_tokens SET created_at = ?, expires_at = ? WHERE user_id = ?").run(now - 2 * 3_600_000, now - 3_600_000, old.card.userId);
      tx.sqlite.query("UPDATE outbox SET created_at = ? WHERE recipient = ?").run(now - RETENTION.outboxMs - day, old.email);
      tx.sqlite.query("UPDATE login_throttles SET first_failure_at = ?, last_failure_at = ? WHERE scope = 'user' AND subject = ?").run(now - 2 * day, now - 2 * day, String(old.card.userId));
    });
    // A fresh reset link for the live holder, not yet used: it must survive.
    await new PortalClient(server.url).mutate("auth.requestPasswordReset", { email: live.email });
    await resetMailsSettled();
    const before = {
      sessions: count("sessions"),
      attempts: count("login_attempts"),
      tokens: count("password_reset_tokens"),
      outbox: count("outbox"),
      throttles: count("login_throttles", "scope = 'user'"),
    };
    expect(before.tokens).toBeGreaterThanOrEqual(2);

    const purged = await purgeExpired(store);
    expect(purged).toMatchObject({ sessions: 1, loginAttempts: 2, resetTokens: 1, outbox: 1, loginThrottles: 1 });
    expect(count("sessions", "user_id = ?", old.card.userId)).toBe(0);
    expect(count("login_attempts", "username = ?", old.card.cardNumber)).toBe(0);
    expect(count("password_reset_tokens", "user_id = ?", old.card.userId)).toBe(0);
    expect(count("outbox", "recipient = ?", old.email)).toBe(0);
    // What still counts is untouched: the live session works, its link and mail and records are there.
    expect((await live.client.query("profile.get")).status).toBe(200);
    expect(count("password_reset_tokens", "user_id = ?", live.card.userId)).toBe(1);
    expect(count("outbox", "recipient = ?", live.email)).toBe(1);
    expect(count("login_attempts", "username = ?", live.card.cardNumber)).toBe(1);
    // A second run finds nothing more.
    expect(await purgeExpired(store)).toEqual({ sessions: 0, loginAttempts: 0, loginThrottles: 0, resetTokens: 0, outbox: 0 });
  });

  test("a large backlog is purged batch by batch, every row of it", async () => {
    const now = Date.now();
    await store.write((tx) => {
      const insert = tx.sqlite.query("INSERT INTO outbox (recipient, subject, body_text, created_at) VALUES (?, 'gammel', 'x', ?)");
      for (let index = 0; index < 2_500; index += 1) insert.run(`backlog-${index}@example.dk`, now - RETENTION.outboxMs - 1_000);
    });
    const purged = await purgeExpired(store, now, 1_000);
    expect(purged.outbox).toBe(2_500);
    expect(count("outbox", "recipient LIKE 'backlog-%'")).toBe(0);
  });

  test("the running server purges on its own schedule (at start)", async () => {
    const { path, cleanup } = tempDatabasePath();
    try {
      const first = await startServer(testConfig({ databasePath: path, host: "127.0.0.1", port: 0 }));
      const card = await createCard(first.services.store, await createCanteen(first.services.store));
      // An expired session left behind when the server stops.
      await first.services.store.write((tx) =>
        tx.sqlite.query("INSERT INTO sessions (id, user_id, expires_at, absolute_expires_at, created_at) VALUES (?, ?, 1, 2, 0)").run("f".repeat(64), card.userId),
      );
      await first.stop();
      const restarted = await startServer(testConfig({ databasePath: path, host: "127.0.0.1", port: 0 }));
      try {
        const gone = () => restarted.services.store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?").get(card.userId) as { n: number }).n === 0);
        for (let wait = 0; wait < 50 && !gone(); wait += 1) await Bun.sleep(100);
        expect(gone()).toBe(true);
      } finally {
        await restarted.stop();
      }
    } finally {
      cleanup();
    }
  });
});

describe("quotas", () => {
  test(`at most ${MAX_SESSIONS_PER_USER} live sessions per user: the oldest ends (and is signed out) when another sign-in starts`, async () => {
    const first = await signedIn();
    const devices = [first.client];
    for (let login = 1; login < MAX_SESSIONS_PER_USER + 2; login += 1) {
      const device = new PortalClient(server.url);
      expect((await device.login(first.card.cardNumber, first.code)).data).toMatchObject({ ok: true });
      devices.push(device);
    }
    expect(count("sessions", "user_id = ?", first.card.userId)).toBe(MAX_SESSIONS_PER_USER);
    expect((await devices[0]!.query("profile.get")).error?.data.code).toBe("UNAUTHORIZED");
    expect((await devices[1]!.query("profile.get")).error?.data.code).toBe("UNAUTHORIZED");
    expect((await devices.at(-1)!.query("profile.get")).status).toBe(200);
    expect((await devices[2]!.query("profile.get")).status).toBe(200);
  }, 120_000);

  test(`at most ${MAX_OPEN_PAYMENTS_PER_USER} unpaid deposits per user; a retried one answers as before; a clear error beyond`, async () => {
    const { card, client, email } = await signedIn();
    const start = (key: string) => client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 10000, receiptEmail: email, acceptedTerms: true, idempotencyKey: key });
    // Twenty at once (a script, or a stuck button): three are opened.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, index) => start(`quota-key-${String(index).padStart(4, "0")}`)));
    const opened = answers.filter((answer) => answer.status === 200);
    expect(opened).toHaveLength(MAX_OPEN_PAYMENTS_PER_USER);
    const refused = answers.find((answer) => answer.status !== 200)!;
    expect(refused.status).toBe(429);
    expect(refused.error?.data.code).toBe("TOO_MANY_REQUESTS");
    expect(refused.error?.message).toBe(
      "Du har allerede 3 betalinger i gang. Gør en af dem færdig, eller prøv igen om en time. / You already have 3 payments in progress. Finish one of them, or try again in an hour.",
    );
    expect(count("payments", "user_id = ?", card.userId)).toBe(MAX_OPEN_PAYMENTS_PER_USER);
    // A retry of an opened one (same key) still gets its page.
    const firstKey = answers.findIndex((answer) => answer.status === 200);
    expect((await start(`quota-key-${String(firstKey).padStart(4, "0")}`)).data).toEqual(opened[0]!.data);
    // Unpaid ones older than the window no longer count.
    await store.write((tx) => tx.sqlite.query("UPDATE payments SET created_at = created_at - ? WHERE user_id = ?").run(OPEN_PAYMENT_WINDOW_MS, card.userId));
    expect((await start("quota-key-after-an-hour")).status).toBe(200);
  });
});
