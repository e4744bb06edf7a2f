// The counter's basket as data (basket.ts): − and + per line, totals and the items a sale sends.
import { describe, expect, test } from "vitest";
import { basketItems, basketTotalOre, changeLine, shortcutLetters, tillKeyAction } from "./basket.ts";
import type { TillProduct } from "./state.ts";

const product = (id: number, priceOre: number): TillProduct => ({ id, name: `Vare ${id}`, category: "Mad", priceOre, photoVersion: null }) as TillProduct;
const meal = product(1, 3_500);
const milk = product(2, 500);

describe("the basket", () => {
  test("+ adds a line or one more; − takes one away and drops a line at 0", () => {
    let lines = changeLine([], meal, 1);
    lines = changeLine(lines, milk, 1);
    lines = changeLine(lines, meal, 1);
    expect(lines.map((line) => [line.product.id, line.quantity])).toEqual([[1, 2], [2, 1]]);
    lines = changeLine(lines, milk, -1);
    expect(lines.map((line) => [line.product.id, line.quantity])).toEqual([[1, 2]]);
    expect(changeLine([], milk, -1)).toEqual([]);
  });

  test("the total and the sale's items agree", () => {
    const lines = changeLine(changeLine(changeLine([], meal, 2), milk, 1), meal, 0);
    expect(basketTotalOre(lines)).toBe(7_500);
    const items = basketItems(lines);
    expect(items).toEqual([
      { name: "Vare 1", quantity: 2, unitPriceOre: 3_500 },
      { name: "Vare 2", quantity: 1, unitPriceOre: 500 },
    ]);
    expect(items.reduce((sum, item) => sum + item.quantity * item.unitPriceOre, 0)).toBe(basketTotalOre(lines));
  });

  test("letter keys go to the first 26 products in order", () => {
    const products = Array.from({ length: 30 }, (_, index) => product(index + 1, 100));
    const letters = shortcutLetters(products);
    expect(letters.size).toBe(26);
    expect(letters.get(1)).toBe("a");
    expect(letters.get(26)).toBe("z");
    expect(letters.has(27)).toBe(false);
  });
});

describe("the till's shortcut keys", () => {
  const basket = changeLine(changeLine([], meal, 1), milk, 2);
  const selling = { answerShown: false, view: "sell" as const, digits: "", basket, products: [meal, milk], shortcuts: shortcutLetters([meal, milk]) };
  const key = (key: string, altKey = false) => ({ key, altKey });

  test("Alt+1/2/3 switch views, also with an answer on screen; other Alt keys are not the till's", () => {
    expect(tillKeyAction(key("2", true), { ...selling, answerShown: true })).toEqual({ kind: "view", view: "sales" });
    expect(tillKeyAction(key("3", true), selling)).toEqual({ kind: "view", view: "pickup" });
    expect(tillKeyAction(key("a", true), selling)).toBeNull();
  });

  test("with an answer on screen only Enter, space and Esc are used: the next customer", () => {
    for (const next of ["Enter", " ", "Escape"]) expect(tillKeyAction(key(next), { ...selling, answerShown: true })).toEqual({ kind: "nextCustomer" });
    expect(tillKeyAction(key("a"), { ...selling, answerShown: true })).toBeNull();
  });

  test("Esc clears typed digits first, then the basket", () => {
    expect(tillKeyAction(key("Escape"), { ...selling, digits: "1234" })).toEqual({ kind: "clearDigits" });
    expect(tillKeyAction(key("Escape"), selling)).toEqual({ kind: "clearBasket" });
  });

  test("+, − and Backspace change the last line; a letter adds its product; nothing outside Salg", () => {
    expect(tillKeyAction(key("+"), selling)).toEqual({ kind: "change", product: milk, change: 1 });
    expect(tillKeyAction(key("-"), selling)).toEqual({ kind: "change", product: milk, change: -1 });
    expect(tillKeyAction(key("Backspace"), selling)).toEqual({ kind: "change", product: milk, change: -1 });
    expect(tillKeyAction(key("+"), { ...selling, basket: [] })).toBeNull();
    expect(tillKeyAction(key("A"), selling)).toEqual({ kind: "change", product: meal, change: 1 });
    expect(tillKeyAction(key("c"), selling)).toBeNull();
    expect(tillKeyAction(key("a"), { ...selling, view: "sales" })).toBeNull();
    expect(tillKeyAction(key("F1"), selling)).toBeNull();
  });
});
