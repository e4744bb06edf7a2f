// Password rules for cardholders: what a password is checked against, setting a new one, and single-use reset tokens.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { createSession, deleteUserSessions, type Session } from "../auth/session.ts";
import { clearCardLockouts } from "../auth/login-limit.ts";

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
  const row = tx.sqlite
    .query("SELECT u.password_hash, c.verification_code_hash FROM users u JOIN cards c ON c.user_id = u.id WHERE u.id = ? ORDER BY c.status = 'active' DESC, c.id DESC LIMIT 1")
    .get(userId) as { password_hash: string | null; verification_code_hash: string } | null;
  return row ? (row.password_hash ?? row.verification_code_hash) : null;
}

/**
 * Sets a new password (already hashed) and ends every session and every outstanding reset link of the user: whoever
 * knew the old password, or had an old link, is out. Optionally starts one new session for the device that asked.
 */
export function setPassword(tx: WriteTx, userId: number, passwordHash: string, options: { newSessionToken?: string; nowMs?: number } = {}): Session | null {
  const nowMs = options.nowMs ?? Date.now();
  tx.sqlite.query("UPDATE users SET password_hash = ? WHERE id = ?").run(passwordHash, userId);
  tx.sqlite.query("UPDATE password_reset_tokens SET used_at = ? WHERE user_id = ? AND used_at IS NULL").run(nowMs, userId);
  deleteUserSessions(tx, userId);
  return options.newSessionToken ? createSession(tx, options.newSessionToken, userId, nowMs) : null;
}

export interface ResetRecipient {
  userId: number;
  name: string | null;
}

/** Cardholders with this e-mail (case-insensitive); a parent may hold several children's cards under one address. */
export function cardholdersByEmail(tx: Tx, email: string): ResetRecipient[] {
  return (tx.sqlite.query("SELECT id, name FROM users WHERE lower(email) = lower(?) AND role = 'cardholder' ORDER BY id").all(email) as Array<{ id: number; name: string | null }>).map(
    (row) => ({ userId: row.id, name: row.name }),
  );
}

/** At most this many reset mails per user per hour, so nobody can flood an inbox through "Glemt adgangskode". */
export const MAX_RESET_MAILS_PER_HOUR = 3;

/** Stores a reset token unless the user already got the hourly maximum; returns whether a mail may be sent. */
export function storeResetToken(tx: WriteTx, token: string, userId: number, nowMs: number = Date.now()): boolean {
  const recent = (tx.sqlite.query("SELECT COUNT(*) AS n FROM password_reset_tokens WHERE user_id = ? AND created_at > ?").get(userId, nowMs - 3_600_000) as { n: number }).n;
  if (recent >= MAX_RESET_MAILS_PER_HOUR) return false;
  tx.sqlite
    .query("INSERT INTO password_reset_tokens (token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)")
    .run(resetTokenHash(token), userId, nowMs + RESET_TOKEN_TTL_MS, nowMs);
  return true;
}

/** The user a reset token belongs to while it is unused and unexpired, else null. */
export function resetTokenUser(tx: Tx, token: string, nowMs: number = Date.now()): number | null {
  const row = tx.sqlite
    .query("SELECT user_id FROM password_reset_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?")
    .get(resetTokenHash(token), nowMs) as { user_id: number } | null;
  return row?.user_id ?? null;
}

/**
 * Uses a reset token once: sets the password, ends all sessions and lifts a login lockout of the user's cards (whoever
 * can read the mailbox has proven who they are). Returns the user, or null when the token is unknown, used or expired.
 */
export function resetPasswordWithToken(tx: WriteTx, token: string, passwordHash: string, nowMs: number = Date.now()): number | null {
  const userId = resetTokenUser(tx, token, nowMs);
  if (userId === null) return null;
  setPassword(tx, userId, passwordHash, { nowMs });
  clearCardLockouts(tx, userId, nowMs);
  return userId;
}
