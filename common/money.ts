// The one money formatter (integer øre to Danish kroner text) and the one parser of kroner typed by a person.
// Free of zod (like wire.ts): every page of the client imports this.

/** 1 kr. = 100 øre. Every amount in the system is an integer number of øre. */
export const ORE_PER_KRONE = 100;
/** The largest amount any single request may carry (100.000 kr.); anything above is bad input. */
export const MAX_AMOUNT_ORE = 10_000_000;

const formatter = new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" });

export function formatOre(amountOre: number): string {
  return formatter.format(amountOre / 100);
}

// Whole kroner, then an optional decimal part of one or two digits after "," or ".": "35", "35,5", "35.50".
const PLAIN_KRONER = /^(\d{1,12})(?:[.,](\d{1,2}))?$/;
// Danish thousands with a decimal comma: "1.234,50", "12.345.678,00". Without the comma "1.234" is ambiguous (one
// thousand two hundred and thirty-four, or 1,234 with three decimals) and is refused rather than guessed.
const GROUPED_KRONER = /^(\d{1,3}(?:\.\d{3})+),(\d{1,2})$/;
// A trailing currency, as people copy it from a receipt: "35 kr", "35,50 kr.", "35 DKK".
const CURRENCY_SUFFIX = /\s*(?:kr\.?|dkk)$/i;

/**
 * Kroner typed by a person → integer øre, or null for anything that is not a plain amount: empty, negative, a sign,
 * an exponent, more than two decimals, "1.234" without decimals (ambiguous), or more than `maxOre`.
 * Accepts "35", "35,50", "35.50", "1.234,50", " 35 kr". Zero is an amount ("0" → 0); callers that need a positive
 * amount say so in their own schema. The arithmetic is on digits, never on a float, so "0,29" is exactly 29 øre.
 * Every amount field of the client goes through this one function.
 */
export function parseKroner(text: string, maxOre: number = MAX_AMOUNT_ORE): number | null {
  const bare = text.trim().replace(CURRENCY_SUFFIX, "");
  const match = PLAIN_KRONER.exec(bare) ?? GROUPED_KRONER.exec(bare);
  if (!match) return null;
  const kroner = Number(match[1]!.replaceAll(".", ""));
  const ore = Number((match[2] ?? "").padEnd(2, "0"));
  const amountOre = kroner * ORE_PER_KRONE + ore;
  if (!Number.isSafeInteger(amountOre) || amountOre > maxOre) return null;
  return amountOre;
}

/**
 * Øre → the text an amount field starts with, which `parseKroner` reads back to the same øre: 150000 → "1500",
 * 3550 → "35,50", null (no amount) → "". No thousands separator and no currency, as a person would type it.
 */
export function kronerFieldText(amountOre: number | null): string {
  if (amountOre === null) return "";
  const kroner = Math.trunc(amountOre / ORE_PER_KRONE);
  const ore = amountOre % ORE_PER_KRONE;
  return ore === 0 ? String(kroner) : `${kroner},${String(ore).padStart(2, "0")}`;
}
