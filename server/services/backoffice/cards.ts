// Cards and cardholders in the back office: issuing, blocking, replacing, searching and the school/class fields.
import * as z from "zod";
import { lineText, personName } from "../../../common/text.ts";
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import type { CardBlockedBy } from "../../../db/schema.ts";
import { openAccount } from "../../ledger/ledger.ts";
import { deleteUserSessions } from "../../auth/session.ts";
import { audit, cardholderOfUser, type Actor } from "./shared.ts";
import { guardiansOfMany, notifiedAbout, type Guardian } from "./guardians.ts";

function randomDigits(count: number): string {
  const bytes = crypto.getRandomValues(new Uint32Array(count));
  return Array.from(bytes, (value) => String(value % 10)).join("");
}

/**
 * A fresh 6-digit verification code, stored only as an argon2id hash. A new card's code is shown to staff once (it is
 * printed on the card letter); a replacement's code goes to the holder by e-mail, or on a letter only when nobody has one.
 */
export function newVerificationCode(): string {
  return randomDigits(6);
}

/** A 14-digit card number that no card has yet (the first digit is never 0, so it reads well). */
export function newCardNumber(tx: Tx): string {
  for (;;) {
    const candidate = `${1 + (crypto.getRandomValues(new Uint8Array(1))[0]! % 9)}${randomDigits(13)}`;
    if (!tx.first(db.selectFrom("cards").select("id").where("card_number", "=", candidate))) return candidate;
  }
}

export const cardholderFieldsSchema = z.strictObject({
  name: personName,
  email: z.union([z.email({ error: "Ugyldig e-mail / Invalid e-mail" }).max(200), z.literal("")]).optional(),
  school: lineText(100).optional(),
  className: lineText(40).optional(),
  track: lineText(40).optional(),
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
  const userId = tx.run(
    db.insertInto("users").values({
      tenant_id: actor.tenantId,
      role: "cardholder",
      name: fields.name,
      email: fields.email || null,
      school: fields.school || null,
      class_name: fields.className || null,
      track: fields.track || null,
      created_at: nowMs,
    }),
  ).lastInsertRowid;
  const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, nowMs);
  const cardNumber = newCardNumber(tx);
  const cardId = tx.run(
    db.insertInto("cards").values({ card_number: cardNumber, user_id: userId, account_id: accountId, verification_code_hash: verificationCodeHash, status: "active", created_at: nowMs }),
  ).lastInsertRowid;
  audit(tx, actor, "card.issue", `card:${cardId}`, { userId, cardNumber, holder: fields.name }, nowMs);
  return { userId, accountId, cardId, cardNumber };
}

/**
 * Why a card could not be changed: unknown in the staff member's tenant, already replaced (blocked for good), or blocked
 * by its holder or a guardian in the portal, which only an administrator may undo (by reopening or replacing it).
 */
export type CardChangeRefusal = { ok: false; reason: "card_not_found" | "card_replaced" | "card_blocked_by_holder" };

interface ChangeableCard {
  id: number;
  userId: number;
  accountId: number;
  cardNumber: string;
  status: "active" | "blocked";
  blockedBy: CardBlockedBy | null;
  holder: string | null;
}

/** Whether the holder or a guardian blocked the card themselves: then only an administrator may reopen or replace it. */
function heldBlockedByHolder(card: ChangeableCard, actor: Actor): boolean {
  return card.status === "blocked" && (card.blockedBy === "holder" || card.blockedBy === "guardian") && actor.role !== "admin";
}

/** A card of the tenant that may still be changed; a replaced card is refused, so it can never be unblocked or replaced twice. */
function changeableCard(tx: Tx, tenantId: number, cardId: number): { ok: true; card: ChangeableCard } | { ok: false; reason: "card_not_found" | "card_replaced" } {
  const card = tx.first(
    db
      .selectFrom("cards as c")
      .innerJoin("users as u", "u.id", "c.user_id")
      .select(["c.id", "c.user_id", "c.account_id", "c.card_number", "c.status", "c.blocked_by", "c.replaced_by_card_id", "u.name"])
      .where("c.id", "=", cardId)
      .where("u.tenant_id", "=", tenantId),
  );
  if (!card) return { ok: false, reason: "card_not_found" };
  if (card.replaced_by_card_id !== null) return { ok: false, reason: "card_replaced" };
  return { ok: true, card: { id: card.id, userId: card.user_id, accountId: card.account_id, cardNumber: card.card_number, status: card.status, blockedBy: card.blocked_by, holder: card.name } };
}

/** What changed on a card, for the notification and the live event the router sends after the commit. */
export interface CardStatusChange {
  ok: true;
  userId: number;
  accountId: number;
  cardNumber: string;
  holder: string | null;
  /** False when the card already had the status: nothing was written or audited. */
  changed: boolean;
}

export function setCardStatus(tx: WriteTx, actor: Actor, cardId: number, status: "active" | "blocked", nowMs: number = Date.now()): CardStatusChange | CardChangeRefusal {
  const found = changeableCard(tx, actor.tenantId, cardId);
  if (!found.ok) return found;
  const { card } = found;
  const answer = { ok: true as const, userId: card.userId, accountId: card.accountId, cardNumber: card.cardNumber, holder: card.holder };
  if (card.status === status) return { ...answer, changed: false };
  if (status === "active" && heldBlockedByHolder(card, actor)) return { ok: false, reason: "card_blocked_by_holder" };
  tx.run(db.updateTable("cards").set({ status, blocked_by: status === "blocked" ? "staff" : null }).where("id", "=", cardId));
  // An unblock names whose block it lifted, so the log shows an administrator reopening a card its holder had blocked.
  const lifted = status === "active" ? { blockedBy: card.blockedBy } : {};
  audit(tx, actor, status === "blocked" ? "card.block" : "card.unblock", `card:${cardId}`, { cardNumber: card.cardNumber, holder: card.holder, ...lifted }, nowMs);
  return { ...answer, changed: true };
}

/** Where a replacement card's verification code goes: by e-mail to the holder and guardians, or on a printed letter. */
export type CodeDelivery = "email" | "letter";

export interface ReplacedCard {
  ok: true;
  cardId: number;
  cardNumber: string;
  userId: number;
  oldCardNumber: string;
  holder: string | null;
  /** A holder with a password logs in with it; the new card's code then logs nobody in and is sent to nobody. */
  hasPassword: boolean;
}

/**
 * A lost card: the old one is blocked for good and a new card number shares the same account, balance and limits.
 * Every session of the cardholder ends too, because whoever holds the lost card may have logged in with it.
 * A card its holder or a guardian blocked is replaced only by an administrator (staff are refused): a replacement is a
 * working card and, for a holder without a password, a new login, so it is no way around the holder's own block.
 */
export function replaceCard(tx: WriteTx, actor: Actor, cardId: number, verificationCodeHash: string, nowMs: number = Date.now()): ReplacedCard | CardChangeRefusal {
  const found = changeableCard(tx, actor.tenantId, cardId);
  if (!found.ok) return found;
  if (heldBlockedByHolder(found.card, actor)) return { ok: false, reason: "card_blocked_by_holder" };
  const cardNumber = newCardNumber(tx);
  const newCardId = tx.run(
    db
      .insertInto("cards")
      .columns(["card_number", "user_id", "account_id", "verification_code_hash", "status", "limit_daily_ore", "limit_weekly_ore", "limit_monthly_ore", "created_at"])
      .expression(
        db
          .selectFrom("cards")
          .select((eb) => [
            eb.val(cardNumber).as("card_number"),
            "user_id",
            "account_id",
            eb.val(verificationCodeHash).as("verification_code_hash"),
            eb.val("active").as("status"),
            "limit_daily_ore",
            "limit_weekly_ore",
            "limit_monthly_ore",
            eb.val(nowMs).as("created_at"),
          ])
          .where("id", "=", cardId),
      ),
  ).lastInsertRowid;
  // The old card keeps who blocked it (if anyone), so the log and the record still tell a holder's block from staff's.
  tx.run(db.updateTable("cards").set({ status: "blocked", blocked_by: found.card.blockedBy ?? "staff", replaced_by_card_id: newCardId }).where("id", "=", cardId));
  deleteUserSessions(tx, found.card.userId);
  const hasPassword = tx.first(db.selectFrom("users").select("password_hash").where("id", "=", found.card.userId))?.password_hash != null;
  const delivery: CodeDelivery = notifiedAbout(tx, found.card.userId).length > 0 ? "email" : "letter";
  audit(
    tx,
    actor,
    "card.replace",
    `card:${cardId}`,
    { cardNumber: found.card.cardNumber, holder: found.card.holder, newCardId, newCardNumber: cardNumber, blockedBy: found.card.status === "blocked" ? found.card.blockedBy : null, codeDelivery: hasPassword ? "none" : delivery },
    nowMs,
  );
  return { ok: true, cardId: newCardId, cardNumber, userId: found.card.userId, oldCardNumber: found.card.cardNumber, holder: found.card.holder, hasPassword };
}

/**
 * Why no letter is printed: the card is unknown or replaced, someone has an e-mail (the code went there instead), the
 * holder blocked the card, or — for staff — the holder is a guardian, whose login moves other cardholders' money.
 */
export type LetterRefusal = { ok: false; reason: "card_not_found" | "card_replaced" | "card_blocked_by_holder" | "letter_not_needed" | "letter_needs_admin" };

export interface LetterCard {
  ok: true;
  cardNumber: string;
  holder: string | null;
  school: string | null;
  className: string | null;
  /** Null for a holder with a password: the letter then tells them to log in with it, and no code is made. */
  code: string | null;
}

/**
 * "Udskriv brev": the card letter for a holder nobody can be e-mailed about (a card never used). The letter gets a fresh
 * code, whose hash replaces the card's, so only the newest letter logs in; each print is audited (never the code).
 * `code`/`codeHash` were drawn and hashed by the caller before the write job.
 */
export function printCardLetter(tx: WriteTx, actor: Actor, cardId: number, code: string, codeHash: string, nowMs: number = Date.now()): LetterCard | LetterRefusal {
  const found = changeableCard(tx, actor.tenantId, cardId);
  if (!found.ok) return found;
  const { card } = found;
  // A blocked card still logs in (the holder must reach Konti), so a fresh code is a way around the holder's own block.
  if (heldBlockedByHolder(card, actor)) return { ok: false, reason: "card_blocked_by_holder" };
  // Where an e-mail reaches the holder or a guardian, the code travels there and never through staff's hands.
  if (notifiedAbout(tx, card.userId).length > 0) return { ok: false, reason: "letter_not_needed" };
  const user = tx.first(db.selectFrom("users").select(["password_hash", "school", "class_name"]).where("id", "=", card.userId))!;
  const hasPassword = user.password_hash !== null;
  const isGuardian = tx.first(db.selectFrom("guardians").select("child_user_id").where("guardian_user_id", "=", card.userId).limit(1)) !== undefined;
  if (!hasPassword && isGuardian && actor.role !== "admin") return { ok: false, reason: "letter_needs_admin" };
  if (!hasPassword) tx.run(db.updateTable("cards").set({ verification_code_hash: codeHash }).where("id", "=", cardId));
  audit(tx, actor, "card.letter", `card:${cardId}`, { cardNumber: card.cardNumber, holder: card.holder, withCode: !hasPassword }, nowMs);
  return { ok: true, cardNumber: card.cardNumber, holder: card.holder, school: user.school, className: user.class_name, code: hasPassword ? null : code };
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
  /** Who blocked the card (holder/guardian in the portal, or staff); null while it is active. */
  blockedBy: CardBlockedBy | null;
  accountId: number;
  balanceOre: number;
  /** The cardholders who may act on this cardholder's accounts in the portal (e.g. parents). */
  guardians: Guardian[];
}

/** Trigrams: the search index serves texts of at least three characters. */
const SEARCH_INDEX_MIN_LENGTH = 3;

/** The search index's query for a text: one quoted phrase, so the text is matched as typed, whatever FTS5 syntax it contains. */
function searchPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

/**
 * Above this many matches a page walks the tenant's cardholders in name order (`users_cardholder_name`) and stops after
 * its page; at or below it, sorting the matches is cheaper. At 100,000 cardholders "jensen" (6,675 matches) went from
 * 16.8 ms sorted to 4.7 ms walked, while "ida jensen-1" (48) stays 0.9 ms sorted where a walk costs 12 ms.
 */
const SEARCH_WALK_ABOVE = 2_000;

/**
 * The ids of the cardholders a text matches, from the search index (`cardholder_search`: name, name with æ/ø folded,
 * school, class, current card numbers). Three letters or more: its trigram index finds them without reading the others
 * (issue 27). Shorter texts have no trigram: the index's text is read and compared, which is still one small row per
 * cardholder rather than a cardholder joined to its card (a class "4A" of 25 among 20,000: 6 ms instead of 88 ms).
 */
function searchMatches(text: string) {
  const index = db.selectFrom("cardholder_search").select("cardholder_search.rowid");
  if (text.length >= SEARCH_INDEX_MIN_LENGTH) return index.where("cardholder_search.text", "match", searchPhrase(text));
  // instr() on lower-cased text finds the letters as typed, with no LIKE wildcards to escape.
  return index.where((eb) => eb(eb.fn("instr", [eb.fn("lower", [eb.ref("cardholder_search.text")]), eb.fn("lower", [eb.val(text)])]), ">", 0));
}

/** Whether more than SEARCH_WALK_ABOVE cardholders match (of any tenant: it only picks the plan, never the rows). */
function manyMatches(tx: Tx, text: string): boolean {
  const matches = searchMatches(text).limit(SEARCH_WALK_ABOVE + 1).as("matches");
  return (tx.first(db.selectFrom(matches).select((eb) => eb.fn.countAll<number>().as("n")))?.n ?? 0) > SEARCH_WALK_ABOVE;
}

/**
 * How SQLite finds a search's rows. "matches": from the index's matches, each looked up by id (few matches);
 * "name order": the tenant's cardholders in name order (`users_cardholder_name`), each checked against the matches,
 * stopping once a page is full (many matches, or no text at all).
 */
export type SearchPlan = "matches" | "name order";

/**
 * The current cards of the tenant's cardholders matching a search by name, card number, school or class: any
 * part of one of them, case- and accent-insensitive (ø also as o, æ as ae).
 */
export function cardholderSearch(tenantId: number, query: string, plan: SearchPlan, dense = false) {
  const text = query.trim();
  return db
    .selectFrom("users as u")
    .innerJoin("cards as c", "c.user_id", "u.id")
    .innerJoin("ledger_accounts as a", "a.id", "c.account_id")
    // The plan is chosen by what SQLite may look up: `x + 0` is the same value, but no index can find it. With
    // "matches" the tenant is checked on each matched row (the name index would read the whole tenant); with
    // "name order" the match is checked on each row of the tenant's name index.
    .where((eb) => (plan === "matches" ? eb(eb("u.tenant_id", "+", 0), "=", tenantId) : eb("u.tenant_id", "=", tenantId)))
    .where("u.role", "=", "cardholder")
    .where("c.replaced_by_card_id", "is", null)
    .$if(text !== "", (search) =>
      search.where((eb) => {
        // A short text matching thousands (`dense`): each cardholder read looks up its own index row, so the read stops
        // after its page or the count's cap without first reading every row of the index (a list of all matches would).
        if (dense && text.length < SEARCH_INDEX_MIN_LENGTH) {
          return eb.exists(
            eb
              .selectFrom("cardholder_search")
              .select(eb.lit(1).as("one"))
              .whereRef("cardholder_search.rowid", "=", "u.id")
              .where((inner) => inner(inner.fn("instr", [inner.fn("lower", [inner.ref("cardholder_search.text")]), inner.fn("lower", [inner.val(text)])]), ">", 0)),
          );
        }
        return plan === "matches" ? eb("u.id", "in", searchMatches(text)) : eb(eb("u.id", "+", 0), "in", searchMatches(text));
      }),
    );
}

/** Search by name, card number, school or class within the staff member's tenant, a page at a time. */
export function searchCardholders(tx: Tx, tenantId: number, query: string, limit = 50, offset = 0): CardholderRow[] {
  const text = query.trim();
  const many = text !== "" && manyMatches(tx, text);
  const plan: SearchPlan = text !== "" && !many ? "matches" : "name order";
  const rows = tx.all(
    cardholderSearch(tenantId, query, plan, many)
      .select(["u.id as user_id", "u.name", "u.email", "u.school", "u.class_name", "u.track", "c.id as card_id", "c.card_number", "c.status", "c.blocked_by", "c.account_id", "a.balance_ore"])
      // Name, then cardholder, then card: the order of `users_cardholder_name`, so a walk needs no sort.
      .orderBy((eb) => eb.fn("lower", [eb.ref("u.name")]))
      .orderBy("u.id")
      .orderBy("c.id")
      .limit(limit)
      .offset(offset),
  );
  const guardians = guardiansOfMany(tx, rows.map((row) => row.user_id));
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
    blockedBy: row.status === "blocked" ? row.blocked_by : null,
    accountId: row.account_id,
    balanceOre: row.balance_ore,
    guardians: guardians.get(row.user_id) ?? [],
  }));
}

/** The most matches a search counts: beyond it the list says "more than 1,000" (an exact count of 10,000 matches was most of a search's time, issue 27). */
export const SEARCH_COUNT_CAP = 1_000;

export interface CardholderCount {
  /** How many current cards match, at most `cap`. */
  total: number;
  /** More than `total` match: the count stopped at the cap. */
  capped: boolean;
}

/** How many current cards match a search (for paging), counting no further than `cap` + 1 matches. */
export function countCardholders(tx: Tx, tenantId: number, query: string, cap: number = SEARCH_COUNT_CAP): CardholderCount {
  // Counting stops at the cap, so it never reads more than cap + 1 matches: from the matches, in any order (a short text
  // that matches thousands reads the cardholders in storage order instead, and stops at the cap just as soon).
  const text = query.trim();
  const dense = text !== "" && text.length < SEARCH_INDEX_MIN_LENGTH && manyMatches(tx, text);
  const matches = cardholderSearch(tenantId, query, "matches", dense).select((eb) => eb.lit(1).as("one")).limit(cap + 1).as("matches");
  const n = tx.first(db.selectFrom(matches).select((eb) => eb.fn.countAll<number>().as("n")))?.n ?? 0;
  return n > cap ? { total: cap, capped: true } : { total: n, capped: false };
}

/** School, class and track are the canteen's to set; the cardholder sees them read-only in Brugerinfo. */
export function updateCardholderSchooling(
  tx: WriteTx,
  actor: Actor,
  change: { userId: number; school: string | null; className: string | null; track: string | null },
  nowMs: number = Date.now(),
): boolean {
  const result = tx.run(
    db
      .updateTable("users")
      .set({ school: change.school, class_name: change.className, track: change.track })
      .where("id", "=", change.userId)
      .where("tenant_id", "=", actor.tenantId)
      .where("role", "=", "cardholder"),
  );
  if (result.changes !== 1) return false;
  const holder = cardholderOfUser(tx, actor.tenantId, change.userId);
  audit(tx, actor, "cardholder.schooling", `user:${change.userId}`, { cardNumber: holder?.cardNumber ?? null, holder: holder?.holder ?? null, school: change.school, className: change.className, track: change.track }, nowMs);
  return true;
}
