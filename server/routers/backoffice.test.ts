// Back office over real HTTP: staff roles, cards and class lists, devices, payouts, corrections, reports, and the audit log.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PortalClient, startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/ledger.ts";
import { copenhagenDate } from "../ledger/calendar.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;
let cardholder: PortalClient;

async function staffLogin(email: string, password: string) {
  const client = new PortalClient(server.url);
  const response = await client.mutate("backoffice.login", { email, password });
  expect(response.data).toMatchObject({ ok: true });
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = await staffLogin("admin@kantinekort.local", "Admin2026!");
  staff = await staffLogin("kantine@kantinekort.local", "Kantine2026!");
  cardholder = new PortalClient(server.url);
  await cardholder.login("12345678901234", "482913");
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

function sale(key: string, cardNumber: string, amountOre: number) {
  return fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ saleId: `bo-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
}

describe("authorization", () => {
  test("a cardholder session cannot call any back-office procedure; staff cannot do administrator-only actions", async () => {
    const before = tableCounts(server.services.store);
    const calls: Array<[string, "query" | "mutate", unknown]> = [
      ["backoffice.me", "query", undefined],
      ["backoffice.searchCards", "query", { query: "" }],
      ["backoffice.issueCard", "mutate", { name: "X" }],
      ["backoffice.setCardStatus", "mutate", { cardId: 1, status: "blocked" }],
      ["backoffice.createDevice", "mutate", { kind: "terminal", canteenId: 1, name: "X" }],
      ["backoffice.decidePayout", "mutate", { payoutId: 1, status: "paid" }],
      ["backoffice.correct", "mutate", { accountId: 1, amountOre: 100, direction: "credit", reason: "Forsøg", idempotencyKey: "correction-0001" }],
      ["backoffice.report", "query", { day: "2026-01-01" }],
      ["backoffice.audit", "query", undefined],
    ];
    for (const [path, kind, input] of calls) {
      const response = kind === "query" ? await cardholder.query(path, input) : await cardholder.mutate(path, input);
      expect(response.error?.data.code, path).toBe("FORBIDDEN");
    }
    for (const [path, kind, input] of calls.filter(([path]) => ["backoffice.createDevice", "backoffice.decidePayout", "backoffice.correct", "backoffice.audit"].includes(path))) {
      const response = kind === "query" ? await staff.query(path, input) : await staff.mutate(path, input);
      expect(response.error?.data.code, path).toBe("FORBIDDEN");
    }
    expect(tableCounts(server.services.store)).toEqual(before);
    // And a staff session is not a cardholder session.
    expect((await staff.query("accounts.list")).error?.data.code).toBe("UNAUTHORIZED");
  });

  test("wrong staff passwords are refused and rate-limited", async () => {
    const client = new PortalClient(server.url);
    for (let attempt = 0; attempt < 10; attempt += 1) await client.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "wrong" });
    expect((await client.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "Kantine2026!" })).data).toMatchObject({ ok: false, reason: "locked" });
  });
});

describe("cards", () => {
  test("issue a card: the new cardholder logs in with the shown code; block, replace", async () => {
    const issued = await staff.mutate("backoffice.issueCard", { name: "Nina Nielsen", school: "Demo Skole", className: "2A" });
    expect(issued.data.verificationCode).toMatch(/^\d{6}$/);
    const nina = new PortalClient(server.url);
    expect((await nina.login(issued.data.cardNumber, issued.data.verificationCode)).data).toMatchObject({ ok: true, me: { name: "Nina Nielsen" } });
    expect((await staff.query("backoffice.searchCards", { query: "Nina" })).data).toMatchObject([{ cardNumber: issued.data.cardNumber, className: "2A" }]);
    expect((await staff.mutate("backoffice.setSchooling", { userId: issued.data.userId, school: "Demo Skole", className: "3A", track: "C" })).data).toEqual({ ok: true });
    expect((await nina.query("profile.get")).data).toMatchObject({ school: "Demo Skole", className: "3A", track: "C" });
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: issued.data.cardId, status: "blocked" })).data).toEqual({ ok: true });
    const replaced = await staff.mutate("backoffice.replaceCard", { cardId: issued.data.cardId });
    expect(replaced.data.cardNumber).not.toBe(issued.data.cardNumber);
    expect((await new PortalClient(server.url).login(replaced.data.cardNumber, replaced.data.verificationCode)).data).toMatchObject({ ok: true });
  });

  test("a class list with one bad row writes nothing and names the row; a good one issues every card", async () => {
    const before = tableCounts(server.services.store);
    const bad = await staff.mutate("backoffice.importCards", { csv: "navn;e-mail;klasse\nAnna;anna@example.dk;3A\nBo;ikke-en-mail;3A\n", commit: true });
    expect(bad.data).toMatchObject({ ok: false, errors: [{ line: 3 }], issued: [] });
    expect(tableCounts(server.services.store)).toEqual(before);
    const good = await staff.mutate("backoffice.importCards", { csv: "navn;e-mail;klasse\nAnna;anna@example.dk;3A\nBo;bo@example.dk;3A\n", commit: true });
    expect(good.data.issued).toHaveLength(2);
  });
});

describe("devices, payouts, corrections, reports", () => {
  test("a new terminal key sells; revoked, it fails", async () => {
    const me = (await admin.query("backoffice.me")).data;
    const created = await admin.mutate("backoffice.createDevice", { kind: "terminal", canteenId: me.canteens[0].canteenId, name: "Kasse 2" });
    expect(created.data.secret).toMatch(/^pos-/);
    expect((await sale(created.data.secret, "12345678901234", 100)).status).toBe(200);
    const devices = (await admin.query("backoffice.devices")).data as Array<{ id: number; kind: string; name: string; revoked: boolean }>;
    expect(devices).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.data.id, kind: "terminal", name: "Kasse 2", revoked: false }), expect.objectContaining({ kind: "screen" })]));
    expect((await admin.mutate("backoffice.revokeDevice", { kind: "terminal", id: created.data.id })).data).toEqual({ ok: true });
    expect((await sale(created.data.secret, "12345678901234", 100)).status).toBe(401);
    const stored = server.services.store.read((tx) => JSON.stringify(tx.sqlite.query("SELECT * FROM terminals").all()));
    expect(stored).not.toContain(created.data.secret);
  });

  test("approve one payout and reject another (money returned once)", async () => {
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number; balanceOre: number }>)[0]!.accountId;
    const balance = () => server.services.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);
    const start = balance();
    for (const key of ["bo-payout-0001", "bo-payout-0002"]) {
      await cardholder.mutate("payouts.request", { accountId, name: "A", registrationNumber: "1234", bankAccountNumber: "1234567890", amountOre: 1_000, idempotencyKey: key });
    }
    expect(balance()).toBe(start - 2_000);
    const pending = (await admin.query("backoffice.payouts", { status: "pending" })).data as Array<{ payoutId: number; bankAccountNumber: string }>;
    expect(pending).toHaveLength(2);
    expect(pending[0]!.bankAccountNumber).toBe("1234567890");
    expect((await admin.query("backoffice.payoutsCsv")).data).toContain("1234567890");
    await admin.mutate("backoffice.decidePayout", { payoutId: pending[0]!.payoutId, status: "paid" });
    await admin.mutate("backoffice.decidePayout", { payoutId: pending[1]!.payoutId, status: "rejected", reason: "Forkert konto" });
    await admin.mutate("backoffice.decidePayout", { payoutId: pending[1]!.payoutId, status: "rejected", reason: "Igen" });
    expect(balance()).toBe(start - 1_000);
    const statuses = ((await cardholder.query("payouts.list")).data as Array<{ status: string }>).map((payout) => payout.status).sort();
    expect(statuses).toEqual(["paid", "rejected"]);
  });

  test("a correction needs a reason, shows in the cardholder's statement, and everything is in the audit log", async () => {
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 500, direction: "credit", reason: "", idempotencyKey: "correction-0002" })).status).toBe(400);
    expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 500, direction: "credit", reason: "Fejl ved kassen", idempotencyKey: "correction-0003" })).data).toEqual({ ok: true });
    const now = new Date();
    const month = (await cardholder.query("statement.month", { accountId, year: now.getFullYear(), month: now.getMonth() + 1 })).data as { lines: Array<{ text: string }> };
    expect(month.lines.map((line) => line.text)).toContain("Korrektion: Fejl ved kassen");
    const report = (await staff.query("backoffice.report", { day: copenhagenDate(Date.now()) })).data;
    expect(report.ledger.ok).toBe(true);
    expect(report.salesByCanteen[0].canteen).toBe("Kantinen");
    const actions = ((await admin.query("backoffice.audit")).data as Array<{ action: string; actor: string }>).map((entry) => entry.action);
    for (const action of ["card.issue", "cardholder.schooling", "card.block", "card.replace", "cards.import", "terminal.create", "terminal.revoke", "payout.paid", "payout.rejected", "ledger.correction"]) {
      expect(actions, action).toContain(action);
    }
  });
});
