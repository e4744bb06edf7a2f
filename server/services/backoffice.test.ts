// Back-office rules: issuing and replacing cards, all-or-nothing class-list import, corrections, reports, audit log.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../db/tx.ts";
import { checkLedger } from "../ledger/check.ts";
import { createCanteen, createCard, createTestStore, tableCounts, type Fixture, type TestStore } from "../testing/harness.ts";
import { createSession, generateSessionToken } from "../auth/session.ts";
import { migrateDown, migrateToLatest } from "../../db/migrate.ts";
import { findLoginCandidate } from "./portal.ts";
import { createFirstAdministrator, createStaffUser, disableStaff, setStaffRole } from "./backoffice/staff.ts";
import { issueCard, newVerificationCode, replaceCard, searchCardholders, setCardStatus } from "./backoffice/cards.ts";
import { importClassList, MAX_IMPORT_ROWS, parseClassList } from "./backoffice/class-list.ts";
import { dailyReport } from "./backoffice/reports.ts";
import { postCorrection } from "./backoffice/corrections.ts";
import { listAudit } from "./backoffice/audit.ts";
import type { Actor } from "./backoffice/shared.ts";
import { copenhagenDate } from "../../common/calendar.ts";
import { toCsv } from "../csv.ts";

let testStore: TestStore;
let canteen: Fixture;
let actor: Actor;
const write = <T,>(fn: (tx: WriteTx) => T): Promise<T> => testStore.store.write(fn);

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
  const userId = await write((tx) => Number(tx.sqlite.query("INSERT INTO users (tenant_id, role, name, email, created_at) VALUES (?, 'admin', 'Admin', 'admin@example.dk', 0)").run(canteen.tenantId).lastInsertRowid));
  actor = { userId, tenantId: canteen.tenantId, role: "admin", label: "admin@example.dk" };
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

describe("cards", () => {
  test("issue, search, block and replace a card keeping account and balance", async () => {
    const code = newVerificationCode();
    expect(code).toMatch(/^\d{6}$/);
    const hash = await Bun.password.hash(code, { algorithm: "argon2id" });
    const issued = await write((tx) => issueCard(tx, actor, { name: "Ida Jensen", school: "Nørre Skole", className: "3A" }, hash));
    expect(issued.cardNumber).toMatch(/^[1-9]\d{13}$/);
    const found = testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "3A"));
    expect(found).toMatchObject([{ name: "Ida Jensen", cardNumber: issued.cardNumber, status: "active", balanceOre: 0 }]);
    expect(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId + 1, "Ida"))).toEqual([]);
    expect(await write((tx) => setCardStatus(tx, actor, issued.cardId, "blocked"))).toMatchObject({ ok: true, changed: true });
    const replacement = await write((tx) => replaceCard(tx, actor, issued.cardId, hash));
    if (!replacement.ok) throw new Error("the replacement was refused");
    expect(replacement.cardNumber).not.toBe(issued.cardNumber);
    const cards = testStore.store.read((tx) => tx.sqlite.query("SELECT card_number, status, account_id FROM cards WHERE user_id = ? ORDER BY id").all(issued.userId));
    expect(cards).toEqual([
      { card_number: issued.cardNumber, status: "blocked", account_id: issued.accountId },
      { card_number: replacement.cardNumber, status: "active", account_id: issued.accountId },
    ]);
    expect(testStore.store.read((tx) => listAudit(tx, canteen.tenantId)).map((entry) => entry.action)).toEqual(["card.replace", "card.block", "card.issue"]);
  });

  test("a replaced card never logs in again and its holder's sessions end; a blocked card still logs in", async () => {
    const issued = await write((tx) => issueCard(tx, actor, { name: "Ida" }, "code-hash"));
    const sessionsOf = (userId: number) => testStore.store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?").get(userId) as { n: number }).n);
    await write((tx) => createSession(tx, generateSessionToken(), issued.userId));
    await write((tx) => createSession(tx, generateSessionToken(), issued.userId));
    // Blocking (the portal's "Spær kort") keeps the login, so the cardholder still sees Konti.
    await write((tx) => setCardStatus(tx, actor, issued.cardId, "blocked"));
    expect(testStore.store.read((tx) => findLoginCandidate(tx, issued.cardNumber))).toMatchObject({ userId: issued.userId });
    expect(sessionsOf(issued.userId)).toBe(2);
    const replacement = await write((tx) => replaceCard(tx, actor, issued.cardId, "new-code-hash"));
    if (!replacement.ok) throw new Error("the replacement was refused");
    expect(sessionsOf(issued.userId)).toBe(0);
    expect(testStore.store.read((tx) => findLoginCandidate(tx, issued.cardNumber))).toBeNull();
    expect(testStore.store.read((tx) => findLoginCandidate(tx, replacement.cardNumber))).toEqual({ userId: issued.userId, passwordHash: null, verificationCodeHash: "new-code-hash" });
  });

  test("a replaced card cannot be unblocked, blocked or replaced again", async () => {
    const issued = await write((tx) => issueCard(tx, actor, { name: "Ida" }, "code-hash"));
    expect(await write((tx) => replaceCard(tx, actor, issued.cardId, "hash"))).toMatchObject({ ok: true });
    const before = tableCounts(testStore.store);
    expect(await write((tx) => setCardStatus(tx, actor, issued.cardId, "active"))).toEqual({ ok: false, reason: "card_replaced" });
    expect(await write((tx) => setCardStatus(tx, actor, issued.cardId, "blocked"))).toEqual({ ok: false, reason: "card_replaced" });
    expect(await write((tx) => replaceCard(tx, actor, issued.cardId, "hash"))).toEqual({ ok: false, reason: "card_replaced" });
    expect(tableCounts(testStore.store)).toEqual(before);
    expect(testStore.store.read((tx) => tx.sqlite.query("SELECT status FROM cards WHERE id = ?").get(issued.cardId))).toEqual({ status: "blocked" });
  });

  test("a card of another tenant cannot be blocked or replaced", async () => {
    const other = await createCanteen(testStore.store, "Anden");
    const card = await createCard(testStore.store, other);
    const cardId = testStore.store.read((tx) => (tx.sqlite.query("SELECT id FROM cards WHERE card_number = ?").get(card.cardNumber) as { id: number }).id);
    expect(await write((tx) => setCardStatus(tx, actor, cardId, "blocked"))).toEqual({ ok: false, reason: "card_not_found" });
    expect(await write((tx) => replaceCard(tx, actor, cardId, "hash"))).toEqual({ ok: false, reason: "card_not_found" });
  });
});

describe("class-list import", () => {
  test("a valid file creates every card", async () => {
    const parsed = parseClassList("navn;e-mail;skole;klasse;spor\nAnna;anna@example.dk;Nørre Skole;1;B\nBo;;Nørre Skole;1;B\n");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const issued = await write((tx) => importClassList(tx, actor, parsed.rows, parsed.rows.map(() => "hash")));
    expect(issued).toHaveLength(2);
    expect(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "Nørre")).map((row) => row.name)).toEqual(["Anna", "Bo"]);
  });

  test("one bad row rejects the file, names the line, and writes nothing", async () => {
    const before = tableCounts(testStore.store);
    const parsed = parseClassList("name,email,class\nAnna,anna@example.dk,1\n,nobody@example.dk,1\nCarl,not-an-email,2\n");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((error) => error.line)).toEqual([3, 4]);
    expect(parsed.errors[0]!.message).toMatch(/Navn skal udfyldes/);
    expect(parsed.errors[1]!.message).toMatch(/Ugyldig e-mail/);
    expect(parseClassList("klasse;spor\n1;B").ok).toBe(false);
    const tooLong = parseClassList(`navn\n${"Elev\n".repeat(MAX_IMPORT_ROWS + 1)}`);
    expect(tooLong).toMatchObject({ ok: false, errors: [{ line: 1, message: expect.stringMatching(/Højst 1000 elever/) }], rows: [] });
    expect(parseClassList(`navn\n${"Elev\n".repeat(MAX_IMPORT_ROWS)}`).ok).toBe(true);
    // Even a failure half-way through the writes leaves nothing behind (one transaction).
    await expect(write((tx) => importClassList(tx, actor, [{ name: "A" }, { name: "B" }], ["hash"]))).rejects.toThrow();
    expect(tableCounts(testStore.store)).toEqual(before);
  });
});

describe("corrections and reports", () => {
  test("a correction needs a known account of the tenant, never overdraws, and is audited once", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 1_000 });
    const request = { accountId: card.accountId, amountOre: 500, direction: "credit" as const, reason: "Fejl ved kassen", idempotencyKey: "corr-0001" };
    expect(await write((tx) => postCorrection(tx, actor, request))).toMatchObject({ ok: true, transfer: { description: "Korrektion: Fejl ved kassen" } });
    expect(await write((tx) => postCorrection(tx, actor, request))).toMatchObject({ ok: true });
    expect(await write((tx) => postCorrection(tx, actor, { ...request, idempotencyKey: "corr-0002", direction: "debit", amountOre: 1_501 }))).toEqual({ ok: false, reason: "insufficient_funds" });
    const other = await createCard(testStore.store, await createCanteen(testStore.store, "Anden"), { balanceOre: 100 });
    expect(await write((tx) => postCorrection(tx, actor, { ...request, idempotencyKey: "corr-0003", accountId: other.accountId }))).toEqual({ ok: false, reason: "account_not_found" });
    const audits = testStore.store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'ledger.correction'").get() as { n: number });
    expect(audits.n).toBe(1);
    await expect(write((tx) => tx.sqlite.run("DELETE FROM audit_log"))).rejects.toThrow(/append-only/);
  });

  test("the daily report sums sales per canteen and product, deposits and the liability", async () => {
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    const { recordSale } = await import("./pos.ts");
    const terminal = { terminalId: canteen.terminalId, terminalName: "Kasse", canteenId: canteen.canteenId, canteenName: "Kantinen", tenantId: canteen.tenantId, revenueAccountId: canteen.revenueAccountId };
    await write((tx) => recordSale(tx, terminal, { saleId: "report-sale-1", cardNumber: card.cardNumber, amountOre: 4_300, items: [{ name: "Dagens ret", quantity: 1, unitPriceOre: 3_500 }, { name: "Mælk", quantity: 1, unitPriceOre: 800 }] }, { maxSaleOre: 100_000 }));
    const report = testStore.store.read((tx) => dailyReport(tx, canteen.tenantId, copenhagenDate(Date.now())));
    expect(report.salesByCanteen).toEqual([{ canteen: "Kantinen", salesOre: 4_300, count: 1 }]);
    expect(report.salesByProduct).toEqual([{ product: "Dagens ret", quantity: 1, amountOre: 3_500 }, { product: "Mælk", quantity: 1, amountOre: 800 }]);
    expect(report.depositsOre).toBe(10_000);
    expect(report.liabilityOre).toBe(5_700);
    // No site-wide figures in a school's report (issue 29, finding 5): the ledger's check is the operator's.
    expect("ledger" in report).toBe(false);
    expect(toCsv(["a", "b"], [["x;y", 1], ['say "hi"', null]])).toBe('"a";"b"\r\n"x;y";1\r\n"say ""hi""";\r\n');
  });
});

describe("tenants", () => {
  test("the daily report and the audit log show the staff member's own tenant only", async () => {
    const other = await createCanteen(testStore.store, "Anden");
    const otherActor: Actor = { userId: actor.userId, tenantId: other.tenantId, role: "admin", label: "other@example.dk" };
    const { recordSale } = await import("./pos.ts");
    const sell = async (fixture: Fixture, saleId: string, amountOre: number) => {
      const card = await createCard(testStore.store, fixture, { balanceOre: 10_000 });
      const terminal = { terminalId: fixture.terminalId, terminalName: "Kasse", canteenId: fixture.canteenId, canteenName: "x", tenantId: fixture.tenantId, revenueAccountId: fixture.revenueAccountId };
      await write((tx) => recordSale(tx, terminal, { saleId, cardNumber: card.cardNumber, amountOre, items: [{ name: "Dagens ret", quantity: 1, unitPriceOre: amountOre }] }, { maxSaleOre: 100_000 }));
    };
    await sell(canteen, "tenant-sale-1", 3_000);
    await sell(other, "tenant-sale-2", 5_000);
    await write((tx) => issueCard(tx, actor, { name: "Egen" }, "hash"));
    await write((tx) => issueCard(tx, otherActor, { name: "Fremmed" }, "hash"));
    const today = copenhagenDate(Date.now());
    const own = testStore.store.read((tx) => dailyReport(tx, canteen.tenantId, today));
    expect(own.salesByCanteen).toEqual([{ canteen: "Kantinen", salesOre: 3_000, count: 1 }]);
    expect(own.salesByProduct).toEqual([{ product: "Dagens ret", quantity: 1, amountOre: 3_000 }]);
    expect(own.depositsOre).toBe(10_000);
    expect(own.liabilityOre).toBe(7_000);
    const theirs = testStore.store.read((tx) => dailyReport(tx, other.tenantId, today));
    expect(theirs.salesByCanteen).toEqual([{ canteen: "Anden", salesOre: 5_000, count: 1 }]);
    expect(theirs.liabilityOre).toBe(5_000);
    expect(testStore.store.read((tx) => listAudit(tx, canteen.tenantId)).map((entry) => entry.actor)).toEqual(["admin@example.dk"]);
    expect(testStore.store.read((tx) => listAudit(tx, other.tenantId)).map((entry) => entry.actor)).toEqual(["other@example.dk"]);
  });

  test("the migration backfills the tenant of existing audit entries from the acting user", async () => {
    await write((tx) => issueCard(tx, actor, { name: "Før" }, "hash"));
    // Step down until the tenant migration is undone, write an entry the old way, then migrate up again. The store's
    // own connections stay open: SQLite notices the schema change and prepares its statements anew.
    for (;;) {
      const down = await migrateDown(testStore.path);
      if (down.results?.[0]?.migrationName === "20261125T0430_backoffice_tenant") break;
      if (!down.results?.length) throw new Error("the tenant migration was never undone");
    }
    const { Database } = await import("bun:sqlite");
    const raw = new Database(testStore.path);
    raw.query("INSERT INTO audit_log (actor_user_id, actor_label, action, target, details_json, created_at) VALUES (?, 'admin@example.dk', 'old.entry', NULL, '{}', 1)").run(actor.userId);
    raw.close();
    await migrateToLatest(testStore.path);
    expect(testStore.store.read((tx) => listAudit(tx, canteen.tenantId)).map((entry) => entry.action)).toEqual(["old.entry", "card.issue"]);
    expect(testStore.store.read((tx) => listAudit(tx, canteen.tenantId + 1))).toEqual([]);
    await expect(write((tx) => tx.sqlite.run("UPDATE audit_log SET action = 'x'"))).rejects.toThrow(/append-only/);
  });
});

describe("staff accounts", () => {
  test("create, change role and disable staff of the own tenant; never oneself; disabling ends their sessions", async () => {
    const created = await write((tx) => createStaffUser(tx, actor, canteen.tenantId, { email: "Ny@Example.dk", name: "Ny", role: "staff" }, "hash"));
    if (!created.ok) throw new Error("not created");
    expect(await write((tx) => createStaffUser(tx, actor, canteen.tenantId, { email: "ny@example.dk", name: "Igen", role: "admin" }, "hash"))).toEqual({ ok: false, reason: "email_taken" });
    expect(await write((tx) => setStaffRole(tx, actor, created.userId, "admin"))).toEqual({ ok: true });
    expect(await write((tx) => setStaffRole(tx, actor, actor.userId, "staff"))).toEqual({ ok: false, reason: "own_account" });
    expect(await write((tx) => disableStaff(tx, actor, actor.userId))).toEqual({ ok: false, reason: "own_account" });
    const other = await createCanteen(testStore.store, "Anden");
    expect(await write((tx) => disableStaff(tx, { ...actor, tenantId: other.tenantId }, created.userId))).toEqual({ ok: false, reason: "staff_not_found" });
    await write((tx) => createSession(tx, generateSessionToken(), created.userId));
    expect(await write((tx) => disableStaff(tx, actor, created.userId))).toEqual({ ok: true });
    const row = testStore.store.read((tx) => tx.sqlite.query("SELECT email, role, disabled_at IS NOT NULL AS disabled, (SELECT COUNT(*) FROM sessions WHERE user_id = users.id) AS sessions FROM users WHERE id = ?").get(created.userId));
    expect(row).toEqual({ email: "ny@example.dk", role: "admin", disabled: 1, sessions: 0 });
    expect(testStore.store.read((tx) => listAudit(tx, canteen.tenantId)).map((entry) => entry.action)).toEqual(["staff.disable", "staff.role", "staff.create"]);
  });

  test("the first administrator joins the only tenant, needs a choice among several, and founds one in an empty database", async () => {
    const first = await write((tx) => createFirstAdministrator(tx, { email: "boss@example.dk", name: "Boss" }, "hash"));
    expect(first).toMatchObject({ ok: true, tenantId: canteen.tenantId });
    const other = await createCanteen(testStore.store, "Anden");
    expect(await write((tx) => createFirstAdministrator(tx, { email: "b2@example.dk", name: "B" }, "hash"))).toEqual({ ok: false, reason: "tenant_ambiguous" });
    expect(await write((tx) => createFirstAdministrator(tx, { email: "b2@example.dk", name: "B", tenantId: other.tenantId }, "hash"))).toMatchObject({ ok: true, tenantId: other.tenantId });
    expect(await write((tx) => createFirstAdministrator(tx, { email: "BOSS@example.dk", name: "B", tenantId: other.tenantId }, "hash"))).toEqual({ ok: false, reason: "email_taken" });
    const empty = await createTestStore();
    try {
      expect(await empty.store.write((tx) => createFirstAdministrator(tx, { email: "a@example.dk", name: "A" }, "hash"))).toEqual({ ok: false, reason: "school_required" });
      const founded = await empty.store.write((tx) => createFirstAdministrator(tx, { email: "a@example.dk", name: "A", school: "Ny Skole" }, "hash"));
      if (!founded.ok) throw new Error("not founded");
      expect(empty.store.read((tx) => tx.sqlite.query("SELECT t.name AS school, c.name AS canteen, u.role FROM tenants t JOIN canteens c ON c.tenant_id = t.id JOIN users u ON u.tenant_id = t.id").all())).toEqual([
        { school: "Ny Skole", canteen: "Kantinen", role: "admin" },
      ]);
    } finally {
      await empty.close();
    }
  });
});
