// Issue 29 ("Done when"): two schools on one site. School 2's administrator, staff, till and kitchen screen walk every
// back-office, till, kitchen and report procedure against school 1's ids over real HTTP, and see and change nothing of
// school 1: answers carry none of school 1's names, card numbers, e-mails or figures, refusals write nothing, and the
// kitchen stream delivers none of school 1's order events.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, databaseFingerprint, PortalClient, startTestServer, type Fixture, type PortalResponse, type TestCard, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { appRouter } from "./_app.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../../common/calendar.ts";
import { checkout } from "../services/orders/checkout.ts";
import { checkLedger } from "../ledger/check.ts";
import { sseClient, until } from "../testing/sse-client.ts";
import type { OrderEvent } from "../events/bus.ts";

let server: TestServer;
let store: Store;
const today = copenhagenDate(Date.now());
const tomorrow = addDays(today, 1);
const PASSWORD = "Skolekode2026!";
const formKey = () => crypto.randomUUID();

/** Everything of one school the walk needs: its people, devices, catalogue and the ids of what it did. */
interface School {
  fixture: Fixture;
  admin: PortalClient;
  staff: PortalClient;
  adminUserId: number;
  staffUserId: number;
  adminEmail: string;
  staffEmail: string;
  tillKey: string;
  screenId: number;
  screenToken: string;
  kitchenCookie: string;
  pupil: TestCard & { cardId: number; code: string; email: string };
  guardian: TestCard & { cardId: number };
  noMail: TestCard & { cardId: number };
  productId: number;
  todayOrder: { orderId: number; orderNumber: string };
  saleId: string;
  payoutId: number;
  caseId: number;
  /** Cards whose state answers differently from a plain one (blocked by its holder, replaced): a check of that state before the school's would tell school 2 the card exists. */
  specialCardIds: number[];
}

let s1: School;
let s2: School;

/** A staff member or administrator of the fixture's school, signed in over HTTP. */
async function staffMember(fixture: Fixture, role: "admin" | "staff", email: string, name: string, hash: string) {
  const userId = await store.write((tx) => tx.run(db.insertInto("users").values({ tenant_id: fixture.tenantId, role, name, email, password_hash: hash, created_at: Date.now() })).lastInsertRowid);
  const client = new PortalClient(server.url);
  const login = await client.mutate("backoffice.login", { email, password: PASSWORD });
  expect(login.data, email).toMatchObject({ ok: true });
  return { userId, client };
}

const cardIdOf = (cardNumber: string) => store.read((tx) => tx.first(db.selectFrom("cards").select("id").where("card_number", "=", cardNumber))!.id);

async function kitchenLogin(token: string): Promise<string> {
  const response = await fetch(`${server.url}/trpc/kitchen.login`, { method: "POST", headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" }, body: JSON.stringify({ token }) });
  expect(response.status).toBe(200);
  return response.headers.getSetCookie()[0]!.split(";")[0]!;
}

async function tillCall(key: string, path: string, type: "query" | "mutation", input?: unknown): Promise<PortalResponse> {
  const query = type === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
  const response = await fetch(`${server.url}/trpc/${path}${query}`, {
    method: type === "query" ? "GET" : "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    ...(type === "mutation" && input !== undefined ? { body: JSON.stringify(input) } : {}),
  });
  return read(response);
}

async function kitchenCall(cookie: string, path: string, type: "query" | "mutation", input?: unknown): Promise<PortalResponse> {
  const query = type === "query" && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
  const response = await fetch(`${server.url}/trpc/${path}${query}`, {
    method: type === "query" ? "GET" : "POST",
    headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", cookie },
    ...(type === "mutation" && input !== undefined ? { body: JSON.stringify(input) } : {}),
  });
  return read(response);
}

async function read(response: Response): Promise<PortalResponse> {
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  return { status: response.status, text, data: body.result?.data, error: body.error };
}

/**
 * One school set up the way a school works: its admin creates a kitchen screen, a product on today's and tomorrow's
 * menu and links a guardian; a pupil orders (today and tomorrow), buys at the till, gets a partial refund, asks for a
 * payout and opens a support case; the admin posts a correction. `tag` is in every name and e-mail ("Skole1…").
 */
async function createSchool(tag: string, hash: string, amounts: { saleOre: number; refundOre: number; payoutOre: number; balanceOre: number }): Promise<School> {
  const fixture = await createCanteen(store, `${tag}Kantine`);
  await store.write((tx) => tx.sqlite.query("UPDATE terminals SET name = ? WHERE id = ?").run(`${tag}Kasse`, fixture.terminalId));
  const lower = tag.toLowerCase();
  const adminEmail = `${lower}.admin@${lower}.dk`;
  const staffEmail = `${lower}.kok@${lower}.dk`;
  const admin = await staffMember(fixture, "admin", adminEmail, `${tag}Admin Ane`, hash);
  const staff = await staffMember(fixture, "staff", staffEmail, `${tag}Kok Karl`, hash);

  const screen = (await admin.client.mutate("backoffice.createDevice", { kind: "screen", canteenId: fixture.canteenId, name: `${tag}Skærm`, idempotencyKey: formKey() })).data as { id: number; secret: string };
  expect(screen.secret).toEqual(expect.any(String));
  const kitchenCookie = await kitchenLogin(screen.secret);

  const product = await admin.client.mutate("backoffice.saveProduct", { canteenId: fixture.canteenId, name: `${tag}Frikadeller`, category: `${tag}Varm mad`, priceOre: 4_500, active: true, idempotencyKey: formKey() });
  const productId = product.data.productId as number;
  for (const day of [today, tomorrow]) {
    expect((await admin.client.mutate("backoffice.setMenuItem", { canteenId: fixture.canteenId, deliveryDay: day, productId, offered: true })).data).toMatchObject({ ok: true });
  }

  const code = String(100_000 + Math.floor(Math.random() * 800_000));
  const pupilEmail = `elev@${lower}-elev.dk`;
  const pupilCard = await createCard(store, fixture, { code, name: `${tag}Elev Anna`, email: pupilEmail, balanceOre: amounts.balanceOre });
  const guardianCard = await createCard(store, fixture, { name: `${tag}Forælder Bo`, email: `bo@${lower}-hjem.dk`, balanceOre: 1_000 });
  const noMailCard = await createCard(store, fixture, { name: `${tag}Udenmail Carl` });
  const pupil = { ...pupilCard, cardId: cardIdOf(pupilCard.cardNumber), code, email: pupilEmail };
  expect((await admin.client.mutate("backoffice.linkGuardian", { userId: pupil.userId, guardianCardNumber: guardianCard.cardNumber })).data).toMatchObject({ ok: true });

  // Today's order is placed before today's cut-off (as the webshop tests do), tomorrow's over HTTP.
  const todayOrder = await store.write((tx) =>
    checkout(tx, pupil.userId, { accountId: pupil.accountId, canteenId: fixture.canteenId, deliveryDay: today, lines: [{ productId, quantity: 1, comment: `${tag}uden løg` }], idempotencyKey: `${lower}-today-basket` }, cutoffInstant(today, "09:30") - 3_600_000),
  );
  if (!todayOrder.ok) throw new Error(`today's order failed: ${JSON.stringify(todayOrder)}`);
  const portal = new PortalClient(server.url);
  expect((await portal.login(pupil.cardNumber, code)).data).toMatchObject({ ok: true });
  expect((await portal.mutate("webshop.checkout", { accountId: pupil.accountId, canteenId: fixture.canteenId, deliveryDay: tomorrow, lines: [{ productId, quantity: 2 }], idempotencyKey: `${lower}-tomorrow-basket` })).data).toMatchObject({ ok: true });

  const saleId = `${tag.toUpperCase()}-SALE-0001`;
  const sale = await tillCall(fixture.terminalKey, "pos.sale", "mutation", { saleId, cardNumber: pupil.cardNumber, amountOre: amounts.saleOre, items: [{ name: `${tag}Festmenu`, quantity: 1, unitPriceOre: amounts.saleOre }] });
  expect(sale.data).toMatchObject({ status: "approved" });
  if (amounts.refundOre > 0) expect((await tillCall(fixture.terminalKey, "pos.refund", "mutation", { refundId: `${tag.toUpperCase()}-REFUND-0001`, saleId, amountOre: amounts.refundOre })).data).toMatchObject({ status: "approved" });

  let payoutId = 0;
  let caseId = 0;
  const specialCardIds: number[] = [];
  if (amounts.payoutOre > 0) {
    // A card its holder blocked in the portal, a replaced card, and a guardian without e-mail or password (its letter is the admin's).
    const blockedCode = String(Number(code) + 1);
    const blocked = await createCard(store, fixture, { code: blockedCode, name: `${tag}Spærret Eva`, email: `eva@${lower}-elev.dk`, balanceOre: 2_000 });
    const eva = new PortalClient(server.url);
    expect((await eva.login(blocked.cardNumber, blockedCode)).data).toMatchObject({ ok: true });
    expect((await eva.mutate("accounts.block", { accountId: blocked.accountId })).error).toBeUndefined();
    const old = await createCard(store, fixture, { name: `${tag}Gammel Dan`, email: `dan@${lower}-elev.dk` });
    expect((await admin.client.mutate("backoffice.replaceCard", { cardId: cardIdOf(old.cardNumber), idempotencyKey: formKey() })).data).toMatchObject({ delivery: "email" });
    specialCardIds.push(cardIdOf(blocked.cardNumber), cardIdOf(old.cardNumber));
    expect((await admin.client.mutate("backoffice.linkGuardian", { userId: guardianCard.userId, guardianCardNumber: noMailCard.cardNumber })).data).toMatchObject({ ok: true });
    const payout = await portal.mutate("payouts.request", { accountId: pupil.accountId, name: `${tag}Elev Anna`, registrationNumber: "1234", bankAccountNumber: "5550001", message: `${tag}Besked`, amountOre: amounts.payoutOre, idempotencyKey: `${lower}-payout-1` });
    expect(payout.error, payout.text).toBeUndefined();
    payoutId = store.read((tx) => tx.first(db.selectFrom("payouts").select("id").where("user_id", "=", pupil.userId))!.id);
    const supportCase = await portal.mutate("support.create", { name: `${tag}Elev Anna`, email: pupilEmail, accountId: pupil.accountId, description: `${tag}Sag: kortet virker ikke` });
    expect(supportCase.data).toMatchObject({ ok: true });
    caseId = store.read((tx) => tx.first(db.selectFrom("support_cases").select("id").where("user_id", "=", pupil.userId))!.id);
    expect((await admin.client.mutate("backoffice.correct", { accountId: guardianCard.accountId, amountOre: 1_111, direction: "credit", reason: `${tag}Rettelse af fejl`, idempotencyKey: `${lower}-correct-1` })).data).toEqual({ ok: true });
  }

  return {
    fixture,
    admin: admin.client,
    staff: staff.client,
    adminUserId: admin.userId,
    staffUserId: staff.userId,
    adminEmail,
    staffEmail,
    tillKey: fixture.terminalKey,
    screenId: screen.id,
    screenToken: screen.secret,
    kitchenCookie,
    pupil,
    guardian: { ...guardianCard, cardId: cardIdOf(guardianCard.cardNumber) },
    noMail: { ...noMailCard, cardId: cardIdOf(noMailCard.cardNumber) },
    productId,
    todayOrder: { orderId: todayOrder.order.orderId, orderNumber: todayOrder.order.orderNumber },
    saleId,
    payoutId,
    caseId,
    specialCardIds,
  };
}

// School 1's distinctive figures: a sale of 987,65 kr, a refund of 123,45 kr, a payout of 43,21 kr, a pupil funded
// with 5432,19 kr and a correction of 11,11 kr.
const S1 = { saleOre: 98_765, refundOre: 12_345, payoutOre: 4_321, balanceOre: 543_219 };
// School 2 does less, with other figures: one sale of 25,00 kr.
const S2 = { saleOre: 2_500, refundOre: 0, payoutOre: 0, balanceOre: 30_000 };

beforeAll(async () => {
  server = await startTestServer();
  store = server.services.store;
  const hash = await Bun.password.hash(PASSWORD, { algorithm: "argon2id" });
  s1 = await createSchool("Skole1", hash, S1);
  s2 = await createSchool("Anden", hash, S2);
}, 60_000);
afterAll(async () => {
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

const school1CardNumbers = () =>
  store.read((tx) => tx.all(db.selectFrom("cards as c").innerJoin("users as u", "u.id", "c.user_id").select("c.card_number").where("u.tenant_id", "=", s1.fixture.tenantId))).map((row) => row.card_number);

/** What of school 1 must never be in an answer to school 2: names and e-mails (all carry "skole1"), card numbers, order and case numbers, figures. */
function school1Markers(): Array<{ what: string; pattern: RegExp }> {
  const digits = (value: string) => new RegExp(`(?<!\\d)${value}(?!\\d)`);
  const orderNumbers = store.read((tx) => tx.all(db.selectFrom("orders").select("id").where("canteen_id", "=", s1.fixture.canteenId))).map((row) => `O-${String(row.id).padStart(6, "0")}`);
  return [
    { what: "a school 1 name or e-mail", pattern: /skole1/i },
    ...school1CardNumbers().map((cardNumber) => ({ what: `school 1 card ${cardNumber}`, pattern: digits(cardNumber) })),
    ...orderNumbers.map((number) => ({ what: `school 1 order ${number}`, pattern: new RegExp(number) })),
    { what: "school 1's support case number", pattern: new RegExp(`S-${String(s1.caseId).padStart(6, "0")}`) },
    { what: "school 1's sale of 987,65 kr", pattern: /987[,.]65|(?<!\d)98765(?!\d)/ },
    { what: "school 1's refund of 123,45 kr", pattern: /123[,.]45|(?<!\d)12345(?!\d)/ },
    { what: "school 1's payout of 43,21 kr", pattern: /43[,.]21|(?<!\d)4321(?!\d)/ },
    { what: "school 1's funding of 5432,19 kr", pattern: /5\.?432[,.]19|(?<!\d)543219(?!\d)/ },
    { what: "school 1's correction of 11,11 kr", pattern: /(?<![\d,.])11[,.]11(?![\d])|(?<!\d)1111(?!\d)/ },
    { what: "school 1's sale id", pattern: /SKOLE1-SALE/i },
  ];
}

/** The markers of school 1 in an answer, apart from those the caller itself sent (a till's balance echoes the card number it asked about). */
function leaksIn(answer: string, input: unknown): string[] {
  const sent = JSON.stringify(input ?? null);
  return school1Markers()
    .filter((marker) => marker.pattern.test(answer) && !marker.pattern.test(sent))
    .map((marker) => marker.what);
}

type Caller = "admin" | "staff" | "till" | "kitchen";
type Outcome =
  /** Refused with this tRPC code, as an unknown id would be. */
  | { refused: "NOT_FOUND" | "FORBIDDEN" | "CONFLICT" }
  /** Answered; the check says the answer is empty of school 1 / about school 2 only. */
  | { check: (data: any) => void | Promise<void> };

interface Case {
  input?: () => unknown;
  outcome: Outcome;
  /** A legitimate write of school 2's own rows (a decline record, a new card, a session): run after the no-write walk. */
  writesOwn?: true;
}

interface Procedure {
  callers: Caller[];
  /** Administrators only: school 2's staff is refused (FORBIDDEN) before any id is looked at. */
  adminOnly?: true;
  /** Covered by the subscription test below instead (a stream, not a call). */
  stream?: true;
  cases: Case[];
}

const refused = (code: "NOT_FOUND" | "FORBIDDEN" | "CONFLICT" = "NOT_FOUND"): Outcome => ({ refused: code });
const answered = (check: (data: any) => void | Promise<void> = () => {}): Outcome => ({ check });
const empty: Outcome = answered((data) => expect(data).toEqual([]));
const BACK_OFFICE: Caller[] = ["admin", "staff"];

/** School 2's own ids, read from the database (never from an answer under test). */
const s2Ids = () =>
  store.read((tx) => ({
    users: new Set(tx.all(db.selectFrom("users").select("id").where("tenant_id", "=", s2.fixture.tenantId)).map((row) => row.id)),
    canteens: new Set(tx.all(db.selectFrom("canteens").select("id").where("tenant_id", "=", s2.fixture.tenantId)).map((row) => row.id)),
  }));

/**
 * The table: for every procedure staff, tills and kitchen screens use, inputs built from school 1's ids, called as
 * school 2. A procedure missing here fails the first test.
 */
const procedures: Record<string, Procedure> = {
  // ---- back office: session
  "backoffice.login": { callers: ["admin"], cases: [{ writesOwn: true, input: () => ({ email: s2.adminEmail, password: PASSWORD }), outcome: answered((data) => expect(data).toMatchObject({ ok: true, staff: { userId: s2.adminUserId } })) }] },
  "backoffice.logout": { callers: ["admin"], cases: [{ writesOwn: true, outcome: answered((data) => expect(data).toEqual({ ok: true })) }] },
  "backoffice.me": { callers: BACK_OFFICE, cases: [{ outcome: answered((data) => expect(data.canteens.map((canteen: { canteenId: number }) => canteen.canteenId)).toEqual([s2.fixture.canteenId])) }] },
  // ---- cards
  "backoffice.searchCards": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ query: "Skole1" }), outcome: empty },
      { input: () => ({ query: s1.pupil.cardNumber }), outcome: empty },
      { input: () => ({ query: "elev@skole1-elev.dk" }), outcome: empty },
      { input: () => ({ query: "" }), outcome: answered((data) => expect(data.length).toBeGreaterThanOrEqual(3)) },
    ],
  },
  "backoffice.countCards": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ query: "Skole1" }), outcome: answered((data) => expect(data).toEqual({ total: 0, capped: false })) },
      { input: () => ({ query: s1.guardian.cardNumber }), outcome: answered((data) => expect(data).toEqual({ total: 0, capped: false })) },
    ],
  },
  "backoffice.issueCard": { callers: BACK_OFFICE, cases: [{ writesOwn: true, input: () => ({ name: "Ny Elev", email: "", school: "Anden skole", idempotencyKey: formKey() }), outcome: answered((data) => expect(s2Ids().users.has(data.userId)).toBe(true)) }] },
  "backoffice.setSchooling": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ userId: s1.pupil.userId, school: "Hack", className: "9Z", track: null }), outcome: refused() },
      { input: () => ({ userId: s1.adminUserId, school: "Hack", className: null, track: null }), outcome: refused() },
    ],
  },
  "backoffice.setCardStatus": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ cardId: s1.pupil.cardId, status: "blocked" }), outcome: refused() },
      { input: () => ({ cardId: s1.guardian.cardId, status: "active" }), outcome: refused() },
      // Blocked by its holder (staff may not reopen it) and replaced: still only "not found".
      ...[0, 1].map((index) => ({ input: () => ({ cardId: s1.specialCardIds[index], status: "active" }), outcome: refused() })),
    ],
  },
  "backoffice.replaceCard": {
    callers: BACK_OFFICE,
    cases: [{ input: () => ({ cardId: s1.pupil.cardId, idempotencyKey: formKey() }), outcome: refused() }, ...[0, 1].map((index) => ({ input: () => ({ cardId: s1.specialCardIds[index], idempotencyKey: formKey() }), outcome: refused() }))],
  },
  "backoffice.printCardLetter": {
    callers: BACK_OFFICE,
    cases: [
      // No e-mail and a guardian (staff: "needs admin"), has e-mail ("not needed"), blocked by holder, replaced: all "not found".
      { input: () => ({ cardId: s1.noMail.cardId, idempotencyKey: formKey() }), outcome: refused() },
      { input: () => ({ cardId: s1.pupil.cardId, idempotencyKey: formKey() }), outcome: refused() },
      ...[0, 1].map((index) => ({ input: () => ({ cardId: s1.specialCardIds[index], idempotencyKey: formKey() }), outcome: refused() })),
    ],
  },
  "backoffice.importCards": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ csv: "navn;e-mail;klasse\nPreview Elev;;3A\n", commit: false, idempotencyKey: formKey() }), outcome: answered((data) => expect(data).toMatchObject({ ok: true, issued: [] })) },
      { writesOwn: true, input: () => ({ csv: "navn;e-mail;klasse\nImport Elev;;3A\n", commit: true, idempotencyKey: formKey() }), outcome: answered((data) => expect(data.issued).toHaveLength(1)) },
    ],
  },
  // ---- guardians
  "backoffice.linkGuardian": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ userId: s1.pupil.userId, guardianCardNumber: s2.guardian.cardNumber }), outcome: refused() },
      { input: () => ({ userId: s2.pupil.userId, guardianCardNumber: s1.guardian.cardNumber }), outcome: refused() },
      { input: () => ({ userId: s1.noMail.userId, guardianCardNumber: s1.guardian.cardNumber }), outcome: refused() },
      // Its own guardian: "not found", not "own_guardian".
      { input: () => ({ userId: s1.pupil.userId, guardianCardNumber: s1.pupil.cardNumber }), outcome: refused() },
    ],
  },
  "backoffice.unlinkGuardian": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ userId: s1.pupil.userId, guardianUserId: s1.guardian.userId }), outcome: refused() },
      { input: () => ({ userId: s2.pupil.userId, guardianUserId: s1.guardian.userId }), outcome: refused() },
    ],
  },
  // ---- devices
  "backoffice.devices": { callers: BACK_OFFICE, adminOnly: true, cases: [{ outcome: answered((data) => expect(data.map((device: { name: string }) => device.name).sort()).toEqual(["AndenKasse", "AndenSkærm"])) }] },
  "backoffice.createDevice": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ kind: "terminal", canteenId: s1.fixture.canteenId, name: "Fremmed kasse", idempotencyKey: formKey() }), outcome: refused() },
      { input: () => ({ kind: "screen", canteenId: s1.fixture.canteenId, name: "Fremmed skærm", idempotencyKey: formKey() }), outcome: refused() },
    ],
  },
  "backoffice.revokeDevice": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ kind: "terminal", id: s1.fixture.terminalId }), outcome: refused() },
      { input: () => ({ kind: "screen", id: s1.screenId }), outcome: refused() },
    ],
  },
  // ---- catalogue
  "backoffice.products": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ canteenId: s1.fixture.canteenId }), outcome: refused() },
      { outcome: answered((data) => expect(data.map((product: { productId: number }) => product.productId)).toEqual([s2.productId])) },
    ],
  },
  "backoffice.saveProduct": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ productId: s1.productId, canteenId: s2.fixture.canteenId, name: "Overtaget", category: "Hack", priceOre: 1, active: false, idempotencyKey: formKey() }), outcome: refused() },
      { input: () => ({ productId: s1.productId, canteenId: s1.fixture.canteenId, name: "Overtaget", category: "Hack", priceOre: 1, active: false, idempotencyKey: formKey() }), outcome: refused() },
      { input: () => ({ canteenId: s1.fixture.canteenId, name: "Indsmuglet", category: "Hack", priceOre: 1, active: true, idempotencyKey: formKey() }), outcome: refused() },
    ],
  },
  "backoffice.setProductActive": { callers: BACK_OFFICE, cases: [{ input: () => ({ productId: s1.productId, active: false }), outcome: refused() }] },
  // A real (1 × 1 PNG) photo, so the refusal is about the school and not about the file.
  "backoffice.uploadProductPhoto": {
    callers: BACK_OFFICE,
    cases: [{ input: () => ({ productId: s1.productId, dataUrl: "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=" }), outcome: refused() }],
  },
  "backoffice.removeProductPhoto": { callers: BACK_OFFICE, cases: [{ input: () => ({ productId: s1.productId }), outcome: refused() }] },
  "backoffice.menuWeek": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ canteenId: s1.fixture.canteenId, days: [today, tomorrow] }), outcome: refused() },
      { input: () => ({ canteenId: s2.fixture.canteenId, days: [today, tomorrow] }), outcome: answered((data) => expect(data.flatMap((day: { items: Array<{ productId: number }> }) => day.items.map((item) => item.productId))).toEqual([s2.productId, s2.productId])) },
    ],
  },
  "backoffice.setMenuItem": {
    callers: BACK_OFFICE,
    cases: [
      { input: () => ({ canteenId: s1.fixture.canteenId, deliveryDay: tomorrow, productId: s1.productId, offered: false }), outcome: refused() },
      { input: () => ({ canteenId: s2.fixture.canteenId, deliveryDay: tomorrow, productId: s1.productId, offered: true }), outcome: refused() },
      { input: () => ({ canteenId: s1.fixture.canteenId, deliveryDay: tomorrow, productId: s2.productId, offered: true }), outcome: refused() },
    ],
  },
  "backoffice.setOrderCutoff": { callers: BACK_OFFICE, cases: [{ input: () => ({ canteenId: s1.fixture.canteenId, time: "06:00" }), outcome: refused() }] },
  "backoffice.createCanteen": {
    callers: ["admin"],
    adminOnly: true,
    // School 1's canteen name is free for school 2: a "name taken" would tell school 2 what school 1 calls its canteens.
    cases: [{ writesOwn: true, input: () => ({ name: "Skole1Kantine", idempotencyKey: formKey() }), outcome: answered((data) => expect(s2Ids().canteens.has(data.canteenId)).toBe(true)) }],
  },
  // ---- payouts
  "backoffice.payouts": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ status: "all" }), outcome: empty },
      { input: () => ({ status: "pending" }), outcome: empty },
    ],
  },
  "backoffice.payoutsCsv": { callers: BACK_OFFICE, adminOnly: true, cases: [{ outcome: answered((data) => expect(String(data).trim().split("\n")).toHaveLength(1)) }] },
  "backoffice.decidePayout": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ payoutId: s1.payoutId, status: "paid" }), outcome: refused() },
      { input: () => ({ payoutId: s1.payoutId, status: "rejected", reason: "Ikke vores" }), outcome: refused() },
    ],
  },
  // ---- support cases
  "backoffice.supportCases": { callers: BACK_OFFICE, cases: [{ outcome: empty }] },
  "backoffice.replySupport": { callers: BACK_OFFICE, cases: [{ input: () => ({ caseId: s1.caseId, message: "Hej fra en anden skole" }), outcome: refused() }] },
  "backoffice.closeSupport": { callers: BACK_OFFICE, cases: [{ input: () => ({ caseId: s1.caseId }), outcome: refused() }] },
  // ---- reports and corrections (figures checked in the report test below)
  "backoffice.report": { callers: BACK_OFFICE, cases: [{ input: () => ({ day: today }), outcome: answered((data) => expect(data.day).toBe(today)) }] },
  "backoffice.periodReport": { callers: BACK_OFFICE, cases: [{ input: () => ({ from: addDays(today, -30), to: today }), outcome: answered((data) => expect(data.csv).toEqual(expect.any(String))) }] },
  "backoffice.correct": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ accountId: s1.pupil.accountId, amountOre: 100, direction: "debit", reason: "Forsøg på rettelse", idempotencyKey: formKey() }), outcome: refused() },
      { input: () => ({ accountId: s1.fixture.revenueAccountId, amountOre: 100, direction: "credit", reason: "Forsøg på rettelse", idempotencyKey: formKey() }), outcome: refused() },
      // More than the account holds: "not found", not "insufficient funds".
      { input: () => ({ accountId: s1.guardian.accountId, amountOre: 9_000_000, direction: "debit", reason: "Forsøg på rettelse", idempotencyKey: formKey() }), outcome: refused() },
    ],
  },
  // ---- staff and audit log
  "backoffice.audit": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { outcome: answered((data) => expect(data.entries.length).toBeGreaterThan(0)) },
      { input: () => ({ actorUserId: s1.adminUserId }), outcome: answered((data) => expect(data.entries).toEqual([])) },
    ],
  },
  "backoffice.staffMembers": { callers: BACK_OFFICE, adminOnly: true, cases: [{ outcome: answered((data) => expect(data.map((member: { userId: number }) => member.userId).sort()).toEqual([s2.adminUserId, s2.staffUserId].sort())) }] },
  "backoffice.createStaff": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { writesOwn: true, input: () => ({ email: `ny.kok.${formKey().slice(0, 8)}@anden.dk`, name: "Ny Kok", role: "staff", password: PASSWORD, idempotencyKey: formKey() }), outcome: answered((data) => expect(s2Ids().users.has(data.userId)).toBe(true)) },
      // Staff sign in by e-mail alone, so an e-mail is one person site-wide: school 1's is taken (and nothing is written).
      { input: () => ({ email: s1.staffEmail, name: "Dobbelt Kok", role: "admin", password: PASSWORD, idempotencyKey: formKey() }), outcome: refused("CONFLICT") },
    ],
  },
  "backoffice.setStaffRole": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ userId: s1.staffUserId, role: "admin" }), outcome: refused() },
      { input: () => ({ userId: s1.adminUserId, role: "staff" }), outcome: refused() },
      { input: () => ({ userId: s1.pupil.userId, role: "admin" }), outcome: refused() },
    ],
  },
  "backoffice.disableStaff": {
    callers: BACK_OFFICE,
    adminOnly: true,
    cases: [
      { input: () => ({ userId: s1.adminUserId }), outcome: refused() },
      { input: () => ({ userId: s1.staffUserId }), outcome: refused() },
    ],
  },
  // ---- operations (administrators): site-wide backup facts, never a school's data
  // The site's backup is one file for every school: a school's administrator sees whether it is made, not its size.
  "ops.backupStatus": { callers: BACK_OFFICE, adminOnly: true, cases: [{ outcome: answered((data) => expect(data.last === null || data.last.bytes === null, JSON.stringify(data.last)).toBe(true)) }] },

  // ---- tills (JSON API)
  "pos.sale": {
    callers: ["till"],
    cases: [
      {
        writesOwn: true,
        input: () => ({ saleId: "ANDEN-FOREIGN-0001", cardNumber: s1.pupil.cardNumber, amountOre: 100 }),
        // Declined exactly as a card number nobody issued: the till cannot tell that the card exists elsewhere.
        outcome: answered(async (data) => {
          const unknown = (await tillCall(s2.tillKey, "pos.sale", "mutation", { saleId: "ANDEN-UNKNOWN-0001", cardNumber: "49999999999999", amountOre: 100 })).data;
          expect(unknown).toMatchObject({ status: "declined", balanceOre: null });
          expect({ ...data, saleId: "x" }).toEqual({ ...unknown, saleId: "x" });
        }),
      },
    ],
  },
  "pos.refund": {
    callers: ["till"],
    cases: [
      { writesOwn: true, input: () => ({ refundId: "ANDEN-FOREIGN-R1", saleId: s1.saleId }), outcome: answered((data) => expect(data).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null, amountOre: 0 })) },
      { writesOwn: true, input: () => ({ refundId: "ANDEN-FOREIGN-R2", saleId: s1.saleId, amountOre: 100 }), outcome: answered((data) => expect(data).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null })) },
      // More than the sale was: still "sale not found", not "exceeds the sale".
      { writesOwn: true, input: () => ({ refundId: "ANDEN-FOREIGN-R4", saleId: s1.saleId, amountOre: 200_000 }), outcome: answered((data) => expect(data).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null })) },
    ],
  },
  "pos.deliver": {
    callers: ["till"],
    cases: [
      { input: () => ({ orderNumber: s1.todayOrder.orderNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [] })) },
      { input: () => ({ cardNumber: s1.pupil.cardNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [] })) },
    ],
  },
  "pos.balance": { callers: ["till"], cases: [{ input: () => ({ cardNumber: s1.pupil.cardNumber }), outcome: answered((data) => expect(data).toEqual({ cardNumber: s1.pupil.cardNumber, status: "unknown", balanceOre: null })) }] },
  // ---- the browser till
  "till.config": { callers: ["till"], cases: [{ outcome: answered((data) => expect(data).toMatchObject({ terminalId: s2.fixture.terminalId, canteenName: "AndenKantine" })) }] },
  "till.catalogue": { callers: ["till"], cases: [{ outcome: answered((data) => expect(JSON.stringify(data)).toContain("AndenFrikadeller")) }] },
  "till.cardholder": {
    callers: ["till"],
    cases: [
      { input: () => ({ cardNumber: s1.pupil.cardNumber }), outcome: answered((data) => expect(data).toBeNull()) },
      { input: () => ({ cardNumber: s1.guardian.cardNumber }), outcome: answered((data) => expect(data).toBeNull()) },
    ],
  },
  "till.salesToday": { callers: ["till"], cases: [{ outcome: answered((data) => expect(data.totals).toMatchObject({ approvedOre: S2.saleOre, refundedOre: 0 })) }] },
  "till.refund": { callers: ["till"], cases: [{ input: () => ({ refundId: "ANDEN-FOREIGN-R3", saleId: s1.saleId, amountOre: 100 }), outcome: answered((data) => expect(data).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null })) }] },
  "till.pickup": {
    callers: ["till"],
    cases: [
      { input: () => ({ orderNumber: s1.todayOrder.orderNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [], alreadyDelivered: [] })) },
      { input: () => ({ cardNumber: s1.pupil.cardNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [], alreadyDelivered: [] })) },
    ],
  },
  // ---- the kitchen screen
  "kitchen.login": { callers: ["kitchen"], cases: [{ input: () => ({ token: s2.screenToken }), outcome: answered((data) => expect(data).toMatchObject({ ok: true, screen: { canteenId: s2.fixture.canteenId } })) }] },
  "kitchen.logout": { callers: ["kitchen"], cases: [{ outcome: answered((data) => expect(data).toEqual({ ok: true })) }] },
  "kitchen.queue": {
    callers: ["kitchen"],
    cases: [
      { outcome: answered((data) => expect(data.orders.map((order: { orderId: number }) => order.orderId)).toEqual([s2.todayOrder.orderId])) },
      {
        input: () => ({ deliveryDay: tomorrow }),
        outcome: answered((data) => {
          const own = store.read((tx) => tx.all(db.selectFrom("orders").select("id").where("canteen_id", "=", s2.fixture.canteenId).where("delivery_day", "=", tomorrow).orderBy("id"))).map((row) => row.id);
          expect(own.length).toBeGreaterThan(0);
          expect(data.orders.map((order: { orderId: number }) => order.orderId).sort((a: number, b: number) => a - b)).toEqual(own);
        }),
      },
    ],
  },
  "kitchen.advance": {
    callers: ["kitchen"],
    cases: [
      { input: () => ({ orderId: s1.todayOrder.orderId, to: "in_progress" }), outcome: refused() },
      { input: () => ({ orderId: s1.todayOrder.orderId, to: "delivered" }), outcome: refused() },
    ],
  },
  "kitchen.deliver": {
    callers: ["kitchen"],
    cases: [
      { input: () => ({ orderNumber: s1.todayOrder.orderNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [] })) },
      { input: () => ({ cardNumber: s1.pupil.cardNumber }), outcome: answered((data) => expect(data).toEqual({ delivered: [] })) },
    ],
  },
  "kitchen.onQueue": { callers: ["kitchen"], stream: true, cases: [] },
};

/** Namespaces staff, tills and kitchen screens use: every procedure in them must have a row above. */
const WALKED_NAMESPACES = ["backoffice", "pos", "till", "kitchen", "ops"];
/** The cardholder portal's and the public namespaces: a staff session is refused by them (checked below), and the portal's own tests cover one cardholder against another. */
const PORTAL_NAMESPACES = ["health", "site", "auth", "profile", "accounts", "statement", "support", "payments", "autoTopUp", "payouts", "transfers", "limits", "lowBalance", "webshop", "orders"];

const routerProcedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation" | "subscription" } }>).map(([path, procedure]) => ({ path, type: procedure._def.type }));
const typeOf = (path: string) => routerProcedures.find((procedure) => procedure.path === path)!.type;

async function callAs(caller: Caller, path: string, input: unknown, school: School = s2): Promise<PortalResponse> {
  const type = typeOf(path) as "query" | "mutation";
  switch (caller) {
    case "admin":
    case "staff": {
      const client = school[caller];
      return type === "query" ? client.query(path, input) : client.mutate(path, input);
    }
    case "till":
      return tillCall(school.tillKey, path, type, input);
    case "kitchen":
      return kitchenCall(school.kitchenCookie, path, type, input);
  }
}

const walked = new Map<string, number>();

/** The webshop orders a school's pupil paid for in setup (read from the database, not from a report). */
const ordersOf = (school: School) =>
  store.read((tx) => tx.all(db.selectFrom("orders").select("total_ore").where("canteen_id", "=", school.fixture.canteenId)).reduce((sum, row) => sum + row.total_ore, 0));

/** Runs one case as one caller and checks the answer: the expected refusal or answer, and no marker of school 1 in it. */
async function runCase(path: string, procedure: Procedure, caller: Caller, entry: Case) {
  const input = entry.input?.();
  const answer = await callAs(caller, path, input);
  const label = `${path} as school 2's ${caller} with ${JSON.stringify(input)}: ${answer.text.slice(0, 400)}`;
  expect(leaksIn(answer.text, input), label).toEqual([]);
  if (caller === "staff" && procedure.adminOnly) {
    expect(answer.error?.data.code, label).toBe("FORBIDDEN");
  } else if ("refused" in entry.outcome) {
    expect(answer.error?.data.code, label).toBe(entry.outcome.refused);
  } else {
    expect(answer.error, label).toBeUndefined();
    await entry.outcome.check(answer.data);
  }
  walked.set(path, (walked.get(path) ?? 0) + 1);
}

/** Every row of every table by primary key (or rowid), to tell exactly which rows a walk added, changed or removed. */
function rowsByTable(): Map<string, Map<string, Record<string, unknown>>> {
  return store.read((tx) => {
    const result = new Map<string, Map<string, Record<string, unknown>>>();
    const tables = tx.sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      // Written on their own schedule by the day keeper and the sealer (as databaseFingerprint leaves them out).
      if (name === "report_days" || name === "ledger_seals") continue;
      // A row is known by its primary key (some tables are WITHOUT ROWID), else by its rowid.
      const keys = (tx.sqlite.query(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).all(name) as Array<{ name: string }>).map((column) => column.name);
      const keyOf = keys.length > 0 ? (row: Record<string, unknown>) => JSON.stringify(keys.map((key) => row[key])) : (row: Record<string, unknown>) => String(row.__rowid);
      const rows = tx.sqlite.query(keys.length > 0 ? `SELECT * FROM "${name}"` : `SELECT rowid AS __rowid, * FROM "${name}"`).all() as Array<Record<string, unknown>>;
      result.set(
        name,
        new Map(
          rows.map((row) => {
            // A signed-in request slides its session's expiry: not a write of the request's own (as in databaseFingerprint).
            return [keyOf(row), name === "sessions" ? { ...row, expires_at: null } : row];
          }),
        ),
      );
    }
    return result;
  });
}

function rowChanges(before: ReturnType<typeof rowsByTable>, after: ReturnType<typeof rowsByTable>) {
  const changes: Array<{ table: string; change: "added" | "changed" | "removed"; row: Record<string, unknown>; old?: Record<string, unknown> }> = [];
  for (const [table, rows] of after) {
    const old = before.get(table) ?? new Map();
    for (const [rowid, row] of rows) {
      const was = old.get(rowid);
      if (!was) changes.push({ table, change: "added", row });
      else if (JSON.stringify(was) !== JSON.stringify(row)) changes.push({ table, change: "changed", row, old: was });
    }
    for (const [rowid, row] of old) if (!rows.has(rowid)) changes.push({ table, change: "removed", row });
  }
  return changes;
}

/** Every case that should write nothing, as every caller of its procedure; then not a row of any table may differ. */
async function walkWithoutWrites() {
  const fingerprint = databaseFingerprint(store);
  const before = rowsByTable();
  for (const [path, procedure] of Object.entries(procedures)) {
    for (const caller of procedure.callers) for (const entry of procedure.cases) if (!entry.writesOwn) await runCase(path, procedure, caller, entry);
  }
  const changes = rowChanges(before, rowsByTable());
  expect(changes, "rows written by refused or read-only calls").toEqual([]);
  expect(databaseFingerprint(store)).toEqual(fingerprint);
}

describe("two schools on one site", () => {
  test("every staff, till and kitchen procedure of the app router has a cross-school case, and no namespace is unclassified", () => {
    const namespaces = new Set(routerProcedures.map((procedure) => procedure.path.split(".")[0]!));
    expect([...namespaces].filter((namespace) => !WALKED_NAMESPACES.includes(namespace) && !PORTAL_NAMESPACES.includes(namespace)), "namespaces neither walked nor classified as portal").toEqual([]);
    const mustWalk = routerProcedures.filter((procedure) => WALKED_NAMESPACES.includes(procedure.path.split(".")[0]!)).map((procedure) => procedure.path);
    for (const path of mustWalk) expect(procedures[path], `procedure ${path} has no cross-school case`).toBeDefined();
    expect(Object.keys(procedures).filter((path) => !mustWalk.includes(path)), "cases for procedures the router no longer has").toEqual([]);
    for (const [path, procedure] of Object.entries(procedures)) {
      if (procedure.stream) expect(typeOf(path), path).toBe("subscription");
      else expect(procedure.cases.length, `${path} has no case`).toBeGreaterThan(0);
    }
  });

  test("school 1's data is in place, so that the walk has something to not see", async () => {
    // The same calls as school 1 find its own things: the refusals below are about the school, not about the ids.
    expect((await s1.admin.query("backoffice.searchCards", { query: "Skole1Elev" })).data).toHaveLength(1);
    expect((await s1.admin.query("backoffice.payouts", { status: "pending" })).data).toHaveLength(1);
    expect((await s1.staff.query("backoffice.supportCases")).data).toHaveLength(1);
    expect((await tillCall(s1.tillKey, "till.cardholder", "query", { cardNumber: s1.pupil.cardNumber })).data).toMatchObject({ name: "Skole1Elev Anna" });
    expect((await kitchenCall(s1.kitchenCookie, "kitchen.queue", "query")).data.orders.map((order: { orderId: number }) => order.orderId)).toEqual([s1.todayOrder.orderId]);
    const report = (await s1.staff.query("backoffice.report", { day: today })).data;
    // The canteen's sales are the till's sale and the webshop orders paid today (two for today and tomorrow).
    expect(report.salesByCanteen).toEqual([{ canteen: "Skole1Kantine", salesOre: S1.saleOre + ordersOf(s1), count: 3 }]);
    expect(report.csv).toContain("987,65");
    expect(report.lines).toEqual(expect.arrayContaining([expect.objectContaining({ key: "correctionsCredit", amountOre: 1_111 }), expect.objectContaining({ key: "payoutRequests", amountOre: S1.payoutOre })]));
    // And the marker check does find school 1 in school 1's own answers.
    expect(leaksIn(JSON.stringify(report), null)).toEqual(expect.arrayContaining(["a school 1 name or e-mail", "school 1's sale of 987,65 kr"]));
  });

  test("as school 2, every procedure refuses school 1's ids or answers without school 1, and nothing in the database changes", walkWithoutWrites);

  test("school 2's kitchen streams carry none of school 1's order events, live or resumed, while school 1's screen gets them", async () => {
    type Collected = { events: OrderEvent[]; started: boolean; stop: () => void };
    const open = (cookie: string, input: { deliveryDay?: string; lastEventId?: string }): Collected => {
      const collected: Collected = { events: [], started: false, stop: () => {} };
      const subscription = sseClient(server.url, cookie).kitchen.onQueue.subscribe(input, {
        onStarted: () => (collected.started = true),
        onData: (envelope) => collected.events.push(envelope.data as OrderEvent),
      });
      collected.stop = () => subscription.unsubscribe();
      return collected;
    };
    const s2Today = open(s2.kitchenCookie, {});
    const s2Tomorrow = open(s2.kitchenCookie, { deliveryDay: tomorrow });
    // Resumed from the very start of the event log: the backfill is school 2's own events only.
    const s2Backfill = open(s2.kitchenCookie, { deliveryDay: tomorrow, lastEventId: "0" });
    const s1Today = open(s1.kitchenCookie, {});
    const streams = [s2Today, s2Tomorrow, s2Backfill, s1Today];
    try {
      await until(() => streams.every((stream) => stream.started), "the kitchen streams");
      // "Started" can arrive just before the server attaches its listener; leave it a moment.
      await Bun.sleep(250);
      // School 1: its kitchen moves today's order on, its till hands it over, its pupil orders for tomorrow.
      expect((await kitchenCall(s1.kitchenCookie, "kitchen.advance", "mutation", { orderId: s1.todayOrder.orderId, to: "in_progress" })).data).toMatchObject({ ok: true });
      expect((await kitchenCall(s1.kitchenCookie, "kitchen.advance", "mutation", { orderId: s1.todayOrder.orderId, to: "ready" })).data).toMatchObject({ ok: true });
      expect((await tillCall(s1.tillKey, "till.pickup", "mutation", { orderNumber: s1.todayOrder.orderNumber })).data.delivered).toHaveLength(1);
      const portal = new PortalClient(server.url);
      await portal.login(s1.pupil.cardNumber, s1.pupil.code);
      expect((await portal.mutate("webshop.checkout", { accountId: s1.pupil.accountId, canteenId: s1.fixture.canteenId, deliveryDay: tomorrow, lines: [{ productId: s1.productId, quantity: 3 }], idempotencyKey: "skole1-stream-basket" })).data).toMatchObject({ ok: true });
      await until(() => s1Today.events.length >= 3, "school 1's own screen to see its order move");
      // School 2's own change reaches its stream (so the stream works), after school 1's changes were published.
      expect((await kitchenCall(s2.kitchenCookie, "kitchen.advance", "mutation", { orderId: s2.todayOrder.orderId, to: "in_progress" })).data).toMatchObject({ ok: true });
      await until(() => s2Today.events.length >= 1, "school 2's own order change");
      await Bun.sleep(300);
      expect(s2Today.events.map((event) => event.order.orderId)).toEqual([s2.todayOrder.orderId]);
      expect(s2Tomorrow.events).toEqual([]);
      expect(s2Backfill.events.length).toBeGreaterThan(0);
      for (const stream of [s2Today, s2Tomorrow, s2Backfill]) {
        for (const event of stream.events) expect(event.order.canteenId).toBe(s2.fixture.canteenId);
        expect(leaksIn(JSON.stringify(stream.events), null)).toEqual([]);
      }
      expect(s1Today.events.map((event) => event.order.status)).toEqual(["in_progress", "ready", "delivered"]);
    } finally {
      for (const stream of streams) stream.stop();
    }
    walked.set("kitchen.onQueue", 3);
  });

  test("the same walk once school 1's order is handed over and another is placed (other states, same nothing)", walkWithoutWrites);

  test("the portal's balance stream refuses a school 2 staff session", async () => {
    let error: string | null = null;
    let data = 0;
    const subscription = sseClient(server.url, s2.admin.cookie!).accounts.onBalance.subscribe(undefined, {
      onData: () => (data += 1),
      onError: (caught) => (error = (caught as { data?: { code?: string } }).data?.code ?? "unknown"),
    });
    try {
      await until(() => error !== null, "the refusal");
      expect(error).toBe("UNAUTHORIZED");
      expect(data).toBe(0);
    } finally {
      subscription.unsubscribe();
    }
  });

  test("school 2's daily and period reports and their CSVs hold only what school 2 did", async () => {
    // The till's item and the webshop orders (1 + 2 portions in setup; the stream test changed no quantities).
    const school2Products = () => expect.arrayContaining([{ product: "AndenFestmenu", quantity: 1, amountOre: S2.saleOre }, { product: "AndenFrikadeller (webshop)", quantity: 3, amountOre: ordersOf(s2) }]);
    for (const client of [s2.admin, s2.staff]) {
      const daily = await client.query("backoffice.report", { day: today });
      expect(daily.error).toBeUndefined();
      expect(leaksIn(daily.text, null)).toEqual([]);
      const report = daily.data;
      expect(report.salesByCanteen).toEqual([{ canteen: "AndenKantine", salesOre: S2.saleOre + ordersOf(s2), count: 3 }]);
      expect(report.salesByProduct).toEqual(school2Products());
      // Every line of the day is school 2's alone: its sale and orders, its two cards' funding, nothing else.
      const lines = Object.fromEntries(report.lines.map((line: { key: string; amountOre: number }) => [line.key, line.amountOre]));
      expect(lines).toEqual({ sales: S2.saleOre + ordersOf(s2), refunds: 0, deposits: S2.balanceOre + 1_000, payoutRequests: 0, payoutsPaid: 0, payoutsReturned: 0, correctionsCredit: 0, correctionsDebit: 0, transfers: 0 });
      expect(report.depositsOre).toBe(S2.balanceOre + 1_000);
      expect(report.refundsOre).toBe(0);
      expect(report.payoutsOre).toBe(0);
      expect(report.payoutsPendingOre).toBe(0);
      // School 2's cards hold their funding less the sale and its orders (two cards: the pupil's and the guardian's).
      expect(report.liabilityOre).toBe(S2.balanceOre + 1_000 - S2.saleOre - ordersOf(s2));
      expect(report.salesByProduct).toHaveLength(2);
      expect(report.csv).toContain("AndenFestmenu");
      expect(report.csv).toContain("25,00");

      const period = await client.query("backoffice.periodReport", { from: addDays(today, -30), to: today });
      expect(period.error).toBeUndefined();
      expect(leaksIn(period.text, null)).toEqual([]);
      expect(period.data.salesByProduct).toEqual(school2Products());
      expect(period.data.refundsOre).toBe(0);
      expect(period.data.depositsOre).toBe(S2.balanceOre + 1_000);
      expect(Object.fromEntries(period.data.lines.map((line: { key: string; amountOre: number }) => [line.key, line.amountOre]))).toEqual(lines);
      expect(period.data.csv).toContain("25,00");
    }
    const csv = await s2.admin.query("backoffice.payoutsCsv");
    expect(leaksIn(csv.text, null)).toEqual([]);
    expect(String(csv.data).trim().split("\n")).toHaveLength(1);
    // The till's day is the till's own.
    const sales = await tillCall(s2.tillKey, "till.salesToday", "query");
    expect(leaksIn(sales.text, null)).toEqual([]);
    expect(sales.data.totals).toMatchObject({ approvedOre: S2.saleOre, refundedOre: 0 });
  });

  test("the portal's plain HTTP routes (statement CSV, photo) give school 2's staff nothing of school 1's pupil", async () => {
    const [year, month] = today.split("-").map(Number);
    for (const client of [s2.admin, s2.staff]) {
      const statement = await client.get(`/statement.csv?accountId=${s1.pupil.accountId}&year=${year}&month=${month}`);
      expect(statement.status).toBe(404);
      expect(leaksIn(await statement.text(), null)).toEqual([]);
      expect((await client.get(`/photos/${s1.pupil.userId}`)).status).toBe(404);
    }
    // The same statement is there for its owner, with school 1's sale on it.
    const owner = new PortalClient(server.url);
    await owner.login(s1.pupil.cardNumber, s1.pupil.code);
    const own = await owner.get(`/statement.csv?accountId=${s1.pupil.accountId}&year=${year}&month=${month}`);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain("987,65");
  });

  test("a school 2 staff session is no cardholder session: every portal procedure refuses it", async () => {
    const publicPaths = new Set(["health", "site.info", "auth.login", "auth.logout", "auth.requestPasswordReset", "auth.resetPassword"]);
    for (const { path, type } of routerProcedures) {
      if (!PORTAL_NAMESPACES.includes(path.split(".")[0]!) || publicPaths.has(path) || type === "subscription") continue;
      const answer = type === "query" ? await s2.admin.query(path) : await s2.admin.mutate(path, {});
      // Either refused as not a cardholder, or (a public procedure) refused for its empty input; never data.
      // (auth.me answers null for anyone who is not a signed-in cardholder.)
      expect(answer.data ?? null, `${path}: ${answer.text.slice(0, 200)}`).toBeNull();
      expect(leaksIn(answer.text, null), path).toEqual([]);
    }
  });

  test("school 2's own writes (sign-in, new cards, staff and canteen, declines at its till) touch only school 2's rows", async () => {
    const before = rowsByTable();
    for (const [path, procedure] of Object.entries(procedures)) {
      for (const caller of procedure.callers) {
        for (const entry of procedure.cases) {
          if (!entry.writesOwn) continue;
          // Signing out ends the session it is called with: a session of its own, so the walk keeps its client.
          if (path === "backoffice.logout") {
            const spare = new PortalClient(server.url);
            expect((await spare.mutate("backoffice.login", { email: s2.adminEmail, password: PASSWORD })).data).toMatchObject({ ok: true });
            const answer = await spare.mutate(path);
            expect(answer.data).toEqual({ ok: true });
            walked.set(path, (walked.get(path) ?? 0) + 1);
            continue;
          }
          await runCase(path, procedure, caller, entry);
        }
      }
    }
    // School 1's sale and refund ids at school 2's till are school 2's own: a new sale, not a replay of school 1's answer.
    const sameId = await tillCall(s2.tillKey, "pos.sale", "mutation", { saleId: s1.saleId, cardNumber: s2.pupil.cardNumber, amountOre: 300 });
    expect(sameId.data).toMatchObject({ saleId: s1.saleId, status: "approved", amountOre: 300, replayed: false });
    const sameRefundId = await tillCall(s2.tillKey, "pos.refund", "mutation", { refundId: "SKOLE1-REFUND-0001", saleId: s1.saleId, amountOre: 100 });
    expect(sameRefundId.data).toMatchObject({ status: "approved", amountOre: 100, replayed: false });
    // The answers echo the ids the till sent; apart from those, nothing of school 1.
    for (const answer of [sameId, sameRefundId]) expect(leaksIn(answer.text.replaceAll(s1.saleId, "").replaceAll("SKOLE1-REFUND-0001", ""), null)).toEqual([]);

    const own = s2Ids();
    const s2Terminals = new Set(store.read((tx) => tx.all(db.selectFrom("terminals").select("id").where("canteen_id", "in", [...own.canteens]))).map((row) => row.id));
    const s2Accounts = store.read(
      (tx) =>
        new Set([
          ...tx.all(db.selectFrom("ledger_accounts").select("id").where("owner_user_id", "in", [...own.users])).map((row) => row.id),
          ...tx.all(db.selectFrom("canteens").select("revenue_account_id as id").where("tenant_id", "=", s2.fixture.tenantId)).map((row) => row.id),
        ]),
    );
    // Each table school 2 may write to, and how a row is seen to be school 2's.
    const ownedBySchool2: Record<string, (row: Record<string, any>) => boolean> = {
      users: (row) => row.tenant_id === s2.fixture.tenantId,
      cards: (row) => own.users.has(row.user_id),
      ledger_accounts: (row) => s2Accounts.has(row.id),
      canteens: (row) => row.tenant_id === s2.fixture.tenantId,
      sessions: (row) => own.users.has(row.user_id),
      audit_log: (row) => row.tenant_id === s2.fixture.tenantId,
      backoffice_submissions: (row) => own.users.has(row.actor_user_id ?? row.user_id) || row.tenant_id === s2.fixture.tenantId,
      login_attempts: (row) => row.username === `staff:${s2.adminEmail}`,
      // The sale and refund records of school 2's till (its declines); each names the terminal.
      sales: (row) => s2Terminals.has(row.terminal_id),
      refunds: (row) => s2Terminals.has(row.terminal_id),
      sales_scoped: (row) => s2Terminals.has(row.terminal_id),
      refunds_scoped: (row) => s2Terminals.has(row.terminal_id),
      declined_transfers: (row) => s2Accounts.has(row.credit_account_id) && s2Accounts.has(row.debit_account_id),
      // The sale and refund at school 2's till with school 1's ids move money between school 2's accounts only.
      transfers: (row) => s2Accounts.has(row.credit_account_id) && s2Accounts.has(row.debit_account_id),
      // The loopback address's sign-in throttle is every test client's (one address); a successful sign-in leaves it at no failures.
      login_throttles: (row) => row.scope === "address" && row.subject === "127.0.0.1" && row.failures === 0,
      // The cardholder search (FTS5) is keyed by user id; its shadow tables' ids are user ids too, while _data and
      // _idx are the index's own b-tree pages, which name no row (the rows they index are checked here).
      cardholder_search: (row) => own.users.has(row.__rowid),
      cardholder_search_content: (row) => own.users.has(row.id),
      cardholder_search_docsize: (row) => own.users.has(row.id),
      cardholder_search_data: () => true,
      cardholder_search_idx: () => true,
    };
    const changes = rowChanges(before, rowsByTable());
    const foreign = changes.filter((change) => !(ownedBySchool2[change.table]?.(change.row) && (!change.old || ownedBySchool2[change.table]!(change.old))));
    expect(
      foreign.map((change) => ({ ...change, row: JSON.stringify(change.row).slice(0, 300), old: JSON.stringify(change.old ?? null).slice(0, 300) })),
      JSON.stringify(changes.map((change) => [change.table, change.change])),
    ).toEqual([]);
    // The walk did write (school 2's new cards, staff member, canteen, declines, sale), so the check above had rows to look at.
    for (const table of ["users", "cards", "canteens", "sales", "refunds", "transfers", "sessions"]) expect(changes.some((change) => change.table === table), table).toBe(true);
  });

  test("every procedure of the table was actually called", () => {
    for (const [path, procedure] of Object.entries(procedures)) expect(walked.get(path) ?? 0, path).toBeGreaterThanOrEqual(procedure.stream ? 1 : procedure.callers.length * procedure.cases.length);
  });
});
