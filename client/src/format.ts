// Display helpers: the shared money formatter, the sentence composition every amount goes through, Copenhagen dates.
import { parseKroner } from "../../common/money.ts";

export { formatOre, kronerFieldText, parseKroner } from "../../common/money.ts";

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

/**
 * An optional amount field (a spending limit): empty → null (no amount), else the one kroner parser's øre, NaN for
 * text it refuses. `parseKroner` (common/money.ts) is the only place kroner text becomes øre.
 */
export function kronerFieldToOre(value: string): number | null {
  if (value.trim() === "") return null;
  return parseKroner(value) ?? Number.NaN;
}
