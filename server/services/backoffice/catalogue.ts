// The catalogue of a canteen: products and the menu of each delivery day.
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
}

export interface CatalogueProduct extends ProductInput {
  productId: number;
}

export function listProducts(tx: Tx, actor: Actor): CatalogueProduct[] {
  const rows = tx.all(
    db
      .selectFrom("products as p")
      .innerJoin("canteens as c", "c.id", "p.canteen_id")
      .select(["p.id", "p.canteen_id", "p.name", "p.description", "p.category", "p.price_ore", "p.allergens", "p.active"])
      .where("c.tenant_id", "=", actor.tenantId)
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
  }));
}

/** Creates (no id) or updates a product of the staff member's own canteens. */
export function saveProduct(tx: WriteTx, actor: Actor, product: ProductInput & { productId?: number | undefined }, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, product.canteenId)) return null;
  const values = {
    name: product.name,
    description: product.description ?? null,
    category: product.category,
    price_ore: product.priceOre,
    allergens: product.allergens ?? null,
    active: product.active ? 1 : 0,
  };
  if (product.productId) {
    const result = tx.run(db.updateTable("products").set(values).where("id", "=", product.productId).where("canteen_id", "=", product.canteenId));
    if (result.changes !== 1) return null;
    audit(tx, actor, "product.update", `product:${product.productId}`, { name: product.name, priceOre: product.priceOre }, nowMs);
    return product.productId;
  }
  const id = tx.run(db.insertInto("products").values({ canteen_id: product.canteenId, ...values, created_at: nowMs })).lastInsertRowid;
  audit(tx, actor, "product.create", `product:${id}`, { name: product.name, priceOre: product.priceOre }, nowMs);
  return id;
}

/** The menu of a run of days: for each day, the products offered and their quantity limits. */
export function menuWeek(tx: Tx, actor: Actor, canteenId: number, days: readonly string[]): Record<string, Array<{ productId: number; quantityLimit: number | null }>> {
  if (!ownCanteen(tx, actor, canteenId)) return {};
  const week: Record<string, Array<{ productId: number; quantityLimit: number | null }>> = {};
  for (const day of days) {
    week[day] = tx
      .all(db.selectFrom("menu_items").select(["product_id", "quantity_limit"]).where("canteen_id", "=", canteenId).where("delivery_day", "=", day))
      .map((row) => ({ productId: row.product_id, quantityLimit: row.quantity_limit }));
  }
  return week;
}

export function setMenuItem(
  tx: WriteTx,
  actor: Actor,
  item: { canteenId: number; deliveryDay: string; productId: number; offered: boolean; quantityLimit: number | null },
  nowMs: number = Date.now(),
): boolean {
  if (!ownCanteen(tx, actor, item.canteenId)) return false;
  if (!tx.first(db.selectFrom("products").select("id").where("id", "=", item.productId).where("canteen_id", "=", item.canteenId))) return false;
  if (item.offered) {
    tx.run(
      db
        .insertInto("menu_items")
        .values({ canteen_id: item.canteenId, delivery_day: item.deliveryDay, product_id: item.productId, quantity_limit: item.quantityLimit })
        .onConflict((conflict) => conflict.columns(["canteen_id", "delivery_day", "product_id"]).doUpdateSet((eb) => ({ quantity_limit: eb.ref("excluded.quantity_limit") }))),
    );
  } else {
    tx.run(db.deleteFrom("menu_items").where("canteen_id", "=", item.canteenId).where("delivery_day", "=", item.deliveryDay).where("product_id", "=", item.productId));
  }
  audit(tx, actor, "menu.set", `canteen:${item.canteenId}`, item, nowMs);
  return true;
}
