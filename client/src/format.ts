// Display helpers: the shared money formatter and Copenhagen date/time texts.
export { formatOre } from "../../common/money.ts";

const dateTime = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", dateStyle: "short", timeStyle: "short" });

export function formatDateTime(ms: number): string {
  return dateTime.format(new Date(ms));
}

/** Whole kroner typed by the user → øre, or null for an empty field; NaN for text that is not whole kroner. */
export function kronerFieldToOre(value: string): number | null {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  return /^\d{1,7}$/.test(trimmed) ? Number(trimmed) * 100 : Number.NaN;
}

export function oreToKronerField(ore: number | null): string {
  return ore === null ? "" : String(Math.floor(ore / 100));
}

/**
 * Kroner typed by the user ("25", "2,50", "2.5") → øre; NaN for anything else (empty, negative, "1e3", more than two
 * decimals), so every amount field in the client accepts exactly the same texts.
 */
export function parseKroner(value: string): number {
  const text = value.trim().replace(",", ".");
  return /^\d{1,9}(\.\d{1,2})?$/.test(text) ? Math.round(Number(text) * 100) : Number.NaN;
}
