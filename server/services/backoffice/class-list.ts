// Class-list import: parsing a CSV of cardholders and issuing all of their cards in one transaction, or none.
import type { WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";
import { cardholderFieldsSchema, issueCard, type CardholderFields, type IssuedCard } from "./cards.ts";

export interface ImportRowError {
  /** 1-based line number in the file, counting the header as line 1. */
  line: number;
  message: string;
}

/** The most rows one class-list file may hold: each row costs an argon2id hash, so a huge file would tie up the server. */
export const MAX_IMPORT_ROWS = 1_000;

export type ParsedClassList = { ok: true; rows: CardholderFields[] } | { ok: false; errors: ImportRowError[]; rows: CardholderFields[] };

/**
 * Parses a class list: a header line naming the columns (navn/name, e-mail/email, skole/school, klasse/class, spor/track),
 * separated by ";" or ",". Every row is validated; any error rejects the whole file, naming each bad line.
 */
export function parseClassList(csv: string): ParsedClassList {
  const lines = csv.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = lines[0] ?? "";
  const separator = header.includes(";") ? ";" : ",";
  const aliases: Record<string, keyof CardholderFields> = { navn: "name", name: "name", "e-mail": "email", email: "email", skole: "school", school: "school", klasse: "className", class: "className", spor: "track", track: "track" };
  const columns = header.split(separator).map((cell) => aliases[cell.trim().toLowerCase()] ?? null);
  const errors: ImportRowError[] = [];
  if (!columns.includes("name")) return { ok: false, errors: [{ line: 1, message: "Kolonnen 'navn' mangler / The 'name' column is missing" }], rows: [] };
  const rows: CardholderFields[] = [];
  const filled = lines.slice(1).filter((line) => line.trim() !== "").length;
  if (filled > MAX_IMPORT_ROWS) {
    return { ok: false, errors: [{ line: 1, message: `Højst ${MAX_IMPORT_ROWS} elever pr. fil (filen har ${filled}) / At most ${MAX_IMPORT_ROWS} rows per file (this file has ${filled})` }], rows: [] };
  }
  lines.slice(1).forEach((line, index) => {
    if (line.trim() === "") return;
    const cells = line.split(separator);
    const record: Record<string, string> = {};
    columns.forEach((column, position) => {
      if (column) record[column] = (cells[position] ?? "").trim();
    });
    const parsed = cardholderFieldsSchema.safeParse(record);
    if (parsed.success) rows.push(parsed.data);
    else errors.push({ line: index + 2, message: parsed.error.issues.map((issue) => issue.message).join("; ") });
  });
  if (rows.length === 0 && errors.length === 0) errors.push({ line: 2, message: "Filen har ingen elever / The file has no rows" });
  return errors.length > 0 ? { ok: false, errors, rows } : { ok: true, rows };
}

/** Writes every row of a validated class list in the caller's transaction: all cards or none. */
export function importClassList(tx: WriteTx, actor: Actor, rows: readonly CardholderFields[], codeHashes: readonly string[], nowMs: number = Date.now()): IssuedCard[] {
  if (rows.length !== codeHashes.length) throw new Error("one verification code hash per row is needed");
  const issued = rows.map((row, index) => issueCard(tx, actor, row, codeHashes[index]!, nowMs));
  audit(tx, actor, "cards.import", null, { count: issued.length }, nowMs);
  return issued;
}
