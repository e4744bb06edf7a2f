// Back-office rules: issuing and replacing cards, all-or-nothing class-list import, corrections, reports, audit log.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../db/tx.ts";
import { checkLedger } from "../ledger/ledger.ts";
import { createCanteen, createCard, createTestStore, tableCounts, type Fixture, type TestStore } from "../testing/harness.ts";
import {
  dailyReport,
  importClassList,
  issueCard,
  listAudit,
  newVerificationCode,
  parseClassList,
  postCorrection,
  replaceCard,
  searchCardholders,
  setCardStatus,
  toCsv,
  type Actor,
} from "./backoffice.ts";
import { copenhagenDate } from "../ledger/calendar.ts";

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
    expect(await write((tx) => setCardStatus(tx, actor, issued.cardId, "blocked"))).toBe(true);
    const replacement = await write((tx) => replaceCard(tx, actor, issued.cardId, hash));
    expect(replacement?.cardNumber).not.toBe(issued.cardNumber);
    const cards = testStore.store.read((tx) => tx.sqlite.query("SELECT card_number, status, account_id FROM cards WHERE user_id = ? ORDER BY id").all(issued.userId));
    expect(cards).toEqual([
      { card_number: issued.cardNumber, status: "blocked", account_id: issued.accountId },
      { card_number: replacement!.cardNumber, status: "active", account_id: issued.accountId },
    ]);
    expect(testStore.store.read((tx) => listAudit(tx)).map((entry) => entry.action)).toEqual(["card.replace", "card.block", "card.issue"]);
  });

  test("a card of another tenant cannot be blocked or replaced", async () => {
    const other = await createCanteen(testStore.store, "Anden");
    const card = await createCard(testStore.store, other);
    const cardId = testStore.store.read((tx) => (tx.sqlite.query("SELECT id FROM cards WHERE card_number = ?").get(card.cardNumber) as { id: number }).id);
    expect(await write((tx) => setCardStatus(tx, actor, cardId, "blocked"))).toBe(false);
    expect(await write((tx) => replaceCard(tx, actor, cardId, "hash"))).toBeNull();
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
    const report = testStore.store.read((tx) => dailyReport(tx, copenhagenDate(Date.now())));
    expect(report.salesByCanteen).toEqual([{ canteen: "Kantinen", salesOre: 4_300, count: 1 }]);
    expect(report.salesByProduct).toEqual([{ product: "Dagens ret", quantity: 1, amountOre: 3_500 }, { product: "Mælk", quantity: 1, amountOre: 800 }]);
    expect(report.depositsOre).toBe(10_000);
    expect(report.liabilityOre).toBe(5_700);
    expect(report.ledger.ok).toBe(true);
    expect(toCsv(["a", "b"], [["x;y", 1], ['say "hi"', null]])).toBe('a;b\r\n"x;y";1\r\n"say ""hi""";\r\n');
  });
});
