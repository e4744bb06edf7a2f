// Display helpers: the shared money formatter, the sentence composition every amount goes through, Copenhagen dates.
export { formatOre } from "../../common/money.ts";

/**
 * Ends a sentence with one full stop. The money formatter writes "12,00 kr." (kr. is an abbreviation, so the amount
 * already ends with a full stop), and `Ny saldo: ${balance}.` would read "kr..". Every text that ends with a
 * placeholder goes through this (or `sentences`) instead of a literal full stop.
 */
export function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/**
 * Several sentences as one message, each ended by exactly one full stop, so an amount at the end of any of them never
 * gets a second: `sentences(`Refunderet ${amount}`, `Saldo: ${balance}`)` → "Refunderet 8,00 kr. Saldo: 215,00 kr.".
 */
export function sentences(...texts: string[]): string {
  return texts.map((text) => sentence(text.trim())).join(" ");
}

const dateTime = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", dateStyle: "short", timeStyle: "short" });

export function formatDateTime(ms: number): string {
  return dateTime.format(new Date(ms));
}

const dayParts = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit", day: "2-digit" });
const clockParts = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

/** The Copenhagen calendar day of an instant, "2026-12-03". */
export function copenhagenDay(ms: number): string {
  return dayParts.format(new Date(ms));
}

/** The Copenhagen clock time of an instant as Danes write it, "09.30". */
export function copenhagenClock(ms: number): string {
  return clockParts.format(new Date(ms)).replace(":", ".");
}

/** A calendar day as the webshop and the kitchen screen show it: "2026-12-03" → "03-12-2026". */
export function formatDay(day: string): string {
  const [year, month, date] = day.split("-");
  return `${date}-${month}-${year}`;
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
