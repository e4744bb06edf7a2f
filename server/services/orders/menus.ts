// The webshop's menus: which days a canteen still takes orders for, and each day's products with what is left of them.
import { db, prepared } from "../../../db/query.ts";
import type { Tx } from "../../../db/tx.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../../../common/calendar.ts";

export interface MenuProduct {
  productId: number;
  name: string;
  description: string | null;
  category: string;
  priceOre: number;
  allergens: string | null;
  /** Null without a photo (the shop shows a placeholder); see common/product-photos.ts for its addresses. */
  photoVersion: number | null;
  /** How many more can be ordered for the day; null when there is no limit. */
  remaining: number | null;
}

const cutoffOfCanteen = prepared<{ canteenId: number }>()((p) => db.selectFrom("canteens").select("order_cutoff_time").where("id", "=", p.canteenId));

export function canteenCutoff(tx: Tx, canteenId: number): string | null {
  return cutoffOfCanteen.first(tx, { canteenId })?.order_cutoff_time ?? null;
}

/** Days (from today, two weeks ahead) that have a menu and are still open for orders. */
export function orderableDays(tx: Tx, canteenId: number, nowMs: number = Date.now()): string[] {
  const cutoff = canteenCutoff(tx, canteenId);
  if (!cutoff) return [];
  const today = copenhagenDate(nowMs);
  const rows = tx.all(
    db
      .selectFrom("menu_items")
      .select("delivery_day")
      .distinct()
      .where("canteen_id", "=", canteenId)
      .where("delivery_day", ">=", today)
      .where("delivery_day", "<=", addDays(today, 14))
      .orderBy("delivery_day"),
  );
  return rows.map((row) => row.delivery_day).filter((day) => nowMs < cutoffInstant(day, cutoff));
}

// The menu with what is left of each product is read on every checkout (webshop bench), so both queries are compiled once.
const orderedOfDay = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  db
    .selectFrom("order_lines as l")
    .innerJoin("orders as o", "o.id", "l.order_id")
    .select((eb) => ["l.product_id", eb.fn.sum<number>("l.quantity").as("quantity")])
    .where("o.canteen_id", "=", p.canteenId)
    .where("o.delivery_day", "=", p.deliveryDay)
    .where("o.status", "<>", "cancelled")
    .groupBy("l.product_id"),
);
const menuOfDay = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  db
    .selectFrom("menu_items as m")
    .innerJoin("products as p", "p.id", "m.product_id")
    .select(["p.id", "p.name", "p.description", "p.category", "p.price_ore", "p.allergens", "p.photo_version", "m.quantity_limit"])
    .where("m.canteen_id", "=", p.canteenId)
    .where("m.delivery_day", "=", p.deliveryDay)
    .where("p.active", "=", 1)
    .orderBy("p.category")
    .orderBy("p.name"),
);

function orderedQuantities(tx: Tx, canteenId: number, deliveryDay: string): Map<number, number> {
  return new Map(orderedOfDay.all(tx, { canteenId, deliveryDay }).map((row) => [row.product_id, row.quantity]));
}

export function menuFor(tx: Tx, canteenId: number, deliveryDay: string): MenuProduct[] {
  const ordered = orderedQuantities(tx, canteenId, deliveryDay);
  return menuOfDay.all(tx, { canteenId, deliveryDay }).map((row) => ({
    productId: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    priceOre: row.price_ore,
    allergens: row.allergens,
    photoVersion: row.photo_version,
    remaining: row.quantity_limit === null ? null : Math.max(0, row.quantity_limit - (ordered.get(row.id) ?? 0)),
  }));
}
