// The basket at the counter as plain data: lines, their change by − and +, the total, the sale's items, letter keys.
import type { SaleItem, TillProduct } from "./state.ts";

export interface BasketLine {
  product: TillProduct;
  quantity: number;
}

/** One letter key per product, in catalogue order, as far as the alphabet goes. */
export const SHORTCUT_LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** The basket after `change` more (or, negative, fewer) of a product; a line that reaches 0 goes. */
export function changeLine(lines: BasketLine[], product: TillProduct, change: number): BasketLine[] {
  const existing = lines.find((line) => line.product.id === product.id);
  if (!existing) return change > 0 ? [...lines, { product, quantity: change }] : lines;
  return lines.map((line) => (line === existing ? { ...line, quantity: line.quantity + change } : line)).filter((line) => line.quantity > 0);
}

export function basketTotalOre(lines: BasketLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.product.priceOre, 0);
}

/** What the sale sends: name, quantity and unit price per line (they add up to the total). */
export function basketItems(lines: BasketLine[]): SaleItem[] {
  return lines.map((line) => ({ name: line.product.name, quantity: line.quantity, unitPriceOre: line.product.priceOre }));
}

/** Product id → its letter key. */
export function shortcutLetters(products: TillProduct[]): Map<number, string> {
  return new Map(products.slice(0, SHORTCUT_LETTERS.length).map((product, index) => [product.id, SHORTCUT_LETTERS[index]!]));
}
