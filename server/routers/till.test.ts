// The browser till's procedures (till.*) over real HTTP: terminal-key auth, catalogue, holder photo, today's sales, refunds, pickup.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, startTestServer, tableCounts, type Fixture, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import { db } from "../../db/query.ts";
import { savePhoto } from "../services/portal.ts";
import { checkout } from "../services/orders/checkout.ts";
import { copenhagenDate, currentPeriodStarts } from "../../common/calendar.ts";
import type { OrderEvent } from "../events/bus.ts";

let server: TestServer;
let canteen: Fixture;
let otherSchool: Fixture;

beforeAll(async () => {
  server = await startTestServer({ tillOfflineMaxSaleOre: 3_000, maxSaleOre: 50_000 });
  canteen = await createCanteen(server.services.store, "Kantinen");
  otherSchool = await createCanteen(server.services.store, "Andet sted");
});
// The ledger must hold after every test, so a broken invariant points at the test that broke it.
afterEach(() => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

interface Answer<T = any> {
  status: number;
  data: T;
  error?: { message: string; data: { code: string } };
}

async function call<T = any>(key: string | null, path: string, input?: unknown, mutation = false): Promise<Answer<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key) headers.authorization = `Bearer ${key}`;
  const query = !mutation && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : "";
  const response = await fetch(`${server.url}/trpc/${path}${query}`, { method: mutation ? "POST" : "GET", headers, ...(mutation ? { body: JSON.stringify(input) } : {}) });
  const body = (await response.json()) as { result?: { data: T }; error?: Answer["error"] };
  return { status: response.status, data: body.result?.data as T, error: body.error };
}

const sell = (key: string, cardNumber: string, amountOre: number, items?: unknown) =>
  call(key, "pos.sale", { saleId: `till-${crypto.randomUUID()}`, cardNumber, amountOre, ...(items ? { items } : {}) }, true);
const balanceOf = (accountId: number) =>
  server.services.store.read((tx) => tx.first(db.selectFrom("ledger_accounts").select("balance_ore").where("id", "=", accountId))!.balance_ore);

function addProduct(fixture: Fixture, name: string, category: string, priceOre: number, active = 1): Promise<number> {
  return server.services.store.write(
    (tx) =>
      tx.run(db.insertInto("products").values({ canteen_id: fixture.canteenId, name, description: null, category, price_ore: priceOre, allergens: null, active, created_at: Date.now() }))
        .lastInsertRowid,
  );
}

describe("pairing and configuration", () => {
  test("till.config names the terminal and serves the offline limit; a missing, wrong or revoked key gets 401", async () => {
    const config = await call(canteen.terminalKey, "till.config");
    expect(config.status).toBe(200);
    expect(config.data).toMatchObject({ terminalId: canteen.terminalId, terminalName: "Kasse", canteenName: "Kantinen", offlineMaxSaleOre: 3_000, maxSaleOre: 50_000 });

    expect((await call(null, "till.config")).status).toBe(401);
    expect((await call("not-a-key-of-any-terminal-0000", "till.config")).status).toBe(401);

    const revoked = await createCanteen(server.services.store, "Lukket");
    expect((await call(revoked.terminalKey, "till.config")).status).toBe(200);
    await server.services.store.write((tx) => tx.run(db.updateTable("terminals").set({ revoked_at: Date.now() }).where("id", "=", revoked.terminalId)));
    for (const path of ["till.config", "till.catalogue", "till.salesToday"]) expect((await call(revoked.terminalKey, path)).status).toBe(401);
  });

  test("the offline limit is never above the largest sale the server approves", async () => {
    const small = await startTestServer({ tillOfflineMaxSaleOre: 90_000, maxSaleOre: 20_000 });
    try {
      const fixture = await createCanteen(small.services.store);
      const response = await fetch(`${small.url}/trpc/till.config`, { headers: { authorization: `Bearer ${fixture.terminalKey}` } });
      expect(((await response.json()) as any).result.data.offlineMaxSaleOre).toBe(20_000);
    } finally {
      await small.close();
    }
  });
});

describe("catalogue and cardholder", () => {
  test("the catalogue is the active products of the terminal's own canteen, by category", async () => {
    await addProduct(canteen, "Dagens ret", "Dagens ret", 3_500);
    await addProduct(canteen, "Frugt", "Snacks", 800);
    await addProduct(canteen, "Gammel kage", "Snacks", 1_000, 0);
    await addProduct(otherSchool, "Fremmed ret", "Dagens ret", 4_000);
    const catalogue = await call<Array<{ id: number; name: string; category: string; priceOre: number }>>(canteen.terminalKey, "till.catalogue");
    expect(catalogue.data.map(({ name, category, priceOre }) => ({ name, category, priceOre }))).toEqual([
      { name: "Dagens ret", category: "Dagens ret", priceOre: 3_500 },
      { name: "Frugt", category: "Snacks", priceOre: 800 },
    ]);
  });

  test("the holder's name and photo, nothing else, and nothing for another school's card", async () => {
    const png = new Uint8Array(Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a9f5e1a50000000049454e44ae426082", "hex"));
    const card = await createCard(server.services.store, canteen, { balanceOre: 1_000, name: "Alma Holm", email: "alma@example.dk" });
    await server.services.store.write((tx) => savePhoto(tx, card.userId, "image/png", png));
    const holder = await call(canteen.terminalKey, "till.cardholder", { cardNumber: card.cardNumber });
    expect(holder.data).toEqual({ name: "Alma Holm", photoDataUrl: `data:image/png;base64,${Buffer.from(png).toString("base64")}` });

    const plain = await createCard(server.services.store, canteen, { name: "Bo Ravn" });
    expect((await call(canteen.terminalKey, "till.cardholder", { cardNumber: plain.cardNumber })).data).toEqual({ name: "Bo Ravn", photoDataUrl: null });
    // The other school's terminal does not learn who holds this card.
    expect((await call(otherSchool.terminalKey, "till.cardholder", { cardNumber: card.cardNumber })).data).toBeNull();
    const bad = await call(canteen.terminalKey, "till.cardholder", { cardNumber: "12ab" });
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/cardNumber/);
  });
});

describe("today's sales and refunds", () => {
  test("lists this till's sales of today with totals; a part refund, its replay and the rest", async () => {
    const fixture = await createCanteen(server.services.store, "Salg");
    const card = await createCard(server.services.store, fixture, { balanceOre: 10_000 });
    const first = await sell(fixture.terminalKey, card.cardNumber, 3_500, [{ name: "Dagens ret", quantity: 1, unitPriceOre: 3_500 }]);
    const second = await sell(fixture.terminalKey, card.cardNumber, 1_600, [{ name: "Frugt", quantity: 2, unitPriceOre: 800 }]);
    const declined = await sell(fixture.terminalKey, card.cardNumber, 9_000);
    expect([first.data.status, second.data.status, declined.data.status]).toEqual(["approved", "approved", "declined"]);
    expect(balanceOf(card.accountId)).toBe(4_900);

    const refundId = `refund-${crypto.randomUUID()}`;
    const part = await call(fixture.terminalKey, "till.refund", { refundId, saleId: second.data.saleId, amountOre: 800 }, true);
    expect(part.data).toMatchObject({ status: "approved", amountOre: 800, balanceOre: 5_700, replayed: false });
    const replay = await call(fixture.terminalKey, "till.refund", { refundId, saleId: second.data.saleId, amountOre: 800 }, true);
    expect(replay.data).toMatchObject({ status: "approved", amountOre: 800, replayed: true });
    expect(balanceOf(card.accountId)).toBe(5_700);
    const rest = await call(fixture.terminalKey, "till.refund", { refundId: `refund-${crypto.randomUUID()}`, saleId: second.data.saleId }, true);
    expect(rest.data).toMatchObject({ status: "approved", amountOre: 800, balanceOre: 6_500 });

    const day = await call(fixture.terminalKey, "till.salesToday");
    expect(day.data.totals).toEqual({ approvedCount: 2, approvedOre: 5_100, refundedOre: 1_600, netOre: 3_500, declinedCount: 1 });
    expect(day.data.sales).toHaveLength(3);
    const listed = day.data.sales.find((sale: { saleId: string }) => sale.saleId === second.data.saleId);
    expect(listed).toEqual({
      saleId: second.data.saleId,
      cardLast4: card.cardNumber.slice(-4),
      amountOre: 1_600,
      refundedOre: 1_600,
      items: [{ name: "Frugt", quantity: 2, unitPriceOre: 800 }],
      status: "approved",
      reason: null,
      message: null,
      createdAt: expect.any(Number),
    });
    expect(day.data.sales.find((sale: { saleId: string }) => sale.saleId === declined.data.saleId)).toMatchObject({
      status: "declined",
      reason: "insufficient_funds",
      message: { da: "Ikke penge nok på kortet" },
    });
    // The full card number never leaves the server in this list.
    expect(JSON.stringify(day.data)).not.toContain(card.cardNumber);
  });

  test("another till's sale, or a sale before today, is not refunded here and moves no money", async () => {
    const fixture = await createCanteen(server.services.store, "Refusion");
    const card = await createCard(server.services.store, fixture, { balanceOre: 10_000 });
    const foreign = await sell(canteen.terminalKey, (await createCard(server.services.store, canteen, { balanceOre: 5_000 })).cardNumber, 1_000);
    const before = tableCounts(server.services.store);
    const refused = await call(fixture.terminalKey, "till.refund", { refundId: `refund-${crypto.randomUUID()}`, saleId: foreign.data.saleId }, true);
    expect(refused.data).toMatchObject({ status: "declined", reason: "sale_not_found", message: { da: "Salget findes ikke" } });

    const old = await sell(fixture.terminalKey, card.cardNumber, 2_000);
    const yesterday = currentPeriodStarts(Date.now()).dayStartMs - 60_000;
    await server.services.store.write((tx) => tx.run(db.updateTable("sales").set({ created_at: yesterday }).where("id", "=", old.data.saleId)));
    const counts = tableCounts(server.services.store);
    const late = await call(fixture.terminalKey, "till.refund", { refundId: `refund-${crypto.randomUUID()}`, saleId: old.data.saleId }, true);
    expect(late.data).toMatchObject({ status: "declined", reason: "sale_not_found" });
    expect(tableCounts(server.services.store)).toEqual(counts);
    expect(balanceOf(card.accountId)).toBe(8_000);
    expect(before.refunds).toBe(counts.refunds);
    expect((await call(fixture.terminalKey, "till.salesToday")).data.sales).toEqual([]);

    const bad = await call(fixture.terminalKey, "till.refund", { refundId: "x", saleId: old.data.saleId, amountOre: -5 }, true);
    expect(bad.status).toBe(400);
    expect(bad.error?.message).toMatch(/refundId/);
    expect(bad.error?.message).toMatch(/amountOre/);
  });
});

describe("pickup", () => {
  test("by card: today's orders become Udleveret, the kitchen and the holder get the event, a repeat says already handed over", async () => {
    const fixture = await createCanteen(server.services.store, "Afhentning");
    const card = await createCard(server.services.store, fixture, { balanceOre: 10_000, name: "Carl Dam" });
    const productId = await addProduct(fixture, "Dagens ret", "Dagens ret", 3_500);
    const today = copenhagenDate(Date.now());
    // Ordered just after midnight, before the cut-off, as a pupil would have the evening before.
    const orderedAt = currentPeriodStarts(Date.now()).dayStartMs + 60_000;
    const placed = await server.services.store.write((tx) => {
      tx.run(db.insertInto("menu_items").values({ canteen_id: fixture.canteenId, delivery_day: today, product_id: productId, quantity_limit: null }));
      return checkout(tx, card.userId, { accountId: card.accountId, canteenId: fixture.canteenId, deliveryDay: today, lines: [{ productId, quantity: 2, comment: "Uden løg" }], idempotencyKey: "till-pickup-0001" }, orderedAt);
    });
    if (!placed.ok) throw new Error(`checkout failed: ${placed.reason}`);
    const kitchen: OrderEvent[] = [];
    const holder: OrderEvent[] = [];
    const stopKitchen = server.services.bus.subscribe("order", `${fixture.canteenId}:${today}`, (event) => kitchen.push(event));
    const stopHolder = server.services.bus.subscribe("order", card.userId, (event) => holder.push(event));

    // Another school's till cannot hand this order over.
    expect((await call(otherSchool.terminalKey, "till.pickup", { cardNumber: card.cardNumber }, true)).data).toEqual({ delivered: [], alreadyDelivered: [] });

    const pickup = await call(fixture.terminalKey, "till.pickup", { cardNumber: card.cardNumber }, true);
    expect(pickup.data).toEqual({
      delivered: [{ orderNumber: placed.order.orderNumber, cardholderName: "Carl Dam", totalOre: 7_000, lines: [{ name: "Dagens ret", quantity: 2, comment: "Uden løg" }] }],
      alreadyDelivered: [],
    });
    expect(kitchen.map((event) => event.order.status)).toEqual(["delivered"]);
    expect(holder.map((event) => event.order.status)).toEqual(["delivered"]);

    const again = await call(fixture.terminalKey, "till.pickup", { orderNumber: placed.order.orderNumber.toLowerCase() }, true);
    expect(again.data).toMatchObject({ delivered: [], alreadyDelivered: [{ orderNumber: placed.order.orderNumber }] });
    expect(kitchen).toHaveLength(1);
    stopKitchen();
    stopHolder();

    const bad = await call(fixture.terminalKey, "till.pickup", { orderNumber: "12" }, true);
    expect(bad.status).toBe(400);
  });
});
