// The catalogue of a canteen: products and the menu of each delivery day.
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
  const rows = tx.sqlite
    .query(
      `SELECT p.id, p.canteen_id, p.name, p.description, p.category, p.price_ore, p.allergens, p.active FROM products p JOIN canteens c ON c.id = p.canteen_id
       WHERE c.tenant_id = ? ORDER BY p.category, p.name`,
    )
    .all(actor.tenantId) as Array<{ id: number; canteen_id: number; name: string; description: string | null; category: string; price_ore: number; allergens: string | null; active: number }>;
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
  const values = [product.name, product.description ?? null, product.category, product.priceOre, product.allergens ?? null, product.active ? 1 : 0] as const;
  if (product.productId) {
    const result = tx.sqlite
      .query("UPDATE products SET name = ?, description = ?, category = ?, price_ore = ?, allergens = ?, active = ? WHERE id = ? AND canteen_id = ?")
      .run(...values, product.productId, product.canteenId);
    if (result.changes !== 1) return null;
    audit(tx, actor, "product.update", `product:${product.productId}`, { name: product.name, priceOre: product.priceOre }, nowMs);
    return product.productId;
  }
  const id = Number(
    tx.sqlite.query("INSERT INTO products (canteen_id, name, description, category, price_ore, allergens, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(product.canteenId, ...values, nowMs)
      .lastInsertRowid,
  );
  audit(tx, actor, "product.create", `product:${id}`, { name: product.name, priceOre: product.priceOre }, nowMs);
  return id;
}

/** The menu of a run of days: for each day, the products offered and their quantity limits. */
export function menuWeek(tx: Tx, actor: Actor, canteenId: number, days: readonly string[]): Record<string, Array<{ productId: number; quantityLimit: number | null }>> {
  if (!ownCanteen(tx, actor, canteenId)) return {};
  const week: Record<string, Array<{ productId: number; quantityLimit: number | null }>> = {};
  for (const day of days) {
    week[day] = (tx.sqlite.query("SELECT product_id, quantity_limit FROM menu_items WHERE canteen_id = ? AND delivery_day = ?").all(canteenId, day) as Array<{ product_id: number; quantity_limit: number | null }>).map(
      (row) => ({ productId: row.product_id, quantityLimit: row.quantity_limit }),
    );
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
  if (!tx.sqlite.query("SELECT 1 FROM products WHERE id = ? AND canteen_id = ?").get(item.productId, item.canteenId)) return false;
  if (item.offered) {
    tx.sqlite
      .query(
        `INSERT INTO menu_items (canteen_id, delivery_day, product_id, quantity_limit) VALUES (?, ?, ?, ?)
         ON CONFLICT (canteen_id, delivery_day, product_id) DO UPDATE SET quantity_limit = excluded.quantity_limit`,
      )
      .run(item.canteenId, item.deliveryDay, item.productId, item.quantityLimit);
  } else {
    tx.sqlite.query("DELETE FROM menu_items WHERE canteen_id = ? AND delivery_day = ? AND product_id = ?").run(item.canteenId, item.deliveryDay, item.productId);
  }
  audit(tx, actor, "menu.set", `canteen:${item.canteenId}`, item, nowMs);
  return true;
}
