// Demo data: a school with the canteen "Kantinen", cardholders with known cards, a demo till key and products.
import type { Store } from "../db/connect.ts";
import type { Tx } from "../db/tx.ts";
import { db } from "../db/query.ts";
import { openAccount, postTransfer, systemAccount } from "./ledger/ledger.ts";
import { hashApiKey } from "./auth/terminal.ts";
import { addDays, copenhagenDate } from "../common/calendar.ts";

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

function hasTenant(tx: Tx): boolean {
  return tx.first(db.selectFrom("tenants").select("id").limit(1)) !== undefined;
}

export function isSeeded(store: Store): boolean {
  return store.read(hasTenant);
}

/** Loads the demo data into an empty database; does nothing when any tenant exists. Returns whether it seeded. */
export async function seedDemo(store: Store, options: { posDemoKey: string; kitchenDemoToken?: string }): Promise<boolean> {
  if (isSeeded(store)) return false;
  // Hash outside the write transaction: argon2id is deliberately slow.
  const codeHashes = await Promise.all(demoCards.map((card) => Bun.password.hash(card.verificationCode, { algorithm: "argon2id" })));
  const staffHashes = await Promise.all(demoStaff.map((staff) => Bun.password.hash(staff.password, { algorithm: "argon2id" })));
  return store.write((tx) => {
    if (hasTenant(tx)) return false;
    const now = Date.now();
    const tenantId = tx.run(db.insertInto("tenants").values({ name: "Demo Skole", created_at: now })).lastInsertRowid;
    const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: "Kantinen omsætning", code: "revenue:kantinen" }, now);
    const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name: "Kantinen", revenue_account_id: revenueAccountId, created_at: now })).lastInsertRowid;
    const clearing = systemAccount(tx, "acquirer_clearing", now);
    demoStaff.forEach((staff, index) => {
      tx.run(db.insertInto("users").values({ tenant_id: tenantId, role: staff.role, name: staff.name, email: staff.email, password_hash: staffHashes[index]!, created_at: now }));
    });
    const userIdByCard = new Map<string, number>();
    demoCards.forEach((card, index) => {
      const userId = tx.run(
        db.insertInto("users").values({ tenant_id: tenantId, role: "cardholder", name: card.name, email: card.email, school: "Demo Skole", class_name: "1", track: "B", created_at: now }),
      ).lastInsertRowid;
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, now);
      tx.run(
        db.insertInto("cards").values({ card_number: card.cardNumber, user_id: userId, account_id: accountId, verification_code_hash: codeHashes[index]!, status: card.status, created_at: now }),
      );
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
    tx.run(
      db
        .insertInto("guardians")
        .values({ guardian_user_id: userIdByCard.get(demoGuardian.guardianCardNumber)!, child_user_id: userIdByCard.get(demoGuardian.childCardNumber)!, created_at: now }),
    );
    tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: "Kasse 1 (demo)", api_key_hash: hashApiKey(options.posDemoKey), created_at: now }));
    const productIds = demoProducts.map(
      (product) =>
        tx.run(
          db.insertInto("products").values({
            canteen_id: canteenId,
            name: product.name,
            description: product.description,
            category: product.category,
            price_ore: product.priceOre,
            allergens: product.allergens,
            active: 1,
            created_at: now,
          }),
        ).lastInsertRowid,
    );
    // A week of menus from today: everything every day, with 40 portions of the day's dish.
    const today = copenhagenDate(now);
    for (let offset = 0; offset < 8; offset += 1) {
      const day = addDays(today, offset);
      productIds.forEach((productId, index) =>
        tx.run(
          db
            .insertInto("menu_items")
            .values({ canteen_id: canteenId, delivery_day: day, product_id: productId, quantity_limit: demoProducts[index]!.category === "Dagens ret" ? 40 : null }),
        ),
      );
    }
    if (options.kitchenDemoToken) {
      tx.run(db.insertInto("kitchen_screens").values({ canteen_id: canteenId, name: "Køkkenskærm (demo)", token_hash: hashApiKey(options.kitchenDemoToken), created_at: now }));
    }
    return true;
  });
}
