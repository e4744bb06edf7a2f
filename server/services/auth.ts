// Password rules for cardholders: what a password is checked against, setting a new one, and single-use reset tokens.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db } from "../../db/query.ts";
import { createSession, deleteUserSessions, type Session } from "../auth/session.ts";
import { clearAccountThrottle } from "../auth/login-limit.ts";

/** A reset link works for one hour, once. */
export const RESET_TOKEN_TTL_MS = 60 * 60_000;

/** argon2id (Bun's implementation); call before entering a write job, since hashing is deliberately slow. */
export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

/** 160 random bits in lower-case base32, like session tokens. */
export function generateResetToken(): string {
  return encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

/** Only this hash is stored, so a copy of the database cannot be used to reset anyone's password. */
export function resetTokenHash(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

/**
 * The hash a signed-in user's current password is checked against: their own password once set, before that the
 * verification code of their card (the active one first, as at login).
 */
export function currentPasswordHash(tx: Tx, userId: number): string | null {
  const row = tx.first(
    db
      .selectFrom("users as u")
      .innerJoin("cards as c", "c.user_id", "u.id")
      .select(["u.password_hash", "c.verification_code_hash"])
      .where("u.id", "=", userId)
      .orderBy((eb) => eb("c.status", "=", "active"), "desc")
      .orderBy("c.id", "desc")
      .limit(1),
  );
  return row ? (row.password_hash ?? row.verification_code_hash) : null;
}

/**
 * Sets a new password (already hashed) and ends every session and every outstanding reset link of the user: whoever
 * knew the old password, or had an old link, is out. Optionally starts one new session for the device that asked.
 */
export function setPassword(tx: WriteTx, userId: number, passwordHash: string, options: { newSessionToken?: string; nowMs?: number } = {}): Session | null {
  const nowMs = options.nowMs ?? Date.now();
  tx.run(db.updateTable("users").set({ password_hash: passwordHash }).where("id", "=", userId));
  tx.run(db.updateTable("password_reset_tokens").set({ used_at: nowMs }).where("user_id", "=", userId).where("used_at", "is", null));
  deleteUserSessions(tx, userId);
  return options.newSessionToken ? createSession(tx, options.newSessionToken, userId, nowMs) : null;
}

export interface ResetRecipient {
  userId: number;
  name: string | null;
}

/** Cardholders with this e-mail (case-insensitive); a parent may hold several children's cards under one address. */
export function cardholdersByEmail(tx: Tx, email: string): ResetRecipient[] {
  return tx
    .all(
      db
        .selectFrom("users")
        .select(["id", "name"])
        .where((eb) => eb(eb.fn("lower", ["email"]), "=", eb.fn("lower", [eb.val(email)])))
        .where("role", "=", "cardholder")
        .orderBy("id"),
    )
    .map((row) => ({ userId: row.id, name: row.name }));
}

/** At most this many reset mails per user per hour, so nobody can flood an inbox through "Glemt adgangskode". */
export const MAX_RESET_MAILS_PER_HOUR = 3;

/** Stores a reset token unless the user already got the hourly maximum; returns whether a mail may be sent. */
export function storeResetToken(tx: WriteTx, token: string, userId: number, nowMs: number = Date.now()): boolean {
  const recent = tx.first(
    db
      .selectFrom("password_reset_tokens")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", userId)
      .where("created_at", ">", nowMs - 3_600_000),
  )!.n;
  if (recent >= MAX_RESET_MAILS_PER_HOUR) return false;
  tx.run(db.insertInto("password_reset_tokens").values({ token_hash: resetTokenHash(token), user_id: userId, expires_at: nowMs + RESET_TOKEN_TTL_MS, used_at: null, created_at: nowMs }));
  return true;
}

/** The user a reset token belongs to while it is unused and unexpired, else null. */
export function resetTokenUser(tx: Tx, token: string, nowMs: number = Date.now()): number | null {
  const row = tx.first(
    db
      .selectFrom("password_reset_tokens")
      .select("user_id")
      .where("token_hash", "=", resetTokenHash(token))
      .where("used_at", "is", null)
      .where("expires_at", ">", nowMs),
  );
  return row?.user_id ?? null;
}

/**
 * Uses a reset token once: sets the password, ends all sessions and lifts the login waits of the account (whoever
 * can read the mailbox has proven who they are). Returns the user, or null when the token is unknown, used or expired.
 */
export function resetPasswordWithToken(tx: WriteTx, token: string, passwordHash: string, nowMs: number = Date.now()): number | null {
  const userId = resetTokenUser(tx, token, nowMs);
  if (userId === null) return null;
  setPassword(tx, userId, passwordHash, { nowMs });
  clearAccountThrottle(tx, userId);
  return userId;
}
