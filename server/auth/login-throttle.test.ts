// Login throttling over real HTTP: strangers cannot lock rightful users out, TRUST_PROXY decides whose address counts,
// a card under guessing waits longer each time until its owner resets the password, and guesses add bounded rows.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, lastMailTo, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import { resetMailsSettled } from "../routers/auth.ts";
import { ADDRESS_THROTTLE_FAILURES, FREE_FAILURES } from "./login-limit.ts";
import type { Store } from "../../db/connect.ts";
import { clientAddressOf } from "../http.ts";
import { parseTrustProxy } from "../config.ts";

let madeUp = 0;
/** A card number no card has (the demo and test cards start with 1 and 4). */
const madeUpCard = () => `7${String((madeUp += 1)).padStart(13, "0")}`;

/** A portal client that names itself in X-Forwarded-For (believed only through TRUST_PROXY's trusted hops). */
class ForwardedClient extends PortalClient {
  constructor(
    baseUrl: string,
    readonly forwardedFor: () => string,
  ) {
    super(baseUrl);
  }

  override async mutate<T = any>(path: string, input?: unknown) {
    const headers: Record<string, string> = { "content-type": "application/json", "x-kantinekort-csrf": "1", "x-forwarded-for": this.forwardedFor() };
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(`${this.baseUrl}/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input) });
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    return { status: response.status, text, data: body.result?.data as T, error: body.error };
  }
}

const count = (store: Store, table: string) => store.read((tx) => (tx.sqlite.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
const addressRow = (store: Store, address: string) =>
  store.read((tx) => tx.sqlite.query("SELECT failures FROM login_throttles WHERE scope = 'address' AND subject = ?").get(address) as { failures: number } | null);

/** A "locked" answer naming a wait of about `seconds` (a second or two pass between the count and the answer). */
function expectWait(answer: { data: any }, seconds: number): void {
  expect(answer.data).toMatchObject({ ok: false, reason: "locked" });
  expect(answer.data.retryAfterSeconds).toBeGreaterThan(seconds - 5);
  expect(answer.data.retryAfterSeconds).toBeLessThanOrEqual(seconds);
}

/** `n` wrong logins at made-up card numbers, a few at a time. */
async function flood(client: PortalClient, n: number): Promise<void> {
  for (let sent = 0; sent < n; sent += 5) {
    const answers = await Promise.all(Array.from({ length: Math.min(5, n - sent) }, () => client.login(madeUpCard(), "000000")));
    for (const answer of answers) expect(answer.data).toMatchObject({ ok: false });
  }
}

describe("one address guessing cannot lock others out", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ seedDemo: true });
  });
  afterAll(async () => {
    await server.close();
  });

  test("30 failed logins at made-up cards from one address, then the administrator and a card sign in with their right passwords from it", async () => {
    const { store } = server.services;
    const rowsBefore = { throttles: count(store, "login_throttles"), attempts: count(store, "login_attempts") };
    const stranger = new PortalClient(server.url);
    await flood(stranger, 30);
    // The address is throttled (30 failures in its window) …
    expect(addressRow(store, "127.0.0.1")!.failures).toBeGreaterThanOrEqual(ADDRESS_THROTTLE_FAILURES);
    // … yet a correct password of an account that is not itself under attack is never refused.
    expect((await new PortalClient(server.url).mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
    expect((await new PortalClient(server.url).login("12345678901234", "482913")).data).toMatchObject({ ok: true });
    // 30 guesses at 30 made-up cards added one row (the address's), none per guess.
    expect(count(store, "login_throttles") - rowsBefore.throttles).toBe(1);
    // Only the two sign-ins at real accounts are in the attempt log.
    expect(count(store, "login_attempts") - rowsBefore.attempts).toBe(2);
    await flood(stranger, 10);
    expect(count(store, "login_throttles") - rowsBefore.throttles).toBe(1);
  }, 180_000);
});

describe("TRUST_PROXY decides whose address counts", () => {
  test("X-Forwarded-For is read from the right, over trusted hops only", () => {
    const chain = "6.6.6.6, 198.51.100.7";
    expect(clientAddressOf("10.0.0.1", chain, parseTrustProxy("false"))).toBe("10.0.0.1");
    expect(clientAddressOf("10.0.0.1", chain, parseTrustProxy("1"))).toBe("198.51.100.7");
    // What the client wrote itself (6.6.6.6) is believed only if another trusted hop vouches for it.
    expect(clientAddressOf("10.0.0.1", chain, parseTrustProxy("2"))).toBe("6.6.6.6");
    expect(clientAddressOf("10.0.0.1", chain, parseTrustProxy("10.0.0.1"))).toBe("198.51.100.7");
    expect(clientAddressOf("10.0.0.2", chain, parseTrustProxy("10.0.0.1"))).toBe("10.0.0.2");
    expect(clientAddressOf("10.0.0.1", "not-an-address, 198.51.100.7", parseTrustProxy("3"))).toBe("198.51.100.7");
    expect(clientAddressOf("10.0.0.1", null, parseTrustProxy("1"))).toBe("10.0.0.1");
    expect(() => parseTrustProxy("yes")).toThrow(/TRUST_PROXY/);
  });

  test("behind a trusted proxy two clients with their own X-Forwarded-For are judged apart", async () => {
    const server = await startTestServer({ trustProxy: { kind: "hops", hops: 1 } });
    try {
      const { store } = server.services;
      const fixture = await createCanteen(store);
      const card = await createCard(store, fixture, { code: "246810" });
      const stranger = new ForwardedClient(server.url, () => "198.51.100.1");
      await flood(stranger, ADDRESS_THROTTLE_FAILURES);
      expect(addressRow(store, "198.51.100.1")!.failures).toBe(ADDRESS_THROTTLE_FAILURES);
      expect(addressRow(store, "127.0.0.1")).toBeNull();
      // From the throttled address the card waits after two failures; from another client's address it is checked.
      expect((await stranger.login(card.cardNumber, "000000")).data).toEqual({ ok: false, reason: "invalid_credentials" });
      expectWait(await stranger.login(card.cardNumber, "000001"), 60);
      expect((await stranger.login(card.cardNumber, "246810")).data).toMatchObject({ ok: false, reason: "locked" });
      const pupil = new ForwardedClient(server.url, () => "198.51.100.2");
      expect((await pupil.login(card.cardNumber, "246810")).data).toMatchObject({ ok: true });
    } finally {
      await server.close();
    }
  }, 180_000);

  test("without a trusted proxy a client's own X-Forwarded-For is ignored: every guess counts against the connection's address", async () => {
    // The configured proxy is not the peer, so its header is not believed either.
    const server = await startTestServer({ trustProxy: { kind: "addresses", addresses: ["10.9.9.9"] } });
    try {
      const { store } = server.services;
      let spoofed = 0;
      const liar = new ForwardedClient(server.url, () => `203.0.113.${(spoofed += 1) % 250}`);
      await flood(liar, ADDRESS_THROTTLE_FAILURES);
      expect(addressRow(store, "127.0.0.1")!.failures).toBe(ADDRESS_THROTTLE_FAILURES);
      expect(count(store, "login_throttles")).toBe(1);
      const card = await createCard(store, await createCanteen(store), { code: "112233" });
      await liar.login(card.cardNumber, "000000");
      expectWait(await liar.login(card.cardNumber, "000001"), 60);
    } finally {
      await server.close();
    }
  }, 180_000);
});

describe("a card under guessing", () => {
  let server: TestServer;
  let fixture: Fixture;
  beforeAll(async () => {
    server = await startTestServer();
    fixture = await createCanteen(server.services.store);
  });
  afterAll(async () => {
    await server.close();
  });

  /** Moves the account's last failure into the past, as if its wait had passed. */
  const waitOut = (store: Store, userId: number, seconds: number) =>
    store.write((tx) => tx.sqlite.query("UPDATE login_throttles SET last_failure_at = last_failure_at - ? WHERE scope = 'user' AND subject = ?").run(seconds * 1000, String(userId)));

  test("gets a growing delay, not a lock; its owner's password reset lifts it at once", async () => {
    const { store } = server.services;
    const email = `owner-${crypto.randomUUID()}@example.dk`;
    const card = await createCard(store, fixture, { code: "975310", email });
    const thief = new PortalClient(server.url);
    for (let attempt = 1; attempt < FREE_FAILURES; attempt += 1) expect((await thief.login(card.cardNumber, "000000")).data).toEqual({ ok: false, reason: "invalid_credentials" });
    expectWait(await thief.login(card.cardNumber, "000000"), 60);
    // During the wait even the right code is not checked (the owner is slowed down too, never locked for good).
    expect((await new PortalClient(server.url).login(card.cardNumber, "975310")).data).toMatchObject({ ok: false, reason: "locked" });
    const waits: number[] = [];
    for (let round = 0; round < 3; round += 1) {
      await waitOut(store, card.userId, 3600);
      const answer = await thief.login(card.cardNumber, "000000");
      expect(answer.data).toMatchObject({ ok: false, reason: "locked" });
      waits.push(Math.round(answer.data.retryAfterSeconds / 10) * 10);
    }
    expect(waits).toEqual([120, 240, 480]);
    // The owner asks for a reset link, sets a new password and is in at once.
    await new PortalClient(server.url).mutate("auth.requestPasswordReset", { email });
    await resetMailsSettled();
    const token = /token=([a-z2-7]+)/.exec(lastMailTo(store, email)!.body)![1]!;
    expect((await new PortalClient(server.url).mutate("auth.resetPassword", { token, newPassword: "Efteraar2026", repeatPassword: "Efteraar2026" })).data).toEqual({ ok: true });
    expect((await new PortalClient(server.url).login(card.cardNumber, "Efteraar2026")).data).toMatchObject({ ok: true });
  }, 120_000);

  test("guesses at the current password in Skift adgangskode are limited the same way", async () => {
    const { store } = server.services;
    const card = await createCard(store, fixture, { code: "864200" });
    const holder = new PortalClient(server.url);
    expect((await holder.login(card.cardNumber, "864200")).data).toMatchObject({ ok: true });
    const change = (currentPassword: string) => holder.mutate("auth.changePassword", { currentPassword, newPassword: "Vinter2026x", repeatPassword: "Vinter2026x" });
    for (let attempt = 1; attempt < FREE_FAILURES; attempt += 1) expect((await change(`wrong-${attempt}`)).data).toEqual({ ok: false, reason: "wrong_password" });
    expectWait(await change("wrong-last"), 60);
    // The right current password waits too, and the guesses count against the account's sign-in as well.
    expect((await change("864200")).data).toMatchObject({ ok: false, reason: "locked" });
    expect((await new PortalClient(server.url).login(card.cardNumber, "864200")).data).toMatchObject({ ok: false, reason: "locked" });
    await waitOut(store, card.userId, 60);
    expect((await change("864200")).data).toEqual({ ok: true });
    // The change succeeded with the right password, so the account starts over.
    expect((await new PortalClient(server.url).login(card.cardNumber, "Vinter2026x")).data).toMatchObject({ ok: true });
  }, 120_000);
});
