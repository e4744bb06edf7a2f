// Cardholder portal rules: who "me" is, Brugerinfo, Konti, Kontoudtog and support cases — scoped to the accounts the signed-in user may act on.
import { db, prepared } from "../../db/query.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";
import type { ExpressionBuilder } from "kysely";
import type * as z from "zod";
import type { Database, UserPhotosTable } from "../../db/schema.ts";
import type { profileUpdateSchema, supportInputSchema } from "../../common/portal.ts";
import { copenhagenMidnight } from "../../common/calendar.ts";
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

// Every signed-in portal request asks who "me" is, so the query is compiled once.
const cardholderById = prepared<{ userId: number }>()((p) =>
  db.selectFrom("users").select(["id", "name", "email"]).where("id", "=", p.userId).where("role", "=", "cardholder"),
);

export function findMe(tx: Tx, userId: number): Me | null {
  const row = cardholderById.first(tx, { userId });
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
  const row = tx.first(
    db
      .selectFrom("cards as c")
      .innerJoin("users as u", "u.id", "c.user_id")
      .select(["u.id", "u.password_hash", "c.verification_code_hash"])
      .where("c.card_number", "=", cardNumber)
      .where("c.replaced_by_card_id", "is", null)
      .where("u.role", "=", "cardholder"),
  );
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
  const user = tx.first(
    db.selectFrom("users").select(["name", "email", "cpr_encrypted", "address", "postal_code", "city", "phone", "school", "class_name", "track"]).where("id", "=", userId),
  )!;
  // The limits shown are those of the current card: an active one first, then the newest.
  const limits = tx.first(
    db
      .selectFrom("cards")
      .select(["limit_daily_ore", "limit_weekly_ore", "limit_monthly_ore"])
      .where("user_id", "=", userId)
      .orderBy((eb) => eb("status", "=", "active"), "desc")
      .orderBy("id", "desc")
      .limit(1),
  );
  const photo = tx.first(photoVersion(userId));
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
  tx.run(
    db
      .updateTable("users")
      .set({
        name: input.name,
        email: input.email,
        address: input.address || null,
        postal_code: input.postalCode || null,
        city: input.city || null,
        phone: input.phone || null,
        // A CPR number left out of the form keeps the stored one.
        ...(cprEncrypted !== undefined ? { cpr_encrypted: cprEncrypted } : {}),
      })
      .where("id", "=", userId),
  );
  tx.run(
    db
      .updateTable("cards")
      .set({ limit_daily_ore: input.limits.dailyOre, limit_weekly_ore: input.limits.weeklyOre, limit_monthly_ore: input.limits.monthlyOre })
      .where("user_id", "=", userId),
  );
}

type UserPhotoMime = UserPhotosTable["mime"];

export function savePhoto(tx: WriteTx, userId: number, mime: string, bytes: Uint8Array, nowMs: number = Date.now()): number {
  tx.run(
    db
      .insertInto("user_photos")
      .values({ user_id: userId, mime: mime as UserPhotoMime, bytes, version: 1, updated_at: nowMs })
      // A new upload bumps the version, so the photo URL changes and caches refresh.
      .onConflict((conflict) =>
        conflict.column("user_id").doUpdateSet((eb) => ({
          mime: eb.ref("excluded.mime"),
          bytes: eb.ref("excluded.bytes"),
          version: eb("version", "+", 1),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      ),
  );
  return tx.first(photoVersion(userId))!.version;
}

function photoVersion(userId: number) {
  return db.selectFrom("user_photos").select("version").where("user_id", "=", userId);
}

export function readPhoto(tx: Tx, userId: number): { mime: string; bytes: Uint8Array } | null {
  return tx.first(db.selectFrom("user_photos").select(["mime", "bytes"]).where("user_id", "=", userId)) ?? null;
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

// Run once per account on every Konti view, so compiled once. An active card first, then the newest.
const currentCardOfAccount = prepared<{ accountId: number }>()((p) =>
  db
    .selectFrom("cards")
    .select(["card_number", "status"])
    .where("account_id", "=", p.accountId)
    .orderBy((eb) => eb("status", "=", "active"), "desc")
    .orderBy("id", "desc")
    .limit(1),
);

/** Konti: every account the user may act on (see server/services/access.ts), their own first. */
export function listAccounts(tx: Tx, userId: number): AccountSummary[] {
  // One line per account, showing its current card (a replaced card's successor).
  return actableAccounts(tx, userId).map((account) => {
    const current = currentCardOfAccount.first(tx, { accountId: account.accountId });
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
  // The number of accounts varies per user, so this cannot be one prepared statement; bun:sqlite still caches the
  // statement per SQL text, which is the same for every user with the same number of accounts.
  const ids = [...accountIds];
  const rows = tx.all(
    db
      .selectFrom("transfers")
      .select([
        "seq",
        "id",
        "debit_account_id",
        "credit_account_id",
        "amount_ore",
        "kind",
        "reference",
        "description",
        "debit_balance_after_ore",
        "credit_balance_after_ore",
        "created_at",
      ])
      .where("seq", ">=", position.seq)
      .where((eb) => eb.or([eb("debit_account_id", "in", ids), eb("credit_account_id", "in", ids)]))
      .orderBy("seq")
      .limit(pageTransfers),
  );
  const events = rows
    .flatMap((row) => balanceEventsOf(toTransfer(row)))
    .filter((event) => owned.has(event.accountId) && isAfterPosition(event, position))
    .sort((a, b) => a.seq - b.seq || a.accountId - b.accountId);
  return { events, nextSeq: rows.length === pageTransfers ? rows[rows.length - 1]!.seq + 1 : null };
}

/** "Spær kort": blocks every card on the account at once; the next sale at a till is declined. */
export function blockAccountCards(tx: WriteTx, userId: number, accountId: number): AccountSummary | null {
  if (!actableAccount(tx, userId, accountId)) return null;
  // Recorded as the holder's (or a guardian's) own block: staff may then neither reopen nor replace the card.
  tx.run(
    db
      .updateTable("cards")
      .set((eb) => ({ status: "blocked", blocked_by: eb.case().when("user_id", "=", userId).then("holder").else("guardian").end().$castTo<"holder" | "guardian">() }))
      .where("account_id", "=", accountId),
  );
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

/** Transfers that move money on the account, either way. */
function movesAccount(accountId: number) {
  return (eb: ExpressionBuilder<Database, "transfers">) => eb.or([eb("debit_account_id", "=", accountId), eb("credit_account_id", "=", accountId)]);
}

/** Months (Copenhagen calendar) with at least one movement, newest first. */
export function statementMonths(tx: Tx, accountId: number): Array<{ year: number; month: number }> {
  const rows = tx.all(db.selectFrom("transfers").select("created_at").where(movesAccount(accountId)).orderBy("seq", "desc"));
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
  const account = tx.first(
    db
      .selectFrom("ledger_accounts as a")
      .select((eb) => [
        "a.name",
        eb
          .selectFrom("cards as c")
          .select("c.card_number")
          .whereRef("c.account_id", "=", "a.id")
          .orderBy((inner) => inner("c.status", "=", "active"), "desc")
          .orderBy("c.id", "desc")
          .limit(1)
          .as("card_number"),
      ])
      .where("a.id", "=", accountId),
  )!;
  const rows = tx.all(
    db
      .selectFrom("transfers")
      .select(["seq", "created_at", "kind", "description", "amount_ore", "debit_account_id", "debit_balance_after_ore", "credit_balance_after_ore"])
      .where(movesAccount(accountId))
      .where("created_at", ">=", from)
      .where("created_at", "<", to)
      .orderBy("seq"),
  );
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
  // The balance before the month: the last movement before it, or zero. Asked of each side's index apart (an OR of
  // the two sides read and sorted the card's whole history for one row, issue 27), the later of the two wins.
  const lastDebit = tx.first(
    db
      .selectFrom("transfers")
      .select(["seq", "debit_balance_after_ore as balance_after_ore"])
      .where("debit_account_id", "=", accountId)
      .where("created_at", "<", from)
      .orderBy("created_at", "desc")
      .orderBy("seq", "desc")
      .limit(1),
  );
  const lastCredit = tx.first(
    db
      .selectFrom("transfers")
      .select(["seq", "credit_balance_after_ore as balance_after_ore"])
      .where("credit_account_id", "=", accountId)
      .where("created_at", "<", from)
      .orderBy("created_at", "desc")
      .orderBy("seq", "desc")
      .limit(1),
  );
  const before = lastDebit && lastCredit ? (lastDebit.seq > lastCredit.seq ? lastDebit : lastCredit) : (lastDebit ?? lastCredit);
  const openingBalanceOre = before?.balance_after_ore ?? 0;
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
  const id = tx.run(
    db.insertInto("support_cases").values({
      user_id: userId,
      account_id: input.accountId,
      name: input.name,
      email: input.email,
      phone: input.phone || null,
      description: input.description,
      status: "open",
      created_at: nowMs,
    }),
  ).lastInsertRowid;
  return supportCaseNumber(id);
}
