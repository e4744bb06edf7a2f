// Every text of the portal, the back office, the till and the kitchen screen, in both languages, with amounts filled in: no "kr.." (an
// amount already ends with a full stop), and English has exactly the Danish texts.
import { expect, test } from "vitest";
import { formatOre } from "../common/money.ts";
import { dictionaries, sentence, sentences } from "../client/src/i18n.ts";
import { adminDictionaries } from "../client/src/admin-i18n.ts";
import { tillDictionaries } from "../client/src/till/i18n.ts";
import { kitchenDictionaries } from "../client/src/kitchen-i18n.ts";

type Entry = unknown;

/**
 * Every text a dictionary can produce: plain strings, nested records and lists, and functions called twice: with the
 * formatted amount for text parameters, and with the amount in øre for number parameters (the till's texts format
 * their amounts themselves, `overOfflineLimit(limitOre)`).
 */
function texts(entry: Entry, fill: string): string[] {
  if (typeof entry === "string") return [entry];
  if (typeof entry === "function") {
    const call = entry as (...args: unknown[]) => unknown;
    return [call(fill, fill, fill, fill, fill, fill), call(AMOUNT_ORE, AMOUNT_ORE, AMOUNT_ORE, AMOUNT_ORE, AMOUNT_ORE, AMOUNT_ORE)].filter((result): result is string => typeof result === "string");
  }
  if (Array.isArray(entry)) return entry.flatMap((item) => texts(item, fill));
  if (entry && typeof entry === "object") return Object.values(entry).flatMap((item) => texts(item, fill));
  return [];
}

const AMOUNT_ORE = 1_250;
const amount = formatOre(AMOUNT_ORE); // "12,50 kr." (with a no-break space before kr.)

test("the money formatter ends an amount with a full stop, which is why sentences must not add another", () => {
  expect(amount).toMatch(/kr\.$/);
  expect(sentence(`Ny saldo: ${amount}`)).toBe(`Ny saldo: ${amount}`);
  expect(sentence("Gemt")).toBe("Gemt.");
  expect(sentences(`Refunderet ${formatOre(800)}`, `Saldo: ${formatOre(21_500)}`)).toBe("Refunderet 8,00\u00a0kr. Saldo: 215,00\u00a0kr.");
  expect(sentences("Ingen forbindelse", "Prøv igen.")).toBe("Ingen forbindelse. Prøv igen.");
});

test("the till's messages of the issue read with one full stop after each amount", () => {
  const { da, en } = tillDictionaries;
  expect(da.refundDone(formatOre(800), formatOre(21_500))).toBe("Refunderet 8,00\u00a0kr. Saldo: 215,00\u00a0kr.");
  expect(da.refundInvalid(formatOre(3_500))).toBe("Skriv et beløb i kroner, højst 35,00\u00a0kr.");
  expect(da.overOfflineLimit(5_000)).toBe("Ingen forbindelse, og beløbet er over offline-grænsen på 50,00\u00a0kr. Prøv igen, når kassen er online.");
  expect(en.refundDone(formatOre(800), formatOre(21_500))).toBe("Refunded 8,00\u00a0kr. Balance: 215,00\u00a0kr.");
});

for (const [name, pair] of Object.entries({ portal: dictionaries, backOffice: adminDictionaries, till: tillDictionaries, kitchen: kitchenDictionaries })) {
  test(`${name}: no text in either language ends an amount with a second full stop`, () => {
    const all = [...texts(pair.da, amount), ...texts(pair.en, amount)];
    expect(all.length).toBeGreaterThan({ till: 80, kitchen: 30 }[name] ?? 100);
    expect(all.filter((text) => /kr\.\./.test(text))).toEqual([]);
  });

  test(`${name}: English has every Danish text`, () => {
    expect(Object.keys(pair.en).sort()).toEqual(Object.keys(pair.da).sort());
  });
}
