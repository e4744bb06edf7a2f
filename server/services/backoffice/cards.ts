// Cards and cardholders in the back office: issuing, blocking, replacing, searching and the school/class fields.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import * as z from "zod";
import { openAccount } from "../../ledger/ledger.ts";
import { deleteUserSessions } from "../../auth/session.ts";
import { audit, type Actor } from "./shared.ts";
import { guardiansOf, type Guardian } from "./guardians.ts";

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
