// CSV files for people's spreadsheets (statement, payouts for the bank, reports): one writer, one formula guard.

/** CSV for a statement, a report or an export: `;`-separated, quoted where needed, Danish decimal commas for kroner. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  const cell = (value: string | number | null) => {
    const text = value === null ? "" : String(value);
    return /[;"\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [header, ...rows].map((row) => row.map(cell).join(";")).join("\r\n") + "\r\n";
}

/**
 * Texts typed by cardholders or tills (names, messages, item names) may start with = + - @ and would then run as a
 * formula when the file is opened in a spreadsheet, so such a text is prefixed with an apostrophe. Apply it to text
 * cells only: a negative amount also starts with "-".
 */
export function spreadsheetSafe(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** An øre amount as kroner with a decimal comma and no thousands separator, as spreadsheets read it ("-35,00"). */
export function kroner(amountOre: number): string {
  return (amountOre / 100).toFixed(2).replace(".", ",");
}
