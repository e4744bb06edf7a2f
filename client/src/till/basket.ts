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

export type TillView = "sell" | "sales" | "pickup";

/** What a key outside the fields does at the counter (card digits are the reader's, see keys.ts). */
export type TillKeyAction =
  | { kind: "view"; view: TillView }
  | { kind: "nextCustomer" }
  | { kind: "clearDigits" }
  | { kind: "clearBasket" }
  | { kind: "change"; product: TillProduct; change: number };

/**
 * The till's shortcut keys: Alt+1/2/3 switch views; with an answer on screen Enter, space or Esc start the next
 * customer; when selling, Esc clears the typed digits (else the basket), +/−/Backspace change the last line and a
 * letter adds its product. null: the key is not the till's (its default action stays).
 */
export function tillKeyAction(
  event: Pick<KeyboardEvent, "key" | "altKey">,
  state: { answerShown: boolean; view: TillView; digits: string; basket: BasketLine[]; products: TillProduct[]; shortcuts: Map<number, string> },
): TillKeyAction | null {
  if (event.altKey && ["1", "2", "3"].includes(event.key)) return { kind: "view", view: (["sell", "sales", "pickup"] as const)[Number(event.key) - 1]! };
  if (event.altKey) return null;
  if (state.answerShown) return event.key === "Enter" || event.key === " " || event.key === "Escape" ? { kind: "nextCustomer" } : null;
  if (state.view !== "sell") return null;
  if (event.key === "Escape") return state.digits ? { kind: "clearDigits" } : { kind: "clearBasket" };
  const last = state.basket[state.basket.length - 1];
  if ((event.key === "+" || event.key === "-") && last) return { kind: "change", product: last.product, change: event.key === "+" ? 1 : -1 };
  if (event.key === "Backspace" && last) return { kind: "change", product: last.product, change: -1 };
  const letter = event.key.length === 1 ? event.key.toLowerCase() : "";
  if (!letter || !SHORTCUT_LETTERS.includes(letter)) return null;
  const product = state.products.find((candidate) => state.shortcuts.get(candidate.id) === letter);
  return product ? { kind: "change", product, change: 1 } : null;
}
