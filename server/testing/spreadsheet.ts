// How spreadsheets may read our CSV files, for tests: naive splitting and quote-aware parsing on any separator.

export const SEPARATORS = [",", ";", "\t"] as const;

/**
 * Every cell a reader could see in `csv` when it splits on `separator`, two ways: naively (lines, then the separator,
 * ignoring quotes, as a paste into a TAB-splitting sheet does) and quote-aware (RFC 4180, as Excel's import does).
 * Surrounding spaces and stray quotes are dropped, as a lenient reader would before deciding a cell is a formula.
 */
export function cellsAsReadWith(csv: string, separator: string): string[] {
  const naive = csv.split(/\r\n|\r|\n/).flatMap((line) => line.split(separator));
  return [...naive, ...parseQuoted(csv, separator)].map((cell) => cell.replace(/^[\s"]+/, ""));
}

function parseQuoted(csv: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let index = 0; index < csv.length; index += 1) {
    const char = csv[index]!;
    if (quoted) {
      if (char === '"' && csv[index + 1] === '"') {
        cell += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"' && cell === "") quoted = true;
    else if (char === separator || char === "\n" || char === "\r") {
      cells.push(cell);
      cell = "";
    } else cell += char;
  }
  cells.push(cell);
  return cells;
}

/** A cell a spreadsheet would run as a formula; a plain number ("-35", "-12,00") is a number, not a formula. */
export function isFormula(cell: string): boolean {
  return /^[=+\-@]/.test(cell) && !/^-\d+([.,]\d+)?$/.test(cell);
}
