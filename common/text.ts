// The one schema family for names and free text typed by people or tills: trimmed, NFC, and no control or bidi characters.
import * as z from "zod";

/**
 * Characters no name or text may hold: C0 controls (NUL, ESC, CR …), DEL and C1 controls, the bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A–U+202E, U+2066–U+2069, which let "Hansen \u202Enimda\u202C" show as
 * "Hansen admin"), the line and paragraph separators, the byte order mark, and lone UTF-16 surrogates (with the `u`
 * flag a surrogate range in a class matches only an unpaired half, never an emoji). Multi-line text keeps TAB and LF.
 * One precompiled test per string, no per-character loop: item names are checked on every till sale.
 */
const SINGLE_LINE = /^[^\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF\uD800-\uDFFF]*$/u;
const MULTI_LINE = /^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF\uD800-\uDFFF]*$/u;

export const HIDDEN_CHARACTERS_ERROR = "Teksten indeholder styre- eller retningstegn, som ikke er tilladt / The text contains control or direction characters, which are not allowed";

interface TextOptions {
  /** The fewest characters after trimming; 0 (the default) allows an empty text. */
  min?: number;
  /** The message when the text is shorter than `min` (e.g. "Navn skal udfyldes / Name is required"). */
  minError?: string;
}

/**
 * One line of text (a name, a product, a reason, a school or class): trimmed, normalised to NFC so "å" typed two ways
 * is one name, at most `max` characters, and refused with a readable message if it holds a forbidden character.
 */
export function lineText(max: number, options: TextOptions = {}) {
  return bounded(z.string().trim().normalize("NFC"), max, options).regex(SINGLE_LINE, { error: HIDDEN_CHARACTERS_ERROR });
}

/** Text that may span lines (a support case, a reply, a description): as lineText, but TAB and LF stay; CRLF becomes LF. */
export function freeText(max: number, options: TextOptions = {}) {
  const base = z
    .string()
    // A textarea posted as a form sends CRLF; one line-break convention keeps CR out of the stored text.
    .overwrite((value) => (value.includes("\r") ? value.replace(/\r\n?/g, "\n") : value))
    .trim()
    .normalize("NFC");
  return bounded(base, max, options).regex(MULTI_LINE, { error: HIDDEN_CHARACTERS_ERROR });
}

function bounded(schema: z.ZodString, max: number, { min = 0, minError }: TextOptions) {
  const withMin = min > 0 ? schema.min(min, minError ? { error: minError } : undefined) : schema;
  return withMin.max(max, { error: `Højst ${max} tegn / At most ${max} characters` });
}

/** A person's name: a cardholder, a staff member, a payout's account holder. */
export const personName = lineText(100, { min: 1, minError: "Navn skal udfyldes / Name is required" });

/** An item on a till sale or a product in the catalogue. */
export const itemName = lineText(100, { min: 1, minError: "Navn skal udfyldes / Name is required" });

/** A school's or a canteen's name, as the site operator gives it at the command line. */
export const schoolNameSchema = lineText(120, { min: 1, minError: "Navn skal udfyldes / Name is required" });
