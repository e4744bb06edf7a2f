// The canteen-grade back office over real HTTP (issue 14): products edited, repriced, taken off sale, a portion limit kept
// when ticked onto a day; several canteens; the audit log in words with filters and paging; payouts newest first; card
// paging beyond 50; and a block that reaches the cardholder's and guardian's open pages live.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { until } from "../testing/sse-client.ts";
import type { PortalEvent } from "./accounts.ts";
import { formatOre } from "../../common/money.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;
let canteenId: number;
const formKey = () => crypto.randomUUID();
const today = () => copenhagenDate(Date.now());

async function staffLogin(email: string, password: string) {
  const client = new PortalClient(server.url);
  expect((await client.mutate("backoffice.login", { email, password })).data).toMatchObject({ ok: true });
  return client;
}

type AuditEntry = { id: number; action: string; actor: string; actorUserId: number; summary: { da: string; en: string }; createdAt: number };

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = await staffLogin("admin@kantinekort.local", "Admin2026!");
  staff = await staffLogin("kantine@kantinekort.local", "Kantine2026!");
  canteenId = ((await admin.query("backoffice.me")).data as { canteens: Array<{ canteenId: number }> }).canteens[0]!.canteenId;
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

describe("products", () => {
  test("a product is created with a portion limit, repriced, edited and taken off sale; ticking it onto a day keeps the limit and the week names its days", async () => {
    const created = await staff.mutate("backoffice.saveProduct", { canteenId, name: "Lasagne", category: "Dagens ret", priceOre: 3_500, active: true, portionLimit: 12, idempotencyKey: formKey() });
    const productId = created.data.productId as number;
    const find = async () => ((await staff.query("backoffice.products", { canteenId })).data as Array<{ productId: number; priceOre: number; active: boolean; portionLimit: number | null; name: string }>).find((product) => product.productId === productId)!;
    expect(await find()).toMatchObject({ name: "Lasagne", priceOre: 3_500, active: true, portionLimit: 12 });

    // Ticked onto a day without a limit of its own: the day gets the product's 12 portions (it used to be dropped).
    const day = addDays(today(), 1);
    const ticked = await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: day, productId, offered: true });
    expect(ticked.data).toEqual({ ok: true, quantityLimit: 12 });
    type MenuDay = { day: string; weekday: { da: string; en: string }; items: Array<{ productId: number; quantityLimit: number | null; ordered: number }> };
    const week = async () => (await staff.query("backoffice.menuWeek", { canteenId, days: [day, addDays(day, 1)] })).data as MenuDay[];
    const first = (await week())[0]!;
    expect(first.items).toContainEqual({ productId, quantityLimit: 12, ordered: 0 });
    const weekday = new Intl.DateTimeFormat("da-DK", { weekday: "long", timeZone: "UTC" }).format(new Date(`${day}T12:00:00Z`));
    expect(first.weekday.da).toBe(weekday);
    expect((await week())[1]!.weekday.da).not.toBe(weekday);
    // The cardholder's webshop sees the 12 portions.
    const cardholder = new PortalClient(server.url);
    await cardholder.login("12345678901234", "482913");
    const menu = async () => (await cardholder.query("webshop.menu", { canteenId, deliveryDay: day })).data as Array<{ productId: number; remaining: number | null; priceOre: number }>;
    expect((await menu()).find((item) => item.productId === productId)).toMatchObject({ remaining: 12, priceOre: 3_500 });
    // A day's own limit is kept when the product is ticked again; null clears it.
    await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: day, productId, offered: true, quantityLimit: 5 });
    expect((await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: day, productId, offered: true })).data).toEqual({ ok: true, quantityLimit: 5 });

    // Repriced and renamed: the webshop sells at the new price.
    const edit = { productId, canteenId, name: "Lasagne al forno", category: "Dagens ret", priceOre: 4_000, active: true, idempotencyKey: formKey() };
    expect((await staff.mutate("backoffice.saveProduct", edit)).data).toEqual({ productId });
    expect(await find()).toMatchObject({ name: "Lasagne al forno", priceOre: 4_000, portionLimit: 12 });
    expect((await menu()).find((item) => item.productId === productId)).toMatchObject({ priceOre: 4_000 });
    // Taken off sale: gone from the webshop, still in the catalogue; and back.
    expect((await staff.mutate("backoffice.setProductActive", { productId, active: false })).data).toEqual({ ok: true });
    expect((await menu()).some((item) => item.productId === productId)).toBe(false);
    expect(await find()).toMatchObject({ active: false });
    await staff.mutate("backoffice.setProductActive", { productId, active: true });
    expect((await menu()).some((item) => item.productId === productId)).toBe(true);

    const summaries = ((await admin.query("backoffice.audit", { actions: ["product.update"] })).data.entries as AuditEntry[]).map((entry) => entry.summary.da);
    expect(summaries).toContain(`Vare ændret: Lasagne al forno, pris ${formatOre(3_500)} → ${formatOre(4_000)}`);
    expect(summaries).toContain("Vare ændret: Lasagne al forno, taget af salg");
  });
});

describe("several canteens per school", () => {
  test("an administrator creates a canteen; tills, screens, products and menus choose it; its sales are reported apart; another school's canteen is refused", async () => {
    const input = { name: "Kantinen Øst", idempotencyKey: formKey() };
    expect((await staff.mutate("backoffice.createCanteen", input)).error?.data.code).toBe("FORBIDDEN");
    const created = await admin.mutate("backoffice.createCanteen", input);
    expect((await admin.mutate("backoffice.createCanteen", input)).data).toEqual(created.data);
    const east = created.data.canteenId as number;
    expect((await admin.mutate("backoffice.createCanteen", { name: "kantinen øst", idempotencyKey: formKey() })).error?.data.code).toBe("CONFLICT");
    expect(((await staff.query("backoffice.me")).data as { canteens: Array<{ canteenId: number; name: string }> }).canteens.map((canteen) => canteen.name)).toEqual(["Kantinen", "Kantinen Øst"]);

    const till = (await admin.mutate("backoffice.createDevice", { kind: "terminal", canteenId: east, name: "Kasse Øst", idempotencyKey: formKey() })).data as { id: number; secret: string };
    const screen = await admin.mutate("backoffice.createDevice", { kind: "screen", canteenId: east, name: "Skærm Øst", idempotencyKey: formKey() });
    const devices = (await admin.query("backoffice.devices")).data as Array<{ id: number; kind: string; canteenId: number; canteen: string }>;
    expect(devices).toContainEqual(expect.objectContaining({ id: till.id, kind: "terminal", canteenId: east, canteen: "Kantinen Øst" }));
    expect(devices).toContainEqual(expect.objectContaining({ id: screen.data.id, kind: "screen", canteenId: east }));
    const product = (await staff.mutate("backoffice.saveProduct", { canteenId: east, name: "Østsuppe", category: "Suppe", priceOre: 2_000, active: true, idempotencyKey: formKey() })).data.productId as number;
    expect(((await staff.query("backoffice.products", { canteenId: east })).data as Array<{ productId: number }>).map((row) => row.productId)).toEqual([product]);
    expect(((await staff.query("backoffice.products", { canteenId })).data as Array<{ productId: number }>).some((row) => row.productId === product)).toBe(false);
    expect((await staff.mutate("backoffice.setMenuItem", { canteenId: east, deliveryDay: today(), productId: product, offered: true })).data).toMatchObject({ ok: true });
    // A product of one canteen cannot go on another canteen's menu.
    expect((await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: today(), productId: product, offered: true })).error?.data.code).toBe("NOT_FOUND");

    const sale = await fetch(`${server.url}/trpc/pos.sale`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${till.secret}` },
      body: JSON.stringify({ saleId: `east-${formKey()}`, cardNumber: "12345678901234", amountOre: 2_000, items: [{ name: "Østsuppe", quantity: 1, unitPriceOre: 2_000 }] }),
    });
    expect((await sale.json()).result.data).toMatchObject({ status: "approved" });
    const report = (await staff.query("backoffice.report", { day: today() })).data as { salesByCanteen: Array<{ canteen: string; salesOre: number }> };
    expect(report.salesByCanteen).toContainEqual({ canteen: "Kantinen Øst", salesOre: 2_000, count: 1 });

    const elsewhere = await createCanteen(server.services.store, "Fremmed");
    for (const [path, call] of [
      ["products", () => staff.query("backoffice.products", { canteenId: elsewhere.canteenId })],
      ["menuWeek", () => staff.query("backoffice.menuWeek", { canteenId: elsewhere.canteenId, days: [today()] })],
      ["saveProduct", () => staff.mutate("backoffice.saveProduct", { canteenId: elsewhere.canteenId, name: "X", category: "Y", priceOre: 1, active: true, idempotencyKey: formKey() })],
      ["createDevice", () => admin.mutate("backoffice.createDevice", { kind: "terminal", canteenId: elsewhere.canteenId, name: "X", idempotencyKey: formKey() })],
      ["setOrderCutoff", () => staff.mutate("backoffice.setOrderCutoff", { canteenId: elsewhere.canteenId, time: "09:00" })],
    ] as const) {
      expect((await call()).error?.data.code, path).toBe("NOT_FOUND");
    }
  });
});

describe("audit log", () => {
  test("entries read in Danish with card, holder, amount and reason; filter by staff member, kind and day; page through without gaps or repeats", async () => {
    const card = ((await staff.query("backoffice.searchCards", { query: "12345678901237" })).data as Array<{ cardId: number; accountId: number }>)[0]!;
    await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "blocked" });
    await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "active" });
    await admin.mutate("backoffice.correct", { accountId: card.accountId, amountOre: 1_250, direction: "credit", reason: "Glemt byttepenge", idempotencyKey: `audit-${formKey()}` });

    const page = async (input: Record<string, unknown>) => (await admin.query("backoffice.audit", input)).data as { entries: AuditEntry[]; nextBeforeId: number | null };
    const correction = (await page({ actions: ["ledger.correction"] })).entries[0]!;
    expect(correction.summary.da).toBe(`Korrektion: kort 1234 5678 9012 37 (uden navn), ${formatOre(1_250)} indsat, årsag: Glemt byttepenge`);
    expect(correction.summary.en).toBe(`Correction: card 1234 5678 9012 37 (no name), ${formatOre(1_250)} credited, reason: Glemt byttepenge`);

    const staffId = ((await staff.query("backoffice.me")).data as { userId: number }).userId;
    const byStaff = (await page({ actorUserId: staffId, limit: 200 })).entries;
    expect(byStaff.length).toBeGreaterThanOrEqual(2);
    expect(new Set(byStaff.map((entry) => entry.actor))).toEqual(new Set(["kantine@kantinekort.local"]));
    const blocks = (await page({ actions: ["card.block", "card.unblock"], actorUserId: staffId })).entries;
    expect(blocks.map((entry) => entry.summary.da).slice(0, 2)).toEqual(["Spærring ophævet: kort 1234 5678 9012 37 (uden navn)", "Kort spærret: kort 1234 5678 9012 37 (uden navn)"]);
    expect((await page({ from: addDays(today(), 1) })).entries).toEqual([]);
    expect((await page({ to: addDays(today(), -1) })).entries).toEqual([]);
    expect((await page({ from: today(), to: today(), limit: 200 })).entries.length).toBe((await page({ limit: 200 })).entries.length);

    // Paging by two: every entry once, newest first, the last page says so.
    const all = (await page({ limit: 200 })).entries.map((entry) => entry.id);
    const paged: number[] = [];
    let beforeId: number | null | undefined;
    for (;;) {
      const next = await page({ limit: 2, ...(beforeId ? { beforeId } : {}) });
      paged.push(...next.entries.map((entry) => entry.id));
      if (next.nextBeforeId === null) break;
      beforeId = next.nextBeforeId;
    }
    expect(paged).toEqual(all);
    expect([...all].sort((a, b) => b - a)).toEqual(all);
  });
});

describe("payouts and cards", () => {
  test("payouts are listed newest first with their request date, message and card; the pending filter shows only undecided ones", async () => {
    const holder = new PortalClient(server.url);
    await holder.login("12345678901234", "482913");
    const accountId = ((await holder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    const request = (message: string) =>
      holder.mutate("payouts.request", { accountId, name: "Testbruger A", registrationNumber: "1234", bankAccountNumber: "1234567890", message, amountOre: 100, idempotencyKey: `list-${formKey()}` });
    await request("Første");
    await request("Anden");
    type Listed = { payoutId: number; message: string | null; createdAt: number; status: string; cardNumber: string | null };
    const listed = (await admin.query("backoffice.payouts", { status: "all" })).data as Listed[];
    expect(listed.slice(0, 2).map((payout) => payout.message)).toEqual(["Anden", "Første"]);
    expect(listed[0]).toMatchObject({ status: "pending", cardNumber: "12345678901234", createdAt: expect.any(Number) });
    await admin.mutate("backoffice.decidePayout", { payoutId: listed[0]!.payoutId, status: "paid" });
    const pending = (await admin.query("backoffice.payouts", { status: "pending" })).data as Listed[];
    expect(pending.every((payout) => payout.status === "pending")).toBe(true);
    expect(pending.map((payout) => payout.payoutId)).not.toContain(listed[0]!.payoutId);
    // The bank file keeps the order they were asked in.
    const csv = (await admin.query("backoffice.payoutsCsv")).data as string;
    expect(csv.split("\r\n")[1]).toMatch(new RegExp(`^${Math.min(...pending.map((payout) => payout.payoutId))};`));
  });

  test("the card list pages beyond 50: every card once across pages, and a count for the whole search", async () => {
    // Written straight into the database (a class-list import would spend 55 argon2 hashes on codes nobody uses here).
    const demoSchool = { tenantId: 1, canteenId, revenueAccountId: 0, clearingAccountId: 0, terminalId: 0, terminalKey: "" };
    for (let index = 0; index < 55; index += 1) await createCard(server.services.store, demoSchool, { name: `Side Elev PAGE9 ${String(index).padStart(2, "0")}` });
    type Row = { cardNumber: string; name: string };
    const first = (await staff.query("backoffice.searchCards", { query: "PAGE9" })).data as Row[];
    const second = (await staff.query("backoffice.searchCards", { query: "PAGE9", offset: 50 })).data as Row[];
    expect(first).toHaveLength(50);
    expect(second).toHaveLength(5);
    expect(new Set([...first, ...second].map((row) => row.cardNumber)).size).toBe(55);
    expect(second.map((row) => row.name)).toEqual(["Side Elev PAGE9 50", "Side Elev PAGE9 51", "Side Elev PAGE9 52", "Side Elev PAGE9 53", "Side Elev PAGE9 54"]);
    expect((await staff.query("backoffice.countCards", { query: "PAGE9" })).data).toEqual({ total: 55, capped: false });
  });
});

describe("live", () => {
  test("blocking a card in the back office reaches the holder's and the guardian's open pages at once; unblocking too", async () => {
    // Demo card 12345678901235 has Testbruger C (12345678901236) as guardian.
    const child = new PortalClient(server.url);
    await child.login("12345678901235", "730155");
    const guardian = new PortalClient(server.url);
    await guardian.login("12345678901236", "615004");
    type CardStatus = Extract<PortalEvent, { type: "cardStatus" }>;
    const childStream = openPortalStream<PortalEvent>(server.url, child.cookie!, null);
    const guardianStream = openPortalStream<PortalEvent>(server.url, guardian.cookie!, null);
    const statuses = (stream: typeof childStream) => stream.events.filter((event): event is { id: string; data: CardStatus } => event.data.type === "cardStatus").map((event) => event.data.status);
    try {
      await until(childStream.ready, "the child's stream");
      await until(guardianStream.ready, "the guardian's stream");
      const card = ((await staff.query("backoffice.searchCards", { query: "12345678901235" })).data as Array<{ cardId: number; accountId: number }>)[0]!;
      expect((await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "blocked" })).data).toEqual({ ok: true });
      await until(() => statuses(childStream).length === 1 && statuses(guardianStream).length === 1, "the block on both streams");
      expect(childStream.events.find((event) => event.data.type === "cardStatus")!.data).toMatchObject({ accountId: card.accountId, cardNumber: "12345678901235", status: "blocked" });
      // The same status again is no change and no event; unblocking is.
      await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "blocked" });
      await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "active" });
      await until(() => statuses(childStream).length === 2, "the unblock");
      expect(statuses(childStream)).toEqual(["blocked", "active"]);
      await until(() => statuses(guardianStream).length === 2, "the unblock on the guardian's stream");
      expect(statuses(guardianStream)).toEqual(["blocked", "active"]);
      // A stranger's stream hears nothing of it.
      const stranger = await createCard(server.services.store, { tenantId: 1, canteenId, revenueAccountId: 0, clearingAccountId: 0, terminalId: 0, terminalKey: "" }, { code: "111111", name: "Fremmed", email: "fremmed@example.dk" });
      const other = new PortalClient(server.url);
      await other.login(stranger.cardNumber, "111111");
      const otherStream = openPortalStream<PortalEvent>(server.url, other.cookie!, null);
      try {
        await until(otherStream.ready, "the stranger's stream");
        await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "blocked" });
        await until(() => statuses(childStream).length === 3, "the second block");
        expect(statuses(otherStream)).toEqual([]);
      } finally {
        otherStream.stop();
        await staff.mutate("backoffice.setCardStatus", { cardId: card.cardId, status: "active" });
      }
    } finally {
      childStream.stop();
      guardianStream.stop();
    }
  });
});
