// Cardholder portal rules: who "me" is, the card-number sign-in candidate, Brugerinfo (profile and photo) and support cases; Konti is accounts.ts, Kontoudtog statements.ts.
import { db, prepared } from "../../db/query.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";
import type * as z from "zod";
import type { UserPhotosTable } from "../../db/schema.ts";
import type { profileUpdateSchema, supportInputSchema } from "../../common/portal.ts";
import { CprCipher, maskCpr, normaliseCpr } from "../auth/cpr.ts";
import { actableAccount } from "./access.ts";

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
