// Portal security over real HTTP beyond the main suite: cookie flags, CSRF on login, session rotation and expiry, CPR in no response, outbox page.
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { MAX_RESETS_PER_ADDRESS, resetMailsSettled } from "./auth.ts";
import { appRouter } from "./_app.ts";
import { createCallerFactory } from "../trpc.ts";
import { until } from "../testing/sse-client.ts";
import { callerFor, createCanteen, createCard, createTestStore, lastMailTo, PortalClient, servicesFor, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";
import { sessionIdOf } from "../auth/session.ts";
import { FREE_FAILURES } from "../auth/login-limit.ts";
import { createHttpHandler } from "../http.ts";
import { spreadsheetSafe } from "../csv.ts";
import { postTransfer } from "../ledger/ledger.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;

beforeAll(async () => {
  server = await startTestServer({ publicUrl: "https://kantine.example.dk" });
  store = server.services.store;
  canteen = await createCanteen(store);
});
afterAll(async () => {
  await server.close();
});

let codeCounter = 200000;
async function newCard(options: { name?: string; email?: string; balanceOre?: number } = {}) {
  const code = String(++codeCounter);
  const card = await createCard(store, canteen, { code, name: options.name ?? "Cecilie Carlsen", email: options.email ?? `${crypto.randomUUID()}@example.dk`, balanceOre: options.balanceOre ?? 2_000 });
  return { card, code };
}

function loginRequest(cardNumber: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", ...headers },
    body: JSON.stringify({ cardNumber, password }),
  });
}

const countRows = (table: string) => store.read((tx) => (tx.sqlite.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);

describe("the session cookie", () => {
  test("login sets kk_session HttpOnly, SameSite=Lax, Path=/; Secure when the request came over HTTPS", async () => {
    const { card, code } = await newCard();
    const plain = (await loginRequest(card.cardNumber, code)).headers.getSetCookie();
    expect(plain).toHaveLength(1);
    expect(plain[0]).toMatch(/^kk_session=[a-z2-7]{32}; /);
    for (const flag of ["Path=/", "HttpOnly", "SameSite=Lax"]) expect(plain[0]).toContain(flag);
    expect(plain[0]).not.toContain("Secure");
    const proxied = (await loginRequest(card.cardNumber, code, { "x-forwarded-proto": "https" })).headers.getSetCookie();
    expect(proxied[0]).toMatch(/; Secure/);
  });

  test("login without the CSRF header is refused before the password is even checked", async () => {
    const { card, code } = await newCard();
    const attemptsBefore = countRows("login_attempts");
    const response = await fetch(`${server.url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cardNumber: card.cardNumber, password: code }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(countRows("login_attempts")).toBe(attemptsBefore);
  });

  test("a burst of parallel guesses cannot get past the account's free tries while hashes are being checked", async () => {
    const { card, code } = await newCard();
    const guesses = await Promise.all(Array.from({ length: 40 }, (_, index) => new PortalClient(server.url).login(card.cardNumber, String(900000 + index))));
    const answered = guesses.map((guess) => guess.data.reason);
    // Each guess is counted before its hash is checked, so no more than the free tries get checked, however many run at once.
    const recorded = store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n, SUM(success) AS ok FROM login_attempts WHERE username = ?").get(card.cardNumber) as { n: number; ok: number });
    expect(recorded.n).toBeGreaterThanOrEqual(1);
    expect(recorded.n).toBeLessThanOrEqual(FREE_FAILURES);
    expect(recorded.ok).toBe(0);
    expect(answered.filter((reason) => reason === "invalid_credentials").length).toBeLessThan(FREE_FAILURES);
    expect(answered.filter((reason) => reason === "locked").length).toBeGreaterThanOrEqual(40 - FREE_FAILURES);
    // The refused guesses were never checked and add no rows; the right code now waits too.
    expect((await new PortalClient(server.url).login(card.cardNumber, code)).data).toMatchObject({ ok: false, reason: "locked" });
    expect(store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM login_attempts WHERE username = ?").get(card.cardNumber) as { n: number }).n)).toBe(recorded.n);
  });

  test("a successful login is recorded as one successful attempt", async () => {
    const { card, code } = await newCard();
    await new PortalClient(server.url).login(card.cardNumber, code);
    expect(store.read((tx) => tx.sqlite.query("SELECT success, client_address FROM login_attempts WHERE username = ?").all(card.cardNumber))).toEqual([{ success: 1, client_address: "127.0.0.1" }]);
  });

  test("every login issues a new token and ends the session the browser brought along", async () => {
    const { card, code } = await newCard();
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, code);
    const first = client.cookie!;
    await client.login(card.cardNumber, code);
    expect(client.cookie).not.toBe(first);
    const stale = new PortalClient(server.url);
    stale.cookie = first;
    expect((await stale.query("profile.get")).error?.data.code).toBe("UNAUTHORIZED");
    expect((await client.query("profile.get")).status).toBe(200);
  });

  test("a session used in its second half is extended (new cookie expiry); past the absolute limit it is dead and the cookie cleared", async () => {
    const { card, code } = await newCard();
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, code);
    const id = sessionIdOf(client.cookie!.split("=")[1]!);
    const soon = Date.now() + 3 * 86_400_000;
    await store.write((tx) => tx.sqlite.query("UPDATE sessions SET expires_at = ? WHERE id = ?").run(soon, id));
    const response = await fetch(`${server.url}/trpc/profile.get`, { headers: { cookie: client.cookie! } });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()[0]).toMatch(/^kk_session=[a-z2-7]{32};.*Expires=/);
    const extended = store.read((tx) => tx.sqlite.query("SELECT expires_at FROM sessions WHERE id = ?").get(id) as { expires_at: number });
    expect(extended.expires_at).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    await store.write((tx) => tx.sqlite.query("UPDATE sessions SET absolute_expires_at = ? WHERE id = ?").run(Date.now() - 1, id));
    const dead = await fetch(`${server.url}/trpc/profile.get`, { headers: { cookie: client.cookie! } });
    expect(dead.status).toBe(401);
    expect(dead.headers.getSetCookie()[0]).toMatch(/^kk_session=; .*Max-Age=0/);
  });

  test("mutations without a session are UNAUTHORIZED and change nothing", async () => {
    const { card } = await newCard();
    const anonymous = new PortalClient(server.url);
    for (const [path, input] of [
      ["auth.logout", undefined],
      ["auth.changePassword", { currentPassword: "x", newPassword: "Sommer2026", repeatPassword: "Sommer2026" }],
      ["accounts.block", { accountId: card.accountId }],
      ["profile.update", { name: "X", email: "x@example.dk", limits: { dailyOre: 0, weeklyOre: 0, monthlyOre: 0 } }],
    ] as const) {
      expect((await anonymous.mutate(path, input)).error?.data.code).toBe("UNAUTHORIZED");
    }
    const row = store.read((tx) => tx.sqlite.query("SELECT status, limit_daily_ore FROM cards WHERE id = (SELECT id FROM cards WHERE account_id = ?)").get(card.accountId));
    expect(row).toEqual({ status: "active", limit_daily_ore: null });
  });
});

describe("CPR", () => {
  test("after saving, the full CPR number appears in no response body of any procedure or route", async () => {
    const { card, code } = await newCard({ email: "cpr-owner@example.dk" });
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, code);
    const cpr = "0703881357";
    const saved = await client.mutate("profile.update", { name: "Cecilie Carlsen", email: "cpr-owner@example.dk", cpr: "070388-1357", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } });
    expect(saved.data.cprMasked).toBe("070388-XXXX");
    const now = new Date();
    const bodies = [
      saved.text,
      (await client.mutate("profile.update", { name: "Cecilie Carlsen", email: "cpr-owner@example.dk", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } })).text,
      (await client.query("profile.get")).text,
      (await client.query("auth.me")).text,
      (await client.query("accounts.list")).text,
      (await client.query("statement.months", { accountId: card.accountId })).text,
      (await client.query("statement.month", { accountId: card.accountId, year: now.getFullYear(), month: now.getMonth() + 1 })).text,
      (await client.login(card.cardNumber, code)).text,
      (await client.mutate("support.create", { name: "Cecilie", email: "cpr-owner@example.dk", accountId: card.accountId, description: "Hvad er mit CPR-nummer?" })).text,
      (await client.mutate("accounts.block", { accountId: card.accountId })).text,
      await (await client.get(`/statement.csv?accountId=${card.accountId}&year=${now.getFullYear()}&month=${now.getMonth() + 1}`)).text(),
      await (await fetch(`${server.url}/dev/outbox`)).text(),
    ];
    for (const body of bodies) {
      expect(body.length).toBeGreaterThan(0);
      expect(body.replace(/\D/g, " ")).not.toMatch(/0703881357|070388 1357/);
    }
    // Kept unchanged when the update leaves the CPR out.
    expect((await client.query("profile.get")).data.cprMasked).toBe("070388-XXXX");
    const stored = store.read((tx) => (tx.sqlite.query("SELECT cpr_encrypted FROM users WHERE id = ?").get(card.userId) as { cpr_encrypted: string }).cpr_encrypted);
    expect(stored).not.toContain(cpr);
    expect(server.services.cpr.decrypt(stored)).toBe(cpr);
  });
});

describe("statement CSV", () => {
  test("a line text that a spreadsheet would run as a formula is neutralised; amounts stay numbers", async () => {
    const { card, code } = await newCard({ balanceOre: 0 });
    await store.write((tx) => {
      const result = postTransfer(tx, { id: `formula-${card.accountId}`, debitAccountId: canteen.clearingAccountId, creditAccountId: card.accountId, amountOre: 1_250, kind: "deposit", description: '=HYPERLINK("https://evil.example","Klik")' });
      if (result.status !== "posted") throw new Error("deposit failed");
    });
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, code);
    const now = new Date();
    const csv = await (await client.get(`/statement.csv?accountId=${card.accountId}&year=${now.getFullYear()}&month=${now.getMonth() + 1}`)).text();
    expect(csv).toContain(`"'=HYPERLINK(""https://evil.example"",""Klik"")";12,50;12,50`);
    expect(spreadsheetSafe("-5")).toBe("'-5");
    expect(spreadsheetSafe("Kantinen: Dagens ret")).toBe("Kantinen: Dagens ret");
  });
});

describe("mail", () => {
  test("reset links use PUBLIC_URL, not the request's Host; e-mail matching ignores case", async () => {
    const { card } = await newCard({ email: "Mixed.Case@example.dk" });
    const response = await fetch(`${server.url}/trpc/auth.requestPasswordReset`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", "x-forwarded-host": "evil.example" },
      body: JSON.stringify({ email: "mixed.case@example.dk" }),
    });
    await resetMailsSettled();
    expect(response.status).toBe(200);
    const mail = lastMailTo(store, "mixed.case@example.dk");
    expect(mail?.subject).toBe("Nulstil adgangskode");
    expect(mail?.body).toMatch(/https:\/\/kantine\.example\.dk\/nulstil-adgangskode\?token=[a-z2-7]{32}/);
    expect(mail?.body).not.toContain("evil.example");
    // The reset token is no password: it does not log in.
    const token = /token=([a-z2-7]+)/.exec(mail!.body)![1]!;
    expect((await new PortalClient(server.url).login(card.cardNumber, token)).data).toEqual({ ok: false, reason: "invalid_credentials" });
  });

  test("a new password voids every other outstanding reset link of the user", async () => {
    const email = `links-${crypto.randomUUID()}@example.dk`;
    const { card, code } = await newCard({ email });
    const anonymous = new PortalClient(server.url);
    const tokens: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      await anonymous.mutate("auth.requestPasswordReset", { email });
      await resetMailsSettled();
      tokens.push(/token=([a-z2-7]+)/.exec(lastMailTo(store, email)!.body)![1]!);
    }
    expect(new Set(tokens).size).toBe(3);
    expect((await anonymous.mutate("auth.resetPassword", { token: tokens[1], newPassword: "Efterår2026", repeatPassword: "Efterår2026" })).data).toEqual({ ok: true });
    for (const token of [tokens[0], tokens[2]]) {
      expect((await anonymous.mutate("auth.resetPassword", { token, newPassword: "Vinter2027", repeatPassword: "Vinter2027" })).data).toEqual({ ok: false, reason: "invalid_or_expired" });
    }
    // The same after "Skift adgangskode": a link requested before the change no longer works.
    await anonymous.mutate("auth.requestPasswordReset", { email });
    await resetMailsSettled();
    const beforeChange = /token=([a-z2-7]+)/.exec(lastMailTo(store, email)!.body)![1]!;
    const client = new PortalClient(server.url);
    expect((await client.login(card.cardNumber, "Efterår2026")).data).toMatchObject({ ok: true });
    expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: false });
    expect((await client.mutate("auth.changePassword", { currentPassword: "Efterår2026", newPassword: "Forår2027x", repeatPassword: "Forår2027x" })).data).toEqual({ ok: true });
    expect((await anonymous.mutate("auth.resetPassword", { token: beforeChange, newPassword: "Vinter2027", repeatPassword: "Vinter2027" })).data).toEqual({ ok: false, reason: "invalid_or_expired" });
    expect((await client.query("auth.me")).data).toMatchObject({ userId: card.userId });
  });

  test("the outbox page escapes what users typed", async () => {
    // The reset mail greets the user by the name they typed in Brugerinfo: the one user-typed text a mail carries.
    await newCard({ email: "escape@example.dk", name: "<script>alert('x')</script><img src=x onerror=alert(1)>" });
    await new PortalClient(server.url).mutate("auth.requestPasswordReset", { email: "escape@example.dk" });
    await resetMailsSettled();
    const page = await (await fetch(`${server.url}/dev/outbox`)).text();
    expect(page).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(page).not.toContain("<script>");
    expect(page).not.toContain("<img src=x");
  });

  test("the outbox page does not exist in production", async () => {
    // The HTTP handler alone, with production settings: starting a whole production server needs every production secret.
    const handler = createHttpHandler({ services: { ...server.services, config: { ...server.services.config, production: true } }, clientDist: "./client/dist" });
    expect((await handler(new Request("http://127.0.0.1/dev/outbox"))).status).toBe(404);
    expect((await createHttpHandler({ services: server.services, clientDist: "./client/dist", peerAddress: () => "127.0.0.1" })(new Request("http://127.0.0.1/dev/outbox"))).status).toBe(200);
  });
});

describe("password reset abuse", () => {
  test("Glemt adgangskode answers before any lookup or mail is done, so a known address takes no longer than an unknown one", async () => {
    const testStore = await createTestStore();
    try {
      const fixture = await createCanteen(testStore.store);
      await createCard(testStore.store, fixture, { email: "known@example.dk", name: "Kendt" });
      // A mailer that never finishes: had the answer waited for the mail, the call below would never return.
      let release = () => {};
      const sent: string[] = [];
      const mailer = {
        send: (message: { to: string }) =>
          new Promise<void>((resolve) => {
            sent.push(message.to);
            release = resolve;
          }),
      };
      const services = { ...servicesFor(testStore.store), mailer };
      const caller = callerFor(services, { "x-kantinekort-csrf": "1" });
      expect(await caller.auth.requestPasswordReset({ email: "known@example.dk" })).toEqual({ ok: true });
      expect(await caller.auth.requestPasswordReset({ email: "unknown@example.dk" })).toEqual({ ok: true });
      // The work goes on after the answer and does send the mail.
      await until(() => sent.length === 1, "the mail to be handed to the mailer");
      expect(sent).toEqual(["known@example.dk"]);
      release();
      await resetMailsSettled();
    } finally {
      await testStore.close();
    }
  });

  test("a made-up reset token is refused before the new password is hashed, and one address is limited to 10 tries per 15 minutes", async () => {
    const testStore = await createTestStore();
    const hash = vi.spyOn(Bun.password, "hash");
    try {
      const caller = callerFor(servicesFor(testStore.store), { "x-kantinekort-csrf": "1" });
      const input = { token: "a".repeat(32), newPassword: "Sommer2026", repeatPassword: "Sommer2026" };
      for (let attempt = 0; attempt < MAX_RESETS_PER_ADDRESS; attempt += 1) expect(await caller.auth.resetPassword(input)).toEqual({ ok: false, reason: "invalid_or_expired" });
      expect(hash).not.toHaveBeenCalled();
      const limited = await caller.auth.resetPassword(input);
      expect(limited).toMatchObject({ ok: false, reason: "rate_limited" });
      expect((limited as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(14 * 60);
      // Another address is not affected.
      const elsewhere = createCallerFactory(appRouter)({ services: servicesFor(testStore.store), headers: new Headers({ "x-kantinekort-csrf": "1" }), clientAddress: "192.0.2.7" });
      expect(await elsewhere.auth.resetPassword(input)).toEqual({ ok: false, reason: "invalid_or_expired" });
    } finally {
      hash.mockRestore();
      await testStore.close();
    }
  });
});
