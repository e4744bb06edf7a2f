// The catalogue of a canteen: products (create, edit, reprice, deactivate, a portion limit per day) and the menu of each delivery day.
import type { Words } from "../../../common/audit.ts";
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";
import { ownCanteen } from "./canteens.ts";

export interface ProductInput {
  canteenId: number;
  name: string;
  description?: string | undefined;
  category: string;
  priceOre: number;
  allergens?: string | undefined;
  active: boolean;
  /** Portions per day; the limit a day's menu item gets when the product is ticked onto it. Null or absent: no limit. */
  portionLimit?: number | null | undefined;
}

export interface CatalogueProduct extends ProductInput {
  productId: number;
  portionLimit: number | null;
  /** Null without a photo; with one, its addresses are common/product-photos.ts productPhotoUrl(productId, photoVersion, width). */
  photoVersion: number | null;
}

/** The products of the tenant's canteens, or of one of them. */
export function listProducts(tx: Tx, actor: Actor, canteenId?: number): CatalogueProduct[] {
  const rows = tx.all(
    db
      .selectFrom("products as p")
      .innerJoin("canteens as c", "c.id", "p.canteen_id")
      .select(["p.id", "p.canteen_id", "p.name", "p.description", "p.category", "p.price_ore", "p.allergens", "p.active", "p.daily_portion_limit", "p.photo_version"])
      .where("c.tenant_id", "=", actor.tenantId)
      .$if(canteenId !== undefined, (query) => query.where("p.canteen_id", "=", canteenId!))
      .orderBy("p.category")
      .orderBy("p.name"),
  );
  return rows.map((row) => ({
    productId: row.id,
    canteenId: row.canteen_id,
    name: row.name,
    description: row.description ?? undefined,
    category: row.category,
    priceOre: row.price_ore,
    allergens: row.allergens ?? undefined,
    active: row.active === 1,
    portionLimit: row.daily_portion_limit,
    photoVersion: row.photo_version,
  }));
}

/**
 * Creates (no id) or edits a product of the staff member's own canteens. An edit changes every field given, including
 * the price (the next sale and order use it; orders already placed keep theirs) and whether it is on sale. An absent
 * `portionLimit` keeps the product's limit on an edit.
 */
export function saveProduct(tx: WriteTx, actor: Actor, product: ProductInput & { productId?: number | undefined }, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, product.canteenId)) return null;
  const values = {
    name: product.name,
    description: product.description ?? null,
    category: product.category,
    price_ore: product.priceOre,
    allergens: product.allergens ?? null,
    active: product.active ? 1 : 0,
    ...(product.portionLimit !== undefined ? { daily_portion_limit: product.portionLimit } : {}),
  };
  if (product.productId) {
    const before = tx.first(db.selectFrom("products").select(["price_ore", "active"]).where("id", "=", product.productId).where("canteen_id", "=", product.canteenId));
    if (!before) return null;
    tx.run(db.updateTable("products").set(values).where("id", "=", product.productId));
    audit(
      tx,
      actor,
      "product.update",
      `product:${product.productId}`,
      {
        name: product.name,
        priceOre: product.priceOre,
        ...(before.price_ore !== product.priceOre ? { previousPriceOre: before.price_ore } : {}),
        ...((before.active === 1) !== product.active ? { active: product.active } : {}),
        ...(product.portionLimit !== undefined ? { portionLimit: product.portionLimit } : {}),
      },
      nowMs,
    );
    return product.productId;
  }
  const id = tx.run(db.insertInto("products").values({ canteen_id: product.canteenId, ...values, created_at: nowMs })).lastInsertRowid;
  audit(tx, actor, "product.create", `product:${id}`, { name: product.name, priceOre: product.priceOre, portionLimit: product.portionLimit ?? null }, nowMs);
  return id;
}

/** Takes a product off sale (hidden from menus, the webshop and tills) or puts it back; the rest of it is kept. */
export function setProductActive(tx: WriteTx, actor: Actor, productId: number, active: boolean, nowMs: number = Date.now()): boolean {
  const product = tx.first(
    db
      .selectFrom("products as p")
      .innerJoin("canteens as c", "c.id", "p.canteen_id")
      .select(["p.id", "p.name", "p.active"])
      .where("p.id", "=", productId)
      .where("c.tenant_id", "=", actor.tenantId),
  );
  if (!product) return false;
  if ((product.active === 1) === active) return true;
  tx.run(db.updateTable("products").set({ active: active ? 1 : 0 }).where("id", "=", productId));
  audit(tx, actor, "product.update", `product:${productId}`, { name: product.name, active }, nowMs);
  return true;
}

const WEEKDAYS: Words[] = [
  { da: "søndag", en: "Sunday" },
  { da: "mandag", en: "Monday" },
  { da: "tirsdag", en: "Tuesday" },
  { da: "onsdag", en: "Wednesday" },
  { da: "torsdag", en: "Thursday" },
  { da: "fredag", en: "Friday" },
  { da: "lørdag", en: "Saturday" },
];

/** The weekday of a calendar day "YYYY-MM-DD" (the date itself, no time zone involved). */
export function weekdayOf(day: string): Words {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return WEEKDAYS[new Date(Date.UTC(year, month - 1, date)).getUTCDay()]!;
}

export interface MenuDay {
  day: string;
  weekday: Words;
  /** The products on the menu that day, with their limit and how many portions are ordered so far. */
  items: Array<{ productId: number; quantityLimit: number | null; ordered: number }>;
}

/** The menu of a run of days: for each day, its weekday, the products offered, their limits and what is ordered. */
export function menuWeek(tx: Tx, actor: Actor, canteenId: number, days: readonly string[]): MenuDay[] | null {
  if (!ownCanteen(tx, actor, canteenId)) return null;
  return days.map((day) => {
    const ordered = new Map(
      tx
        .all(
          db
            .selectFrom("order_lines as l")
            .innerJoin("orders as o", "o.id", "l.order_id")
            .select((eb) => ["l.product_id", eb.fn.sum<number>("l.quantity").as("quantity")])
            .where("o.canteen_id", "=", canteenId)
            .where("o.delivery_day", "=", day)
            .where("o.status", "<>", "cancelled")
            .groupBy("l.product_id"),
        )
        .map((row) => [row.product_id, row.quantity]),
    );
    const items = tx
      .all(db.selectFrom("menu_items").select(["product_id", "quantity_limit"]).where("canteen_id", "=", canteenId).where("delivery_day", "=", day).orderBy("product_id"))
      .map((row) => ({ productId: row.product_id, quantityLimit: row.quantity_limit, ordered: ordered.get(row.product_id) ?? 0 }));
    return { day, weekday: weekdayOf(day), items };
  });
}

/**
 * Ticks a product onto a day (or off it). `quantityLimit` sets the day's limit; absent, a product already on the day
 * keeps its limit and a newly ticked one gets the product's portion limit — ticking never drops a limit silently.
 * Answers the limit the day now has, or null when the canteen or product is not the staff member's.
 */
export function setMenuItem(
  tx: WriteTx,
  actor: Actor,
  item: { canteenId: number; deliveryDay: string; productId: number; offered: boolean; quantityLimit?: number | null | undefined },
  nowMs: number = Date.now(),
): { quantityLimit: number | null } | null {
  if (!ownCanteen(tx, actor, item.canteenId)) return null;
  const product = tx.first(db.selectFrom("products").select(["id", "name", "daily_portion_limit"]).where("id", "=", item.productId).where("canteen_id", "=", item.canteenId));
  if (!product) return null;
  let quantityLimit: number | null = null;
  if (item.offered) {
    const existing = tx.first(
      db.selectFrom("menu_items").select("quantity_limit").where("canteen_id", "=", item.canteenId).where("delivery_day", "=", item.deliveryDay).where("product_id", "=", item.productId),
    );
    quantityLimit = item.quantityLimit !== undefined ? item.quantityLimit : existing ? existing.quantity_limit : product.daily_portion_limit;
    tx.run(
      db
        .insertInto("menu_items")
        .values({ canteen_id: item.canteenId, delivery_day: item.deliveryDay, product_id: item.productId, quantity_limit: quantityLimit })
        .onConflict((conflict) => conflict.columns(["canteen_id", "delivery_day", "product_id"]).doUpdateSet((eb) => ({ quantity_limit: eb.ref("excluded.quantity_limit") }))),
    );
  } else {
    tx.run(db.deleteFrom("menu_items").where("canteen_id", "=", item.canteenId).where("delivery_day", "=", item.deliveryDay).where("product_id", "=", item.productId));
  }
  audit(tx, actor, "menu.set", `canteen:${item.canteenId}`, { name: product.name, deliveryDay: item.deliveryDay, productId: item.productId, offered: item.offered, quantityLimit }, nowMs);
  return { quantityLimit };
}
