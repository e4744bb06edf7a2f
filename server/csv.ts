// CSV files for people's spreadsheets (statement, payouts for the bank, reports): one writer, one formula guard.

/**
 * A figure the writer leaves unquoted so that a spreadsheet sums it: made only by `kroner` and `plainFigure`, which
 * check that it holds digits and punctuation, so no text typed by a person can travel as one.
 */
export interface CsvFigure {
  readonly csvFigure: string;
}

/**
 * A cell: a string is always text (quoted and formula-guarded, whoever typed it), a number a plain integer or decimal
 * (ids, counts), a CsvFigure a pre-formatted amount or date, null an empty cell. There is no way to pass text unguarded.
 */
export type CsvCell = string | number | CsvFigure | null;

/** CSV for a statement, a report or an export: `;`-separated, every text cell quoted and guarded, figures plain. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<CsvCell>>): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(";")).join("\r\n") + "\r\n";
}

function csvCell(value: CsvCell): string {
  if (value === null) return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`a CSV number must be finite, got ${value}`);
    return String(value);
  }
  if (typeof value === "object") return value.csvFigure;
  return `"${spreadsheetSafe(value).replace(/"/g, '""')}"`;
}

/**
 * A formula trigger (= + - @) after a character a spreadsheet may split a line on (`,` `;` TAB, a line break) or a
 * quote, with any spaces or quotes between: a file we write with ";" is opened by an English-locale Excel splitting on
 * ",", or pasted and split on TAB, and then "Hansen,=2*3+cmd|…" becomes a cell "=2*3+cmd|…". A quote counts too,
 * because such a reader does not see our quoting ("…;""=1+1"…" leaves a piece starting with `"=`).
 */
const TRIGGER_AFTER_SEPARATOR = /([,;\t\r\n"][\s"]*)(?=[=+\-@])/g;
/** A text that starts (after any spaces or quotes) with a trigger, or with TAB or CR, which some readers drop before a formula. */
const TRIGGER_AT_START = /^(?:[\s"]*[=+\-@]|[\t\r])/;

/**
 * Makes a text inert in any spreadsheet, whatever separator it splits on: an apostrophe (which spreadsheets show, and
 * which stops a formula) goes at the start when the text starts with a trigger, and before every trigger that follows
 * a separator. The cost is an apostrophe in a rare honest text ("tak, -mor" becomes "tak, '-mor"); normal names and
 * messages come out unchanged. Text cells only: a negative amount starts with "-" and is a CsvFigure.
 */
export function spreadsheetSafe(text: string): string {
  const inner = text.replace(TRIGGER_AFTER_SEPARATOR, "$1'");
  return TRIGGER_AT_START.test(inner) ? `'${inner}` : inner;
}

/** An øre amount as kroner with a decimal comma and no thousands separator, as spreadsheets read it ("-35,00"). */
export function kroner(amountOre: number): CsvFigure {
  if (!Number.isSafeInteger(amountOre)) throw new Error(`an amount in øre must be an integer, got ${amountOre}`);
  return { csvFigure: (amountOre / 100).toFixed(2).replace(".", ",") };
}

/**
 * A figure our own code formatted (a date such as "07.12.2026, 10.30"): digits, white space and . , : / - only, so it
 * can hold no formula and stays unquoted, as before; anything else is a programmer error. The space may be a no-break one,
 * because ICU versions differ in the space they put between date and time.
 */
export function plainFigure(text: string): CsvFigure {
  if (!/^-?\d[\d \u00A0\u2009\u202F.,:/-]*$/.test(text)) throw new Error(`not a plain figure: ${JSON.stringify(text)}`);
  return { csvFigure: text };
}
