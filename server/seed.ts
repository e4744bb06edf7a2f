// Demo data: a school with the canteen "Kantinen", cardholders with known cards, a demo till key and products.
import type { Store } from "../db/connect.ts";
import { openAccount, postTransfer, systemAccount } from "./ledger/ledger.ts";
import { hashApiKey } from "./auth/terminal.ts";
import { addDays, copenhagenDate } from "./ledger/calendar.ts";

export interface DemoCard {
  cardNumber: string;
  verificationCode: string;
  balanceOre: number;
  status: "active" | "blocked";
  name: string | null;
  email: string | null;
}

/** Back-office demo accounts, listed in the README. */
export const demoStaff = [
  { email: "admin@kantinekort.local", password: "Admin2026!", role: "admin" as const, name: "Demo Administrator" },
  { email: "kantine@kantinekort.local", password: "Kantine2026!", role: "staff" as const, name: "Demo Kantinepersonale" },
];

/**
 * The demo guardian link, described in the README: Testbruger C (a parent) may act on card 12345678901235 in the
 * portal. It adds no money, so the README's balances stay as they are.
 */
export const demoGuardian = { guardianCardNumber: "12345678901236", childCardNumber: "12345678901235" };

/** Listed in the README's demo table; keep the two in step. */
export const demoCards: readonly DemoCard[] = [
  { cardNumber: "12345678901234", verificationCode: "482913", balanceOre: 25_000, status: "active", name: "Testbruger A", email: "testbruger.a@example.dk" },
  { cardNumber: "12345678901235", verificationCode: "730155", balanceOre: 0, status: "active", name: null, email: null },
  { cardNumber: "12345678901236", verificationCode: "615004", balanceOre: 10_000, status: "blocked", name: "Testbruger C", email: "testbruger.c@example.dk" },
  { cardNumber: "12345678901237", verificationCode: "209384", balanceOre: 5_000, status: "active", name: null, email: null },
];

const demoProducts = [
  { name: "Dagens ret", category: "Dagens ret", priceOre: 3_500, description: "Varm ret med salat", allergens: "gluten" },
  { name: "Vegetarret", category: "Dagens ret", priceOre: 3_200, description: "Dagens grønne ret", allergens: null },
  { name: "Rugbrødsmad med æg", category: "Sandwich", priceOre: 2_200, description: null, allergens: "gluten, æg" },
  { name: "Frugt", category: "Snacks", priceOre: 800, description: "Æble eller banan", allergens: null },
  { name: "Mælk 0,5 l", category: "Drikkevarer", priceOre: 900, description: null, allergens: "mælk" },
];

export function isSeeded(store: Store): boolean {
  return store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM tenants").get() as { n: number }).n > 0);
}

/** Loads the demo data into an empty database; does nothing when any tenant exists. Returns whether it seeded. */
export async function seedDemo(store: Store, options: { posDemoKey: string; kitchenDemoToken?: string }): Promise<boolean> {
  if (isSeeded(store)) return false;
  // Hash outside the write transaction: argon2id is deliberately slow.
  const codeHashes = await Promise.all(demoCards.map((card) => Bun.password.hash(card.verificationCode, { algorithm: "argon2id" })));
  const staffHashes = await Promise.all(demoStaff.map((staff) => Bun.password.hash(staff.password, { algorithm: "argon2id" })));
  return store.write((tx) => {
    if ((tx.sqlite.query("SELECT COUNT(*) AS n FROM tenants").get() as { n: number }).n > 0) return false;
    const now = Date.now();
    const tenantId = Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, ?)").run("Demo Skole", now).lastInsertRowid);
    const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: "Kantinen omsætning", code: "revenue:kantinen" }, now);
    const canteenId = Number(
      tx.sqlite.query("INSERT INTO canteens (tenant_id, name, revenue_account_id, created_at) VALUES (?, ?, ?, ?)").run(tenantId, "Kantinen", revenueAccountId, now)
        .lastInsertRowid,
    );
    const clearing = systemAccount(tx, "acquirer_clearing", now);
    demoStaff.forEach((staff, index) => {
      tx.sqlite.query("INSERT INTO users (tenant_id, role, name, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(tenantId, staff.role, staff.name, staff.email, staffHashes[index]!, now);
    });
    const userIdByCard = new Map<string, number>();
    demoCards.forEach((card, index) => {
      const userId = Number(
        tx.sqlite
          .query("INSERT INTO users (tenant_id, role, name, email, school, class_name, track, created_at) VALUES (?, 'cardholder', ?, ?, ?, ?, ?, ?)")
          .run(tenantId, card.name, card.email, "Demo Skole", "1", "B", now).lastInsertRowid,
      );
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, now);
      tx.sqlite
        .query("INSERT INTO cards (card_number, user_id, account_id, verification_code_hash, status, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .run(card.cardNumber, userId, accountId, codeHashes[index]!, card.status, now);
      userIdByCard.set(card.cardNumber, userId);
      if (card.balanceOre > 0) {
        const result = postTransfer(
          tx,
          { id: `seed:deposit:${card.cardNumber}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: card.balanceOre, kind: "deposit", description: "Indbetaling (demo)" },
          now,
        );
        if (result.status !== "posted") throw new Error(`demo deposit declined: ${result.reason}`);
      }
    });
    tx.sqlite
      .query("INSERT INTO guardians (guardian_user_id, child_user_id, created_at) VALUES (?, ?, ?)")
      .run(userIdByCard.get(demoGuardian.guardianCardNumber)!, userIdByCard.get(demoGuardian.childCardNumber)!, now);
    tx.sqlite
      .query("INSERT INTO terminals (canteen_id, name, api_key_hash, created_at) VALUES (?, ?, ?, ?)")
      .run(canteenId, "Kasse 1 (demo)", hashApiKey(options.posDemoKey), now);
    const productIds = demoProducts.map((product) =>
      Number(
        tx.sqlite
          .query("INSERT INTO products (canteen_id, name, description, category, price_ore, allergens, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
          .run(canteenId, product.name, product.description, product.category, product.priceOre, product.allergens, now).lastInsertRowid,
      ),
    );
    // A week of menus from today: everything every day, with 40 portions of the day's dish.
    const menu = tx.sqlite.query("INSERT INTO menu_items (canteen_id, delivery_day, product_id, quantity_limit) VALUES (?, ?, ?, ?)");
    const today = copenhagenDate(now);
    for (let offset = 0; offset < 8; offset += 1) {
      const day = addDays(today, offset);
      productIds.forEach((productId, index) => menu.run(canteenId, day, productId, demoProducts[index]!.category === "Dagens ret" ? 40 : null));
    }
    if (options.kitchenDemoToken) {
      tx.sqlite.query("INSERT INTO kitchen_screens (canteen_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)").run(canteenId, "Køkkenskærm (demo)", hashApiKey(options.kitchenDemoToken), now);
    }
    return true;
  });
}
