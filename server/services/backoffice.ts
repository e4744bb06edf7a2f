// Back-office rules for canteen staff: cards and cardholders, class-list import, terminals and screens, corrections, reports.
import type { Tx, WriteTx } from "../../db/tx.ts";
import * as z from "zod";
import { checkLedger, openAccount, postTransfer, systemAccount, type LedgerCheckResult, type Transfer } from "../ledger/ledger.ts";
import { copenhagenMidnight } from "../ledger/calendar.ts";
import { deleteUserSessions } from "../auth/session.ts";

export type StaffRole = "staff" | "admin";

export interface Actor {
  userId: number;
  tenantId: number;
  role: StaffRole;
  /** Who did it, as the audit log shows it (the staff member's e-mail). */
  label: string;
}

export function audit(tx: WriteTx, actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}, nowMs: number = Date.now()): void {
  tx.sqlite
    .query("INSERT INTO audit_log (tenant_id, actor_user_id, actor_label, action, target, details_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(actor.tenantId, actor.userId, actor.label, action, target, JSON.stringify(details), nowMs);
}

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  createdAt: number;
}

/** The newest entries of one tenant's audit log; another school's staff actions are not theirs to read. */
export function listAudit(tx: Tx, tenantId: number, limit = 200): AuditEntry[] {
  const rows = tx.sqlite.query("SELECT id, actor_label, action, target, details_json, created_at FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT ?").all(tenantId, limit) as Array<{
    id: number;
    actor_label: string;
    action: string;
    target: string | null;
    details_json: string | null;
    created_at: number;
  }>;
  return rows.map((row) => ({ id: row.id, actor: row.actor_label, action: row.action, target: row.target, details: JSON.parse(row.details_json ?? "{}"), createdAt: row.created_at }));
}

function randomDigits(count: number): string {
  const bytes = crypto.getRandomValues(new Uint32Array(count));
  return Array.from(bytes, (value) => String(value % 10)).join("");
}

/** A fresh 6-digit verification code; shown to staff once and stored only as an argon2id hash. */
export function newVerificationCode(): string {
  return randomDigits(6);
}

/** A 14-digit card number that no card has yet (the first digit is never 0, so it reads well). */
export function newCardNumber(tx: Tx): string {
  for (;;) {
    const candidate = `${1 + (crypto.getRandomValues(new Uint8Array(1))[0]! % 9)}${randomDigits(13)}`;
    if (!tx.sqlite.query("SELECT 1 FROM cards WHERE card_number = ?").get(candidate)) return candidate;
  }
}

export const cardholderFieldsSchema = z.strictObject({
  name: z.string().trim().min(1, { error: "Navn skal udfyldes / Name is required" }).max(100),
  email: z.union([z.email({ error: "Ugyldig e-mail / Invalid e-mail" }).max(200), z.literal("")]).optional(),
  school: z.string().trim().max(100).optional(),
  className: z.string().trim().max(40).optional(),
  track: z.string().trim().max(40).optional(),
});
export type CardholderFields = z.infer<typeof cardholderFieldsSchema>;

export interface IssuedCard {
  userId: number;
  accountId: number;
  cardId: number;
  cardNumber: string;
}

/** Creates a cardholder with a "Madkort" account and a card. The caller hashed the verification code beforehand. */
export function issueCard(tx: WriteTx, actor: Actor, fields: CardholderFields, verificationCodeHash: string, nowMs: number = Date.now()): IssuedCard {
  const userId = Number(
    tx.sqlite
      .query("INSERT INTO users (tenant_id, role, name, email, school, class_name, track, created_at) VALUES (?, 'cardholder', ?, ?, ?, ?, ?, ?)")
      .run(actor.tenantId, fields.name, fields.email || null, fields.school || null, fields.className || null, fields.track || null, nowMs).lastInsertRowid,
  );
  const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, nowMs);
  const cardNumber = newCardNumber(tx);
  const cardId = Number(
    tx.sqlite
      .query("INSERT INTO cards (card_number, user_id, account_id, verification_code_hash, status, created_at) VALUES (?, ?, ?, ?, 'active', ?)")
      .run(cardNumber, userId, accountId, verificationCodeHash, nowMs).lastInsertRowid,
  );
  audit(tx, actor, "card.issue", `card:${cardId}`, { userId, cardNumberLast4: cardNumber.slice(-4) }, nowMs);
  return { userId, accountId, cardId, cardNumber };
}

/** Why a card could not be changed: unknown in the staff member's tenant, or already replaced (blocked for good). */
export type CardChangeRefusal = { ok: false; reason: "card_not_found" | "card_replaced" };

/** A card of the tenant that may still be changed; a replaced card is refused, so it can never be unblocked or replaced twice. */
function changeableCard(tx: Tx, tenantId: number, cardId: number): { ok: true; card: { id: number; user_id: number } } | CardChangeRefusal {
  const card = tx.sqlite
    .query("SELECT c.id, c.user_id, c.replaced_by_card_id FROM cards c JOIN users u ON u.id = c.user_id WHERE c.id = ? AND u.tenant_id = ?")
    .get(cardId, tenantId) as { id: number; user_id: number; replaced_by_card_id: number | null } | null;
  if (!card) return { ok: false, reason: "card_not_found" };
  if (card.replaced_by_card_id !== null) return { ok: false, reason: "card_replaced" };
  return { ok: true, card };
}

export function setCardStatus(tx: WriteTx, actor: Actor, cardId: number, status: "active" | "blocked", nowMs: number = Date.now()): { ok: true } | CardChangeRefusal {
  const found = changeableCard(tx, actor.tenantId, cardId);
  if (!found.ok) return found;
  tx.sqlite.query("UPDATE cards SET status = ? WHERE id = ?").run(status, cardId);
  audit(tx, actor, status === "blocked" ? "card.block" : "card.unblock", `card:${cardId}`, {}, nowMs);
  return { ok: true };
}

/**
 * A lost card: the old one is blocked for good and a new card number shares the same account, balance and limits.
 * Every session of the cardholder ends too, because whoever holds the lost card may have logged in with it.
 */
export function replaceCard(
  tx: WriteTx,
  actor: Actor,
  cardId: number,
  verificationCodeHash: string,
  nowMs: number = Date.now(),
): { ok: true; cardId: number; cardNumber: string; userId: number } | CardChangeRefusal {
  const found = changeableCard(tx, actor.tenantId, cardId);
  if (!found.ok) return found;
  const cardNumber = newCardNumber(tx);
  const newCardId = Number(
    tx.sqlite
      .query(
        `INSERT INTO cards (card_number, user_id, account_id, verification_code_hash, status, limit_daily_ore, limit_weekly_ore, limit_monthly_ore, created_at)
         SELECT ?, user_id, account_id, ?, 'active', limit_daily_ore, limit_weekly_ore, limit_monthly_ore, ? FROM cards WHERE id = ?`,
      )
      .run(cardNumber, verificationCodeHash, nowMs, cardId).lastInsertRowid,
  );
  tx.sqlite.query("UPDATE cards SET status = 'blocked', replaced_by_card_id = ? WHERE id = ?").run(newCardId, cardId);
  deleteUserSessions(tx, found.card.user_id);
  audit(tx, actor, "card.replace", `card:${cardId}`, { newCardId, newCardNumberLast4: cardNumber.slice(-4) }, nowMs);
  return { ok: true, cardId: newCardId, cardNumber, userId: found.card.user_id };
}

export interface CardholderRow {
  userId: number;
  name: string | null;
  email: string | null;
  school: string | null;
  className: string | null;
  track: string | null;
  cardId: number;
  cardNumber: string;
  status: "active" | "blocked";
  accountId: number;
  balanceOre: number;
  /** The cardholders who may act on this cardholder's accounts in the portal (e.g. parents). */
  guardians: Guardian[];
}

export interface Guardian {
  userId: number;
  name: string | null;
  /** The guardian's current card, by which staff identify them. */
  cardNumber: string | null;
}

/** The guardians of one cardholder, oldest link first. */
export function guardiansOf(tx: Tx, childUserId: number): Guardian[] {
  const rows = tx.sqlite
    .query(
      `SELECT u.id, u.name, (SELECT card_number FROM cards c WHERE c.user_id = u.id AND c.replaced_by_card_id IS NULL ORDER BY c.id DESC LIMIT 1) AS card_number
       FROM guardians g JOIN users u ON u.id = g.guardian_user_id WHERE g.child_user_id = ? ORDER BY g.created_at, u.id`,
    )
    .all(childUserId) as Array<{ id: number; name: string | null; card_number: string | null }>;
  return rows.map((row) => ({ userId: row.id, name: row.name, cardNumber: row.card_number }));
}

export type GuardianRefusal = { ok: false; reason: "cardholder_not_found" | "guardian_not_found" | "own_guardian" };

/**
 * Makes the cardholder behind `guardianCardNumber` a guardian of `childUserId`: in the portal they may then act on the
 * child's accounts as on their own (see access.ts). Both must be cardholders of the staff member's tenant, the
 * guardian found by a current (not replaced) card. Linking twice changes nothing and is audited once.
 */
export function linkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianCardNumber: string, nowMs: number = Date.now()): { ok: true; guardian: Guardian } | GuardianRefusal {
  const child = tx.sqlite.query("SELECT id FROM users WHERE id = ? AND tenant_id = ? AND role = 'cardholder'").get(childUserId, actor.tenantId);
  if (!child) return { ok: false, reason: "cardholder_not_found" };
  const guardian = tx.sqlite
    .query("SELECT u.id, u.name FROM cards c JOIN users u ON u.id = c.user_id WHERE c.card_number = ? AND c.replaced_by_card_id IS NULL AND u.tenant_id = ? AND u.role = 'cardholder'")
    .get(guardianCardNumber, actor.tenantId) as { id: number; name: string | null } | null;
  if (!guardian) return { ok: false, reason: "guardian_not_found" };
  if (guardian.id === childUserId) return { ok: false, reason: "own_guardian" };
  const inserted = tx.sqlite.query("INSERT OR IGNORE INTO guardians (guardian_user_id, child_user_id, created_at) VALUES (?, ?, ?)").run(guardian.id, childUserId, nowMs);
  if (inserted.changes === 1) audit(tx, actor, "guardian.link", `user:${childUserId}`, { guardianUserId: guardian.id, guardianCardNumberLast4: guardianCardNumber.slice(-4) }, nowMs);
  return { ok: true, guardian: { userId: guardian.id, name: guardian.name, cardNumber: guardianCardNumber } };
}

/** Ends a guardian link; the guardian loses access to the child's accounts with their next request. */
export function unlinkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianUserId: number, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite
    .query(
      `DELETE FROM guardians WHERE guardian_user_id = ? AND child_user_id = ?
         AND child_user_id IN (SELECT id FROM users WHERE tenant_id = ? AND role = 'cardholder')`,
    )
    .run(guardianUserId, childUserId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "guardian.unlink", `user:${childUserId}`, { guardianUserId }, nowMs);
  return result.changes === 1;
}

/** Search by name, card number, school or class within the staff member's tenant. */
export function searchCardholders(tx: Tx, tenantId: number, query: string, limit = 50): CardholderRow[] {
  const like = `%${query.trim().replace(/[%_\\]/g, (char) => `\\${char}`)}%`;
  const rows = tx.sqlite
    .query(
      `SELECT u.id AS user_id, u.name, u.email, u.school, u.class_name, u.track, c.id AS card_id, c.card_number, c.status, c.account_id, a.balance_ore
       FROM users u JOIN cards c ON c.user_id = u.id JOIN ledger_accounts a ON a.id = c.account_id
       WHERE u.tenant_id = ? AND u.role = 'cardholder' AND c.replaced_by_card_id IS NULL
         AND (? = '%%' OR u.name LIKE ? ESCAPE '\\' OR c.card_number LIKE ? ESCAPE '\\' OR u.school LIKE ? ESCAPE '\\' OR u.class_name LIKE ? ESCAPE '\\')
       ORDER BY u.name COLLATE NOCASE, c.id LIMIT ?`,
    )
    .all(tenantId, like, like, like, like, like, limit) as Array<{
    user_id: number;
    name: string | null;
    email: string | null;
    school: string | null;
    class_name: string | null;
    track: string | null;
    card_id: number;
    card_number: string;
    status: "active" | "blocked";
    account_id: number;
    balance_ore: number;
  }>;
  return rows.map((row) => ({
    userId: row.user_id,
    name: row.name,
    email: row.email,
    school: row.school,
    className: row.class_name,
    track: row.track,
    cardId: row.card_id,
    cardNumber: row.card_number,
    status: row.status,
    accountId: row.account_id,
    balanceOre: row.balance_ore,
    guardians: guardiansOf(tx, row.user_id),
  }));
}

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

/** A manual correction with a mandatory reason; it shows in the cardholder's Kontoudtog with that reason. */
export function postCorrection(
  tx: WriteTx,
  actor: Actor,
  correction: { accountId: number; amountOre: number; direction: "credit" | "debit"; reason: string; idempotencyKey: string },
  nowMs: number = Date.now(),
): { ok: true; transfer: Transfer } | { ok: false; reason: "account_not_found" | "insufficient_funds" } {
  const account = tx.sqlite
    .query("SELECT a.id FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id WHERE a.id = ? AND a.kind = 'cardholder' AND u.tenant_id = ?")
    .get(correction.accountId, actor.tenantId) as { id: number } | null;
  if (!account) return { ok: false, reason: "account_not_found" };
  const corrections = systemAccount(tx, "corrections", nowMs);
  const credit = correction.direction === "credit";
  const posted = postTransfer(
    tx,
    {
      id: `correction:${correction.idempotencyKey}`,
      debitAccountId: credit ? corrections : correction.accountId,
      creditAccountId: credit ? correction.accountId : corrections,
      amountOre: correction.amountOre,
      kind: "correction",
      reference: `staff:${actor.userId}`,
      description: `Korrektion: ${correction.reason}`,
    },
    nowMs,
  );
  if (posted.status !== "posted") return { ok: false, reason: "insufficient_funds" };
  if (!posted.replayed) audit(tx, actor, "ledger.correction", `account:${correction.accountId}`, { amountOre: correction.amountOre, direction: correction.direction, reason: correction.reason }, nowMs);
  return { ok: true, transfer: posted.transfer };
}

export interface DailyReport {
  day: string;
  salesByCanteen: Array<{ canteen: string; salesOre: number; count: number }>;
  salesByProduct: Array<{ product: string; quantity: number; amountOre: number }>;
  depositsOre: number;
  payoutsOre: number;
  refundsOre: number;
  liabilityOre: number;
  ledger: LedgerCheckResult;
}

/**
 * Sales (till and webshop), deposits and payouts of one Copenhagen day, with the outstanding card balances — all of the
 * staff member's own tenant only. `ledger` is the whole database's invariant check: the ledger is one book, and a
 * broken invariant anywhere must show.
 */
export function dailyReport(tx: Tx, tenantId: number, day: string): DailyReport {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const from = copenhagenMidnight(year, month, date);
  const to = copenhagenMidnight(year, month, date + 1);
  const salesByCanteen = tx.sqlite
    .query(
      `SELECT c.name AS canteen, COALESCE(SUM(t.amount_ore), 0) AS sales_ore, COUNT(*) AS count
       FROM transfers t JOIN canteens c ON c.revenue_account_id = t.credit_account_id
       WHERE t.kind IN ('sale', 'order') AND c.tenant_id = ? AND t.created_at >= ? AND t.created_at < ? GROUP BY c.id ORDER BY c.name`,
    )
    .all(tenantId, from, to) as Array<{ canteen: string; sales_ore: number; count: number }>;
  const tillItems = tx.sqlite
    .query(
      `SELECT s.items_json, s.amount_ore FROM sales s JOIN terminals t ON t.id = s.terminal_id JOIN canteens c ON c.id = t.canteen_id
       WHERE s.status = 'approved' AND c.tenant_id = ? AND s.created_at >= ? AND s.created_at < ?`,
    )
    .all(tenantId, from, to) as Array<{
    items_json: string | null;
    amount_ore: number;
  }>;
  const products = new Map<string, { quantity: number; amountOre: number }>();
  const add = (name: string, quantity: number, amountOre: number) => {
    const entry = products.get(name) ?? { quantity: 0, amountOre: 0 };
    entry.quantity += quantity;
    entry.amountOre += amountOre;
    products.set(name, entry);
  };
  for (const sale of tillItems) {
    const items = sale.items_json ? (JSON.parse(sale.items_json) as Array<{ name: string; quantity: number; unitPriceOre: number }>) : [];
    if (items.length === 0) add("Kassesalg uden varelinjer", 1, sale.amount_ore);
    for (const item of items) add(item.name, item.quantity, item.quantity * item.unitPriceOre);
  }
  const orderLines = tx.sqlite
    .query(
      `SELECT l.name, SUM(l.quantity) AS quantity, SUM(l.quantity * l.unit_price_ore) AS amount_ore
       FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN canteens c ON c.id = o.canteen_id
       WHERE o.status <> 'cancelled' AND c.tenant_id = ? AND o.created_at >= ? AND o.created_at < ? GROUP BY l.name`,
    )
    .all(tenantId, from, to) as Array<{ name: string; quantity: number; amount_ore: number }>;
  for (const line of orderLines) add(`${line.name} (webshop)`, line.quantity, line.amount_ore);
  // Deposits, payouts and refunds always move money to or from a cardholder account, whose owner names the tenant.
  const sum = (kinds: string) =>
    (
      tx.sqlite
        .query(
          `SELECT COALESCE(SUM(t.amount_ore), 0) AS total FROM transfers t
           WHERE t.kind IN (${kinds}) AND t.created_at >= ? AND t.created_at < ?
             AND EXISTS (SELECT 1 FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id
                         WHERE a.id IN (t.debit_account_id, t.credit_account_id) AND a.kind = 'cardholder' AND u.tenant_id = ?)`,
        )
        .get(from, to, tenantId) as { total: number }
    ).total;
  const liability = tx.sqlite
    .query("SELECT COALESCE(SUM(a.balance_ore), 0) AS total FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id WHERE a.kind = 'cardholder' AND u.tenant_id = ?")
    .get(tenantId) as { total: number };
  const ledger = checkLedger(tx);
  return {
    day,
    salesByCanteen: salesByCanteen.map((row) => ({ canteen: row.canteen, salesOre: row.sales_ore, count: row.count })),
    salesByProduct: [...products].map(([product, entry]) => ({ product, ...entry })).sort((a, b) => b.amountOre - a.amountOre),
    depositsOre: sum("'deposit', 'auto_top_up'"),
    payoutsOre: sum("'payout'"),
    refundsOre: sum("'refund'"),
    liabilityOre: liability.total,
    ledger,
  };
}

/** A new random key or screen token (160 bits), shown to staff once; only its SHA-256 is stored. */
export function newSecret(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return `${prefix}-${Buffer.from(bytes).toString("base64url")}`;
}

export function canteensOfTenant(tx: Tx, tenantId: number): Array<{ canteenId: number; name: string; orderCutoffTime: string }> {
  return (tx.sqlite.query("SELECT id, name, order_cutoff_time FROM canteens WHERE tenant_id = ? ORDER BY id").all(tenantId) as Array<{ id: number; name: string; order_cutoff_time: string }>).map(
    (row) => ({ canteenId: row.id, name: row.name, orderCutoffTime: row.order_cutoff_time }),
  );
}

function ownCanteen(tx: Tx, actor: Actor, canteenId: number): boolean {
  return Boolean(tx.sqlite.query("SELECT 1 FROM canteens WHERE id = ? AND tenant_id = ?").get(canteenId, actor.tenantId));
}

export type DeviceKind = "terminal" | "screen";

export interface Device {
  id: number;
  kind: DeviceKind;
  canteenId: number;
  canteen: string;
  name: string;
  revoked: boolean;
  createdAt: number;
}

export function listDevices(tx: Tx, actor: Actor): Device[] {
  const rows = tx.sqlite
    .query(
      `SELECT 'terminal' AS kind, t.id AS id, t.canteen_id AS canteen_id, c.name AS canteen, t.name AS name, t.revoked_at AS revoked_at, t.created_at AS created_at
         FROM terminals t JOIN canteens c ON c.id = t.canteen_id WHERE c.tenant_id = ?1
       UNION ALL
       SELECT 'screen', k.id, k.canteen_id, c.name, k.name, k.revoked_at, k.created_at FROM kitchen_screens k JOIN canteens c ON c.id = k.canteen_id WHERE c.tenant_id = ?1
       ORDER BY 1, 2`,
    )
    .all(actor.tenantId) as Array<{ kind: DeviceKind; id: number; canteen_id: number; canteen: string; name: string; revoked_at: number | null; created_at: number }>;
  return rows.map((row) => ({ id: row.id, kind: row.kind, canteenId: row.canteen_id, canteen: row.canteen, name: row.name, revoked: row.revoked_at !== null, createdAt: row.created_at }));
}

/** Creates a POS terminal or kitchen screen; the caller shows `secret` once. */
export function createDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, canteenId: number, name: string, secretHash: string, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, canteenId)) return null;
  const table = kind === "terminal" ? "terminals (canteen_id, name, api_key_hash, created_at)" : "kitchen_screens (canteen_id, name, token_hash, created_at)";
  const id = Number(tx.sqlite.query(`INSERT INTO ${table} VALUES (?, ?, ?, ?)`).run(canteenId, name, secretHash, nowMs).lastInsertRowid);
  audit(tx, actor, `${kind}.create`, `${kind}:${id}`, { canteenId, name }, nowMs);
  return id;
}

export function revokeDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, id: number, nowMs: number = Date.now()): boolean {
  const table = kind === "terminal" ? "terminals" : "kitchen_screens";
  const result = tx.sqlite
    .query(`UPDATE ${table} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND canteen_id IN (SELECT id FROM canteens WHERE tenant_id = ?)`)
    .run(nowMs, id, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, `${kind}.revoke`, `${kind}:${id}`, {}, nowMs);
  return result.changes === 1;
}

export interface ProductInput {
  canteenId: number;
  name: string;
  description?: string | undefined;
  category: string;
  priceOre: number;
  allergens?: string | undefined;
  active: boolean;
}

export interface CatalogueProduct extends ProductInput {
  productId: number;
}

export function listProducts(tx: Tx, actor: Actor): CatalogueProduct[] {
  const rows = tx.sqlite
    .query(
      `SELECT p.id, p.canteen_id, p.name, p.description, p.category, p.price_ore, p.allergens, p.active FROM products p JOIN canteens c ON c.id = p.canteen_id
       WHERE c.tenant_id = ? ORDER BY p.category, p.name`,
    )
    .all(actor.tenantId) as Array<{ id: number; canteen_id: number; name: string; description: string | null; category: string; price_ore: number; allergens: string | null; active: number }>;
  return rows.map((row) => ({
    productId: row.id,
    canteenId: row.canteen_id,
    name: row.name,
    description: row.description ?? undefined,
    category: row.category,
    priceOre: row.price_ore,
    allergens: row.allergens ?? undefined,
    active: row.active === 1,
  }));
}

/** Creates (no id) or updates a product of the staff member's own canteens. */
export function saveProduct(tx: WriteTx, actor: Actor, product: ProductInput & { productId?: number | undefined }, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, product.canteenId)) return null;
  const values = [product.name, product.description ?? null, product.category, product.priceOre, product.allergens ?? null, product.active ? 1 : 0] as const;
  if (product.productId) {
    const result = tx.sqlite
      .query("UPDATE products SET name = ?, description = ?, category = ?, price_ore = ?, allergens = ?, active = ? WHERE id = ? AND canteen_id = ?")
      .run(...values, product.productId, product.canteenId);
    if (result.changes !== 1) return null;
    audit(tx, actor, "product.update", `product:${product.productId}`, { name: product.name, priceOre: product.priceOre }, nowMs);
    return product.productId;
  }
  const id = Number(
    tx.sqlite.query("INSERT INTO products (canteen_id, name, description, category, price_ore, allergens, active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(product.canteenId, ...values, nowMs)
      .lastInsertRowid,
  );
  audit(tx, actor, "product.create", `product:${id}`, { name: product.name, priceOre: product.priceOre }, nowMs);
  return id;
}

/** The menu of a run of days: for each day, the products offered and their quantity limits. */
export function menuWeek(tx: Tx, actor: Actor, canteenId: number, days: readonly string[]): Record<string, Array<{ productId: number; quantityLimit: number | null }>> {
  if (!ownCanteen(tx, actor, canteenId)) return {};
  const week: Record<string, Array<{ productId: number; quantityLimit: number | null }>> = {};
  for (const day of days) {
    week[day] = (tx.sqlite.query("SELECT product_id, quantity_limit FROM menu_items WHERE canteen_id = ? AND delivery_day = ?").all(canteenId, day) as Array<{ product_id: number; quantity_limit: number | null }>).map(
      (row) => ({ productId: row.product_id, quantityLimit: row.quantity_limit }),
    );
  }
  return week;
}

export function setMenuItem(
  tx: WriteTx,
  actor: Actor,
  item: { canteenId: number; deliveryDay: string; productId: number; offered: boolean; quantityLimit: number | null },
  nowMs: number = Date.now(),
): boolean {
  if (!ownCanteen(tx, actor, item.canteenId)) return false;
  if (!tx.sqlite.query("SELECT 1 FROM products WHERE id = ? AND canteen_id = ?").get(item.productId, item.canteenId)) return false;
  if (item.offered) {
    tx.sqlite
      .query(
        `INSERT INTO menu_items (canteen_id, delivery_day, product_id, quantity_limit) VALUES (?, ?, ?, ?)
         ON CONFLICT (canteen_id, delivery_day, product_id) DO UPDATE SET quantity_limit = excluded.quantity_limit`,
      )
      .run(item.canteenId, item.deliveryDay, item.productId, item.quantityLimit);
  } else {
    tx.sqlite.query("DELETE FROM menu_items WHERE canteen_id = ? AND delivery_day = ? AND product_id = ?").run(item.canteenId, item.deliveryDay, item.productId);
  }
  audit(tx, actor, "menu.set", `canteen:${item.canteenId}`, item, nowMs);
  return true;
}

export function setOrderCutoff(tx: WriteTx, actor: Actor, canteenId: number, time: string, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite.query("UPDATE canteens SET order_cutoff_time = ? WHERE id = ? AND tenant_id = ?").run(time, canteenId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "canteen.cutoff", `canteen:${canteenId}`, { time }, nowMs);
  return result.changes === 1;
}

export interface PendingPayout {
  payoutId: number;
  cardholder: string | null;
  name: string;
  registrationNumber: string;
  bankAccountNumber: string;
  message: string | null;
  amountOre: number;
  status: string;
  createdAt: number;
}

/** Payout requests with full bank details, for the back office of the tenant. */
export function listPayoutRequests(tx: Tx, actor: Actor, status: "pending" | "all" = "pending"): PendingPayout[] {
  const rows = tx.sqlite
    .query(
      `SELECT p.id, u.name AS cardholder, p.name, p.registration_number, p.bank_account_number, p.message, p.amount_ore, p.status, p.created_at
       FROM payouts p JOIN users u ON u.id = p.user_id WHERE u.tenant_id = ? AND (? = 'all' OR p.status = 'pending') ORDER BY p.id`,
    )
    .all(actor.tenantId, status) as Array<{
    id: number;
    cardholder: string | null;
    name: string;
    registration_number: string;
    bank_account_number: string;
    message: string | null;
    amount_ore: number;
    status: string;
    created_at: number;
  }>;
  return rows.map((row) => ({
    payoutId: row.id,
    cardholder: row.cardholder,
    name: row.name,
    registrationNumber: row.registration_number,
    bankAccountNumber: row.bank_account_number,
    message: row.message,
    amountOre: row.amount_ore,
    status: row.status,
    createdAt: row.created_at,
  }));
}

export function payoutBelongsToTenant(tx: Tx, actor: Actor, payoutId: number): boolean {
  return Boolean(tx.sqlite.query("SELECT 1 FROM payouts p JOIN users u ON u.id = p.user_id WHERE p.id = ? AND u.tenant_id = ?").get(payoutId, actor.tenantId));
}

export interface SupportCase {
  caseId: number;
  caseNumber: string;
  name: string;
  email: string;
  phone: string | null;
  cardNumber: string | null;
  description: string;
  status: "open" | "closed";
  createdAt: number;
}

export function listSupportCases(tx: Tx, actor: Actor): SupportCase[] {
  const rows = tx.sqlite
    .query(
      `SELECT s.id, s.name, s.email, s.phone, s.description, s.status, s.created_at,
         (SELECT card_number FROM cards c WHERE c.account_id = s.account_id ORDER BY c.id DESC LIMIT 1) AS card_number
       FROM support_cases s JOIN users u ON u.id = s.user_id WHERE u.tenant_id = ? ORDER BY s.status = 'open' DESC, s.id DESC LIMIT 200`,
    )
    .all(actor.tenantId) as Array<{ id: number; name: string; email: string; phone: string | null; description: string; status: "open" | "closed"; created_at: number; card_number: string | null }>;
  return rows.map((row) => ({
    caseId: row.id,
    caseNumber: `S-${String(row.id).padStart(6, "0")}`,
    name: row.name,
    email: row.email,
    phone: row.phone,
    cardNumber: row.card_number,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
  }));
}

export function closeSupportCase(tx: WriteTx, actor: Actor, caseId: number, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite
    .query("UPDATE support_cases SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open' AND user_id IN (SELECT id FROM users WHERE tenant_id = ?)")
    .run(nowMs, caseId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "support.close", `support:${caseId}`, {}, nowMs);
  return result.changes === 1;
}

/** School, class and track are the canteen's to set; the cardholder sees them read-only in Brugerinfo. */
export function updateCardholderSchooling(
  tx: WriteTx,
  actor: Actor,
  change: { userId: number; school: string | null; className: string | null; track: string | null },
  nowMs: number = Date.now(),
): boolean {
  const result = tx.sqlite
    .query("UPDATE users SET school = ?, class_name = ?, track = ? WHERE id = ? AND tenant_id = ? AND role = 'cardholder'")
    .run(change.school, change.className, change.track, change.userId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "cardholder.schooling", `user:${change.userId}`, { school: change.school, className: change.className, track: change.track }, nowMs);
  return result.changes === 1;
}

export interface StaffMember {
  userId: number;
  email: string;
  name: string | null;
  role: StaffRole;
  disabled: boolean;
  createdAt: number;
}

export function listStaff(tx: Tx, tenantId: number): StaffMember[] {
  const rows = tx.sqlite
    .query("SELECT id, email, name, role, disabled_at, created_at FROM users WHERE tenant_id = ? AND role IN ('staff', 'admin') ORDER BY disabled_at IS NOT NULL, email")
    .all(tenantId) as Array<{ id: number; email: string; name: string | null; role: StaffRole; disabled_at: number | null; created_at: number }>;
  return rows.map((row) => ({ userId: row.id, email: row.email, name: row.name, role: row.role, disabled: row.disabled_at !== null, createdAt: row.created_at }));
}

/**
 * A staff member or administrator of `tenantId`, signing in with e-mail and password (hashed by the caller, outside the
 * write job). E-mail addresses are stored in lower case and unique among staff of every tenant, because the sign-in
 * form asks for the e-mail only. `actor` is null for the command-line bootstrap, which then audits as the new user.
 */
export function createStaffUser(
  tx: WriteTx,
  actor: Actor | null,
  tenantId: number,
  fields: { email: string; name: string; role: StaffRole },
  passwordHash: string,
  nowMs: number = Date.now(),
): { ok: true; userId: number } | { ok: false; reason: "email_taken" } {
  const email = fields.email.trim().toLowerCase();
  if (tx.sqlite.query("SELECT 1 FROM users WHERE lower(email) = ? AND role IN ('staff', 'admin')").get(email)) return { ok: false, reason: "email_taken" };
  const userId = Number(
    tx.sqlite
      .query("INSERT INTO users (tenant_id, role, name, email, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(tenantId, fields.role, fields.name.trim(), email, passwordHash, nowMs).lastInsertRowid,
  );
  const by = actor ?? { userId, tenantId, role: fields.role, label: `cli:${email}` };
  audit(tx, by, "staff.create", `user:${userId}`, { email, role: fields.role }, nowMs);
  return { ok: true, userId };
}

export type StaffChangeRefusal = { ok: false; reason: "staff_not_found" | "own_account" };

/** A staff member of the actor's tenant other than the actor: nobody demotes or disables themselves (the last administrator would lock the tenant out). */
function otherStaffOfTenant(tx: Tx, actor: Actor, userId: number): { ok: true } | StaffChangeRefusal {
  if (userId === actor.userId) return { ok: false, reason: "own_account" };
  const found = tx.sqlite.query("SELECT 1 FROM users WHERE id = ? AND tenant_id = ? AND role IN ('staff', 'admin') AND disabled_at IS NULL").get(userId, actor.tenantId);
  return found ? { ok: true } : { ok: false, reason: "staff_not_found" };
}

export function setStaffRole(tx: WriteTx, actor: Actor, userId: number, role: StaffRole, nowMs: number = Date.now()): { ok: true } | StaffChangeRefusal {
  const found = otherStaffOfTenant(tx, actor, userId);
  if (!found.ok) return found;
  // The role is read on every request, so a demotion takes effect at once without ending sessions.
  tx.sqlite.query("UPDATE users SET role = ? WHERE id = ?").run(role, userId);
  audit(tx, actor, "staff.role", `user:${userId}`, { role }, nowMs);
  return { ok: true };
}

/** Disables a staff account: it can no longer sign in, and every session it has ends now. */
export function disableStaff(tx: WriteTx, actor: Actor, userId: number, nowMs: number = Date.now()): { ok: true } | StaffChangeRefusal {
  const found = otherStaffOfTenant(tx, actor, userId);
  if (!found.ok) return found;
  tx.sqlite.query("UPDATE users SET disabled_at = ? WHERE id = ?").run(nowMs, userId);
  deleteUserSessions(tx, userId);
  audit(tx, actor, "staff.disable", `user:${userId}`, {}, nowMs);
  return { ok: true };
}

/**
 * The first administrator, from the command line (`bun tools/cli.ts create-admin`). It joins `tenantId`, or the only tenant
 * when there is exactly one; an empty database gets a new tenant named `school` with one canteen, "Kantinen", so the
 * back office has somewhere to sell.
 */
export function createFirstAdministrator(
  tx: WriteTx,
  request: { email: string; name: string; tenantId?: number | undefined; school?: string | undefined },
  passwordHash: string,
  nowMs: number = Date.now(),
): { ok: true; userId: number; tenantId: number } | { ok: false; reason: "email_taken" | "tenant_not_found" | "tenant_ambiguous" | "school_required" } {
  const tenants = tx.sqlite.query("SELECT id FROM tenants ORDER BY id").all() as Array<{ id: number }>;
  let tenantId: number;
  if (request.tenantId !== undefined) {
    if (!tenants.some((tenant) => tenant.id === request.tenantId)) return { ok: false, reason: "tenant_not_found" };
    tenantId = request.tenantId;
  } else if (tenants.length === 1) {
    tenantId = tenants[0]!.id;
  } else if (tenants.length > 1) {
    return { ok: false, reason: "tenant_ambiguous" };
  } else {
    if (!request.school?.trim()) return { ok: false, reason: "school_required" };
    tenantId = Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES (?, ?)").run(request.school.trim(), nowMs).lastInsertRowid);
    const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: "Kantinen omsætning", code: `revenue:tenant-${tenantId}` }, nowMs);
    tx.sqlite.query("INSERT INTO canteens (tenant_id, name, revenue_account_id, created_at) VALUES (?, ?, ?, ?)").run(tenantId, "Kantinen", revenueAccountId, nowMs);
  }
  const created = createStaffUser(tx, null, tenantId, { email: request.email, name: request.name, role: "admin" }, passwordHash, nowMs);
  return created.ok ? { ok: true, userId: created.userId, tenantId } : created;
}
