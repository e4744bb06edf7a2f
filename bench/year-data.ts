// Builds a database shaped like one big school's year (issue 27) through the application's own write functions.
import { existsSync, rmSync } from "node:fs";
import { openStore } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { db } from "../db/query.ts";
import { hashApiKey } from "../server/auth/terminal.ts";
import { openAccount, postTransfer, systemAccount } from "../server/ledger/ledger.ts";
import { addDays, copenhagenLocalToUtc } from "../common/calendar.ts";
import { recordSale, type TerminalIdentity } from "../server/services/pos.ts";
import { checkout } from "../server/services/orders/checkout.ts";

export interface YearShape {
  /** Till sales in the year (3,000,000 for a big school). */
  sales: number;
  /** Cardholders: 20,000 at 3M sales, scaled with the sales below that (at least 500). */
  cardholders: number;
  /** Webshop orders: about 3 % of the sales. */
  orders: number;
}

export interface YearDatabase {
  path: string;
  tenantId: number;
  canteenId: number;
  terminals: TerminalIdentity[];
  /** The school days, "YYYY-MM-DD", first to last. */
  days: string[];
  counts: { sales: number; approved: number; deposits: number; orders: number; cardholders: number };
  /** Card numbers of the cardholders, index = cardholder number. */
  cardNumber: (index: number) => string;
  /** The terminal keys, in the order of `terminals`. */
  terminalKeys: string[];
}

export function yearShape(sales: number): YearShape {
  return { sales, cardholders: Math.max(500, Math.round((sales / 3_000_000) * 20_000)), orders: Math.round(sales * 0.031) };
}

/** Danish surnames and first names, so the cardholder search has something realistic to look for. */
const SURNAMES = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen", "Møller", "Mortensen"];
const FIRST_NAMES = ["Søren", "Mette", "Anne", "Peter", "Emma", "Noah", "Ida", "Oscar", "Freja", "William", "Clara", "Lucas", "Alma", "Æble", "Øjvind", "Åse", "Karl", "Sofie", "Malthe", "Ella"];
const TERMINALS = 4;
const TILL_ITEMS: Array<[string, number]> = [["Frugt", 800], ["Mælk 0,5 l", 900], ["Rugbrødsmad", 2_200], ["Vegetarret", 3_200], ["Dagens ret", 3_500], ["Pastasalat", 4_000], ["Burger", 4_300]];
const DEPOSIT_ORE = 30_000;

export function yearCardNumber(index: number): string {
  return `7${String(index).padStart(13, "0")}`;
}

/** Aug 11 2025 – Jun 26 2026, Monday to Friday, without the autumn, Christmas and winter holidays. */
export function schoolDays(): string[] {
  const holidays: Array<[string, string]> = [
    ["2025-10-13", "2025-10-17"],
    ["2025-12-22", "2026-01-02"],
    ["2026-02-09", "2026-02-13"],
    ["2026-03-30", "2026-04-06"],
  ];
  const days: string[] = [];
  for (let day = "2025-08-11"; day <= "2026-06-26"; day = addDays(day, 1)) {
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    if (holidays.some(([from, to]) => day >= from && day <= to)) continue;
    days.push(day);
  }
  return days;
}

/** A small deterministic random source (mulberry32), so two builds of the same size are the same database. */
function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function dayParts(day: string): [number, number, number] {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return [year, month, date];
}

/**
 * Writes the year into `path` (any file there is replaced).
 * Sales go through `recordSale`, deposits through `postTransfer`, orders through `checkout`: the result passes
 * `ledger:check` because the ledger wrote it.
 */
export async function buildYearDatabase(path: string, shape: YearShape, log: (line: string) => void = () => {}): Promise<YearDatabase> {
  // Built in place: the bench writes its marker (the .json beside it) only after a build finished, so a half-built
  // file is never reused. (Renaming a file that this process had open confuses SQLite's shared-memory bookkeeping.)
  const building = path;
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${building}${suffix}`, { force: true });
  await migrateToLatest(building);
  const store = openStore({ path: building, synchronous: "NORMAL" });
  const random = randomSource(shape.sales);
  const days = schoolDays();
  const firstMorning = copenhagenLocalToUtc(...dayParts(days[0]!), 7, 0) - 86_400_000;
  const terminalKeys = Array.from({ length: TERMINALS }, (_, index) => `year-terminal-key-${String(index + 1).padStart(14, "0")}`);

  const setup = await store.write((tx) => {
    const tenantId = tx.run(db.insertInto("tenants").values({ name: "Stor Skole", created_at: firstMorning })).lastInsertRowid;
    const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: "Kantinen omsætning", code: "revenue:year" }, firstMorning);
    const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name: "Kantinen", revenue_account_id: revenueAccountId, created_at: firstMorning })).lastInsertRowid;
    const terminals = terminalKeys.map((key, index) => {
      const terminalId = tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: `Kasse ${index + 1}`, api_key_hash: hashApiKey(key), created_at: firstMorning })).lastInsertRowid;
      return { terminalId, terminalName: `Kasse ${index + 1}`, canteenId, canteenName: "Kantinen", tenantId, revenueAccountId } satisfies TerminalIdentity;
    });
    const productIds = [
      ["Dagens ret", "Dagens ret", 3_500],
      ["Vegetarret", "Dagens ret", 3_200],
      ["Sandwich", "Sandwich", 2_200],
    ].map(([name, category, priceOre]) =>
      tx.run(db.insertInto("products").values({ canteen_id: canteenId, name: String(name), category: String(category), price_ore: Number(priceOre), description: null, allergens: null, active: 1, created_at: firstMorning })).lastInsertRowid,
    );
    for (const day of days) for (const productId of productIds) tx.run(db.insertInto("menu_items").values({ canteen_id: canteenId, delivery_day: day, product_id: productId, quantity_limit: null }));
    return { tenantId, canteenId, terminals, productIds };
  });

  // Cardholders, 1,000 to a transaction, each with a first deposit.
  const accountIds: number[] = [];
  const userIds: number[] = [];
  const balances: number[] = [];
  let deposits = 0;
  for (let start = 0; start < shape.cardholders; start += 1_000) {
    await store.write((tx) => {
      const clearing = systemAccount(tx, "acquirer_clearing", firstMorning);
      for (let index = start; index < Math.min(shape.cardholders, start + 1_000); index += 1) {
        const name = `${FIRST_NAMES[index % FIRST_NAMES.length]} ${SURNAMES[Math.floor(index / FIRST_NAMES.length) % SURNAMES.length]}`;
        const userId = tx.run(
          db.insertInto("users").values({ tenant_id: setup.tenantId, role: "cardholder", name, email: `elev${index}@skole.example.dk`, school: "Stor Skole", class_name: `${7 + (index % 3)}${"ABCD"[index % 4]}`, track: null, created_at: firstMorning }),
        ).lastInsertRowid;
        const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, firstMorning);
        tx.run(db.insertInto("cards").values({ card_number: yearCardNumber(index), user_id: userId, account_id: accountId, verification_code_hash: "x", status: "active", created_at: firstMorning }));
        postTransfer(tx, { id: `year:deposit:${index}:0`, debitAccountId: clearing, creditAccountId: accountId, amountOre: DEPOSIT_ORE, kind: "deposit", description: "Indbetaling" }, firstMorning);
        accountIds.push(accountId);
        userIds.push(userId);
        balances.push(DEPOSIT_ORE);
        deposits += 1;
      }
    });
  }

  const salesPerDay = Math.ceil(shape.sales / days.length);
  const ordersPerDay = Math.ceil(shape.orders / days.length);
  let sales = 0;
  let approved = 0;
  let orders = 0;
  const started = performance.now();
  for (const [dayIndex, day] of days.entries()) {
    const parts = dayParts(day);
    const morning = copenhagenLocalToUtc(...parts, 7, 30);
    const lunch = copenhagenLocalToUtc(...parts, 10, 30);
    const todaysSales = Math.min(salesPerDay, shape.sales - sales);
    const todaysOrders = Math.min(ordersPerDay, shape.orders - orders);
    // Morning: top-ups for the cards that run low (a parent's deposit), then the webshop's orders before cut-off.
    await store.write((tx) => {
      const clearing = systemAccount(tx, "acquirer_clearing", morning);
      for (let index = 0; index < shape.cardholders; index += 1) {
        if (balances[index]! >= 6_000 || random() > 0.6) continue;
        postTransfer(tx, { id: `year:deposit:${index}:${day}`, debitAccountId: clearing, creditAccountId: accountIds[index]!, amountOre: DEPOSIT_ORE, kind: "deposit", description: "Indbetaling" }, morning + index);
        balances[index]! += DEPOSIT_ORE;
        deposits += 1;
      }
      for (let order = 0; order < todaysOrders; order += 1) {
        const index = Math.floor(random() * shape.cardholders);
        const productIndex = Math.floor(random() * setup.productIds.length);
        const result = checkout(
          tx,
          userIds[index]!,
          { accountId: accountIds[index]!, canteenId: setup.canteenId, deliveryDay: day, lines: [{ productId: setup.productIds[productIndex]!, quantity: 1 }], idempotencyKey: `year:${day}:${order}` },
          morning + 60_000 + order,
        );
        orders += 1;
        if (result.ok) balances[index]! -= result.order.totalOre;
      }
    });
    // Lunch: the tills, 5,000 sales to a transaction, spread over two and a half hours.
    for (let first = 0; first < todaysSales; first += 5_000) {
      await store.write((tx) => {
        for (let offset = first; offset < Math.min(todaysSales, first + 5_000); offset += 1) {
          const index = Math.floor(random() * shape.cardholders);
          const [itemName, amountOre] = TILL_ITEMS[Math.floor(random() * TILL_ITEMS.length)]!;
          const terminal = setup.terminals[offset % TERMINALS]!;
          const outcome = recordSale(
            tx,
            terminal,
            { saleId: `Y${dayIndex}-${offset}`, cardNumber: yearCardNumber(index), amountOre, items: [{ name: itemName, quantity: 1, unitPriceOre: amountOre }] },
            { maxSaleOre: 100_000, nowMs: lunch + Math.floor((offset / todaysSales) * 9_000_000) },
          );
          if (outcome.result.status === "approved") {
            approved += 1;
            balances[index] = outcome.result.balanceOre!;
          }
          sales += 1;
        }
      });
    }
    if (dayIndex % 20 === 0) log(`  ${day}: ${sales.toLocaleString("en")} sales, ${deposits.toLocaleString("en")} deposits, ${orders.toLocaleString("en")} orders (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }
  await store.close();
  return {
    path,
    tenantId: setup.tenantId,
    canteenId: setup.canteenId,
    terminals: setup.terminals,
    days,
    counts: { sales, approved, deposits, orders, cardholders: shape.cardholders },
    cardNumber: yearCardNumber,
    terminalKeys,
  };
}

/** Whether a built file exists for this size (the build is deterministic, so it can be reused). */
export function yearDatabaseExists(path: string): boolean {
  return existsSync(path);
}
