// Every text of the portal and the back office, in both languages, with amounts filled in: no "kr.." (an amount already
// ends with a full stop), and English has exactly the Danish texts.
import { expect, test } from "vitest";
import { formatOre } from "../common/money.ts";
import { dictionaries, sentence } from "../client/src/i18n.ts";
import { adminDictionaries } from "../client/src/admin-i18n.ts";

type Entry = unknown;

/** Every text a dictionary can produce: plain strings, functions called with amounts, nested records and lists. */
function texts(entry: Entry, fill: string): string[] {
  if (typeof entry === "string") return [entry];
  if (typeof entry === "function") {
    const result: unknown = (entry as (...args: string[]) => unknown)(fill, fill, fill, fill, fill, fill);
    return typeof result === "string" ? [result] : [];
  }
  if (Array.isArray(entry)) return entry.flatMap((item) => texts(item, fill));
  if (entry && typeof entry === "object") return Object.values(entry).flatMap((item) => texts(item, fill));
  return [];
}

const amount = formatOre(1_250); // "12,50 kr."

test("the money formatter ends an amount with a full stop, which is why sentences must not add another", () => {
  expect(amount).toMatch(/kr\.$/);
  expect(sentence(`Ny saldo: ${amount}`)).toBe(`Ny saldo: ${amount}`);
  expect(sentence("Gemt")).toBe("Gemt.");
});

for (const [name, pair] of Object.entries({ portal: dictionaries, backOffice: adminDictionaries })) {
  test(`${name}: no text in either language ends an amount with a second full stop`, () => {
    const all = [...texts(pair.da, amount), ...texts(pair.en, amount)];
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter((text) => /kr\.\./.test(text))).toEqual([]);
  });

  test(`${name}: English has every Danish text`, () => {
    expect(Object.keys(pair.en).sort()).toEqual(Object.keys(pair.da).sort());
  });
}
