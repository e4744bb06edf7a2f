// Cardholder portal rules: who "me" is, Brugerinfo, Konti, Kontoudtog and support cases — scoped to the accounts the signed-in user may act on.
import type { Tx, WriteTx } from "../../db/tx.ts";
import type * as z from "zod";
import type { profileUpdateSchema, supportInputSchema } from "../../common/portal.ts";
import { copenhagenMidnight } from "../ledger/calendar.ts";
import { CprCipher, maskCpr, normaliseCpr } from "../auth/cpr.ts";
import type { BalanceEvent } from "../events/bus.ts";
import { balanceEventsOf } from "../ledger/events.ts";
import { toTransfer } from "../ledger/ledger.ts";
import { actableAccount, actableAccounts } from "./access.ts";

export interface Me {
  userId: number;
  name: string | null;
  email: string | null;
  profileComplete: boolean;
}

export function findMe(tx: Tx, userId: number): Me | null {
  const row = tx.sqlite.query("SELECT id, name, email FROM users WHERE id = ? AND role = 'cardholder'").get(userId) as { id: number; name: string | null; email: string | null } | null;
  if (!row) return null;
  return { userId: row.id, name: row.name, email: row.email, profileComplete: Boolean(row.name?.trim() && row.email?.trim()) };
}

export interface LoginCandidate {
  userId: number;
  passwordHash: string | null;
  verificationCodeHash: string;
}

/**
 * The user behind a card number, with what their password is checked against (their own password once set).
 * A replaced card is never a username again: whoever found the lost card must not get in with its printed code or the
 * cardholder's password. A card that is only blocked still logs in, because "Spær kort" in the portal lets the
 * cardholder block a lost card themselves and they must still see Konti afterwards.
 */
export function findLoginCandidate(tx: Tx, cardNumber: string): LoginCandidate | null {
  const row = tx.sqlite
    .query(
      "SELECT u.id, u.password_hash, c.verification_code_hash FROM cards c JOIN users u ON u.id = c.user_id WHERE c.card_number = ? AND c.replaced_by_card_id IS NULL AND u.role = 'cardholder'",
    )
    .get(cardNumber) as { id: number; password_hash: string | null; verification_code_hash: string } | null;
  return row ? { userId: row.id, passwordHash: row.password_hash, verificationCodeHash: row.verification_code_hash } : null;
}

export interface Profile {
  name: string | null;
  email: string | null;
  cprMasked: string | null;
  address: string | null;
  postalCode: string | null;
  city: string | null;
  phone: string | null;
  school: string | null;
  className: string | null;
  track: string | null;
  photoUrl: string | null;
  limits: { dailyOre: number | null; weeklyOre: number | null; monthlyOre: number | null };
}

export function getProfile(tx: Tx, userId: number, cipher: CprCipher): Profile {
  const user = tx.sqlite
    .query("SELECT name, email, cpr_encrypted, address, postal_code, city, phone, school, class_name, track FROM users WHERE id = ?")
    .get(userId) as {
    name: string | null;
    email: string | null;
    cpr_encrypted: string | null;
    address: string | null;
    postal_code: string | null;
    city: string | null;
    phone: string | null;
    school: string | null;
    class_name: string | null;
    track: string | null;
  };
  const limits = tx.sqlite
    .query("SELECT limit_daily_ore, limit_weekly_ore, limit_monthly_ore FROM cards WHERE user_id = ? ORDER BY status = 'active' DESC, id DESC LIMIT 1")
    .get(userId) as { limit_daily_ore: number | null; limit_weekly_ore: number | null; limit_monthly_ore: number | null } | null;
  const photo = tx.sqlite.query("SELECT version FROM user_photos WHERE user_id = ?").get(userId) as { version: number } | null;
  return {
    name: user.name,
    email: user.email,
    cprMasked: user.cpr_encrypted ? maskCpr(cipher.decrypt(user.cpr_encrypted)) : null,
    address: user.address,
    postalCode: user.postal_code,
    city: user.city,
    phone: user.phone,
    school: user.school,
    className: user.class_name,
    track: user.track,
    photoUrl: photo ? `/photos/${userId}?v=${photo.version}` : null,
    limits: { dailyOre: limits?.limit_daily_ore ?? null, weeklyOre: limits?.limit_weekly_ore ?? null, monthlyOre: limits?.limit_monthly_ore ?? null },
  };
}

export class InvalidCprError extends Error {
  constructor() {
    super("Invalid input: cpr: CPR-nummeret er ikke gyldigt / The CPR number is not valid");
    this.name = "InvalidCprError";
  }
}

/** Saves Brugerinfo; spending limits go onto every card of the user, where the till enforces them. */
export function updateProfile(tx: WriteTx, userId: number, input: z.infer<typeof profileUpdateSchema>, cipher: CprCipher): void {
  let cprEncrypted: string | undefined;
  if (input.cpr !== undefined) {
    const digits = normaliseCpr(input.cpr);
    if (!digits) throw new InvalidCprError();
    cprEncrypted = cipher.encrypt(digits);
  }
  tx.sqlite
    .query(
      `UPDATE users SET name = ?, email = ?, address = ?, postal_code = ?, city = ?, phone = ?, cpr_encrypted = COALESCE(?, cpr_encrypted) WHERE id = ?`,
    )
    .run(input.name, input.email, input.address || null, input.postalCode || null, input.city || null, input.phone || null, cprEncrypted ?? null, userId);
  tx.sqlite
    .query("UPDATE cards SET limit_daily_ore = ?, limit_weekly_ore = ?, limit_monthly_ore = ? WHERE user_id = ?")
    .run(input.limits.dailyOre, input.limits.weeklyOre, input.limits.monthlyOre, userId);
}

export function savePhoto(tx: WriteTx, userId: number, mime: string, bytes: Uint8Array, nowMs: number = Date.now()): number {
  tx.sqlite
    .query(
      `INSERT INTO user_photos (user_id, mime, bytes, version, updated_at) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (user_id) DO UPDATE SET mime = excluded.mime, bytes = excluded.bytes, version = version + 1, updated_at = excluded.updated_at`,
    )
    .run(userId, mime, bytes, nowMs);
  return (tx.sqlite.query("SELECT version FROM user_photos WHERE user_id = ?").get(userId) as { version: number }).version;
}

export function readPhoto(tx: Tx, userId: number): { mime: string; bytes: Uint8Array } | null {
  return tx.sqlite.query("SELECT mime, bytes FROM user_photos WHERE user_id = ?").get(userId) as { mime: string; bytes: Uint8Array } | null;
}

/** Checks a data URL's declared type against the file's first bytes: JPEG, PNG or WebP only. */
export function decodePhoto(dataUrl: string, maxBytes: number): { ok: true; mime: string; bytes: Uint8Array } | { ok: false; reason: "bad_type" | "too_large" } {
  const match = /^data:(image\/(?:jpeg|png|webp));base64,([A-Za-z0-9+/=]+)$/.exec(dataUrl);
  if (!match) return { ok: false, reason: "bad_type" };
  const bytes = new Uint8Array(Buffer.from(match[2]!, "base64"));
  if (bytes.length > maxBytes) return { ok: false, reason: "too_large" };
  const starts = (...signature: number[]) => signature.every((byte, index) => bytes[index] === byte);
  const mime = match[1]!;
  const real =
    mime === "image/jpeg" ? starts(0xff, 0xd8, 0xff) : mime === "image/png" ? starts(0x89, 0x50, 0x4e, 0x47) : starts(0x52, 0x49, 0x46, 0x46) && [0x57, 0x45, 0x42, 0x50].every((byte, index) => bytes[8 + index] === byte);
  return real ? { ok: true, mime, bytes } : { ok: false, reason: "bad_type" };
}

export interface AccountSummary {
  accountId: number;
  name: string;
  cardNumber: string;
  balanceOre: number;
  status: "active" | "blocked";
  /**
   * Set only on an account the user acts on as guardian (a child's): its holder, whose name the portal shows with
   * the account's. The user's own accounts have none, so their shape is as it was before guardians.
   */
  holder?: { name: string | null };
}

/** Konti: every account the user may act on (see server/services/access.ts), their own first. */
export function listAccounts(tx: Tx, userId: number): AccountSummary[] {
  // One line per account, showing its current card (a replaced card's successor).
  const card = tx.sqlite.query("SELECT card_number, status FROM cards WHERE account_id = ? ORDER BY status = 'active' DESC, id DESC LIMIT 1");
  return actableAccounts(tx, userId).map((account) => {
    const current = card.get(account.accountId) as { card_number: string; status: "active" | "blocked" } | null;
    return {
      accountId: account.accountId,
      name: account.name,
      cardNumber: current?.card_number ?? "",
      balanceOre: account.balanceOre,
      status: current?.status ?? "blocked",
      ...(account.own ? {} : { holder: { name: account.holderName } }),
    };
  });
}

/** A place in the balance stream: after the event of `accountId` in transfer `seq` (accountId Infinity = after the whole transfer). */
export interface StreamPosition {
  seq: number;
  accountId: number;
}

export function isAfterPosition(event: BalanceEvent, position: StreamPosition): boolean {
  return event.seq > position.seq || (event.seq === position.seq && event.accountId > position.accountId);
}

/**
 * One page of committed balance events for the given accounts after `position`, in stream order (seq, then account).
 * `nextSeq` is where the next page starts, or null when this page reached the end of the table.
 */
export function balanceEventsAfter(tx: Tx, accountIds: readonly number[], position: StreamPosition, pageTransfers: number): { events: BalanceEvent[]; nextSeq: number | null } {
  if (accountIds.length === 0) return { events: [], nextSeq: null };
  const owned = new Set(accountIds);
  // The ids are integers from our own table, so inlining them is safe; SQLite has no array parameters.
  const list = accountIds.map((id) => Number(id)).join(",");
  const rows = tx.sqlite
    .query(
      `SELECT seq, id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at
       FROM transfers WHERE seq >= ? AND (debit_account_id IN (${list}) OR credit_account_id IN (${list})) ORDER BY seq LIMIT ?`,
    )
    .all(position.seq, pageTransfers) as Parameters<typeof toTransfer>[0][];
  const events = rows
    .flatMap((row) => balanceEventsOf(toTransfer(row)))
    .filter((event) => owned.has(event.accountId) && isAfterPosition(event, position))
    .sort((a, b) => a.seq - b.seq || a.accountId - b.accountId);
  return { events, nextSeq: rows.length === pageTransfers ? rows[rows.length - 1]!.seq + 1 : null };
}

/** "Spær kort": blocks every card on the account at once; the next sale at a till is declined. */
export function blockAccountCards(tx: WriteTx, userId: number, accountId: number): AccountSummary | null {
  if (!actableAccount(tx, userId, accountId)) return null;
  tx.sqlite.query("UPDATE cards SET status = 'blocked' WHERE account_id = ?").run(accountId);
  return listAccounts(tx, userId).find((account) => account.accountId === accountId) ?? null;
}

export interface StatementLine {
  seq: number;
  createdAt: number;
  kind: string;
  text: string;
  amountOre: number;
  balanceAfterOre: number;
}

export interface StatementMonth {
  accountName: string;
  cardNumber: string;
  year: number;
  month: number;
  openingBalanceOre: number;
  closingBalanceOre: number;
  totalInOre: number;
  totalOutOre: number;
  lines: StatementLine[];
}

const kindTexts: Record<string, string> = {
  deposit: "Indbetaling",
  auto_top_up: "Auto-optankning",
  payout: "Udbetaling",
  transfer: "Overførsel",
  refund: "Refusion",
  correction: "Korrektion",
  sale: "Køb",
  order: "Webshop",
};

/** Months (Copenhagen calendar) with at least one movement, newest first. */
export function statementMonths(tx: Tx, accountId: number): Array<{ year: number; month: number }> {
  const rows = tx.sqlite
    .query(
      `SELECT created_at FROM transfers WHERE debit_account_id = ?1 OR credit_account_id = ?1 ORDER BY seq DESC`,
    )
    .all(accountId) as Array<{ created_at: number }>;
  const seen = new Map<string, { year: number; month: number }>();
  const formatter = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit" });
  for (const row of rows) {
    const [year, month] = formatter.format(new Date(row.created_at)).split("-").map(Number) as [number, number];
    const key = `${year}-${month}`;
    if (!seen.has(key)) seen.set(key, { year, month });
  }
  return [...seen.values()].sort((a, b) => b.year - a.year || b.month - a.month);
}

export function statementMonth(tx: Tx, accountId: number, year: number, month: number): StatementMonth {
  const from = copenhagenMidnight(year, month, 1);
  const to = copenhagenMidnight(year, month + 1, 1);
  const account = tx.sqlite
    .query(
      "SELECT a.name, (SELECT card_number FROM cards c WHERE c.account_id = a.id ORDER BY c.status = 'active' DESC, c.id DESC LIMIT 1) AS card_number FROM ledger_accounts a WHERE a.id = ?",
    )
    .get(accountId) as { name: string; card_number: string | null };
  const rows = tx.sqlite
    .query(
      `SELECT seq, created_at, kind, description, amount_ore, debit_account_id, debit_balance_after_ore, credit_balance_after_ore
       FROM transfers WHERE (debit_account_id = ?1 OR credit_account_id = ?1) AND created_at >= ?2 AND created_at < ?3 ORDER BY seq`,
    )
    .all(accountId, from, to) as Array<{
    seq: number;
    created_at: number;
    kind: string;
    description: string | null;
    amount_ore: number;
    debit_account_id: number;
    debit_balance_after_ore: number;
    credit_balance_after_ore: number;
  }>;
  const lines = rows.map((row) => {
    const outgoing = row.debit_account_id === accountId;
    return {
      seq: row.seq,
      createdAt: row.created_at,
      kind: row.kind,
      text: row.description ?? kindTexts[row.kind] ?? row.kind,
      amountOre: outgoing ? -row.amount_ore : row.amount_ore,
      balanceAfterOre: outgoing ? row.debit_balance_after_ore : row.credit_balance_after_ore,
    };
  });
  // The balance before the month: the last movement before it, or zero.
  const before = tx.sqlite
    .query(
      `SELECT debit_account_id, debit_balance_after_ore, credit_balance_after_ore FROM transfers
       WHERE (debit_account_id = ?1 OR credit_account_id = ?1) AND created_at < ?2 ORDER BY seq DESC LIMIT 1`,
    )
    .get(accountId, from) as { debit_account_id: number; debit_balance_after_ore: number; credit_balance_after_ore: number } | null;
  const openingBalanceOre = before ? (before.debit_account_id === accountId ? before.debit_balance_after_ore : before.credit_balance_after_ore) : 0;
  return {
    accountName: account.name,
    cardNumber: account.card_number ?? "",
    year,
    month,
    openingBalanceOre,
    closingBalanceOre: lines.length > 0 ? lines[lines.length - 1]!.balanceAfterOre : openingBalanceOre,
    totalInOre: lines.filter((line) => line.amountOre > 0).reduce((sum, line) => sum + line.amountOre, 0),
    totalOutOre: lines.filter((line) => line.amountOre < 0).reduce((sum, line) => sum - line.amountOre, 0),
    lines,
  };
}

export function supportCaseNumber(id: number): string {
  return `S-${String(id).padStart(6, "0")}`;
}

export function createSupportCase(tx: WriteTx, userId: number, input: z.infer<typeof supportInputSchema>, nowMs: number = Date.now()): string | null {
  if (!actableAccount(tx, userId, input.accountId)) return null;
  const id = Number(
    tx.sqlite
      .query("INSERT INTO support_cases (user_id, account_id, name, email, phone, description, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?)")
      .run(userId, input.accountId, input.name, input.email, input.phone || null, input.description, nowMs).lastInsertRowid,
  );
  return supportCaseNumber(id);
}
