// Sessions the Lucia way: a random token in an HttpOnly cookie, only its SHA-256 stored; sliding expiry with an absolute limit.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Tx, WriteTx } from "../../db/tx.ts";
import type { EventBus } from "../events/bus.ts";

export const SESSION_COOKIE = "kk_session";
const DAY_MS = 86_400_000;
/** Idle lifetime: a session not used for this long ends. Each use in its second half extends it. */
export const SESSION_IDLE_MS = 30 * DAY_MS;
/** No session lives longer than this, however often it is used. */
export const SESSION_ABSOLUTE_MS = 90 * DAY_MS;

export interface Session {
  id: string;
  userId: number;
  expiresAt: number;
  absoluteExpiresAt: number;
}

/** 20 random bytes (160 bits), base32: the token the browser keeps. */
export function generateSessionToken(): string {
  return encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

export function sessionIdOf(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export function createSession(tx: WriteTx, token: string, userId: number, nowMs: number = Date.now()): Session {
  const session: Session = { id: sessionIdOf(token), userId, expiresAt: nowMs + SESSION_IDLE_MS, absoluteExpiresAt: nowMs + SESSION_ABSOLUTE_MS };
  tx.sqlite
    .query("INSERT INTO sessions (id, user_id, expires_at, absolute_expires_at, created_at) VALUES (?, ?, ?, ?, ?)")
    .run(session.id, userId, session.expiresAt, session.absoluteExpiresAt, nowMs);
  return session;
}

export type SessionLookup = { session: Session; needsExtension: boolean } | null;

/** Finds a live session for a token. Expired ones count as absent (they are deleted by `extendOrDrop`). */
export function findSession(tx: Tx, token: string, nowMs: number = Date.now()): SessionLookup {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const row = tx.sqlite.query("SELECT id, user_id, expires_at, absolute_expires_at FROM sessions WHERE id = ?").get(sessionIdOf(token)) as {
    id: string;
    user_id: number;
    expires_at: number;
    absolute_expires_at: number;
  } | null;
  if (!row || nowMs >= row.expires_at || nowMs >= row.absolute_expires_at) return null;
  return {
    session: { id: row.id, userId: row.user_id, expiresAt: row.expires_at, absoluteExpiresAt: row.absolute_expires_at },
    needsExtension: nowMs >= row.expires_at - SESSION_IDLE_MS / 2 && row.expires_at < row.absolute_expires_at,
  };
}

/** Slides the idle expiry forward (never past the absolute limit). */
export function extendSession(tx: WriteTx, sessionId: string, nowMs: number = Date.now()): void {
  tx.sqlite.query("UPDATE sessions SET expires_at = MIN(?, absolute_expires_at) WHERE id = ?").run(nowMs + SESSION_IDLE_MS, sessionId);
}

export function deleteSession(tx: WriteTx, sessionId: string): void {
  tx.sqlite.query("DELETE FROM sessions WHERE id = ?").run(sessionId);
}

export function deleteUserSessions(tx: WriteTx, userId: number): void {
  tx.sqlite.query("DELETE FROM sessions WHERE user_id = ?").run(userId);
}

/**
 * Tells open streams of the user that sessions ended; each re-checks its own and ends if it is gone. Call after the
 * write that deleted them has committed (the bus is not transactional).
 */
export function announceSessionsEnded(bus: EventBus, userId: number): void {
  bus.publish("sessionsEnded", userId, { userId });
}

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=") || null;
  }
  return null;
}

/** Secure only when the request arrived over HTTPS (directly or through a proxy), so local HTTP still works. */
export function sessionCookie(token: string, expiresAt: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${new Date(expiresAt).toUTCString()}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

export function isHttps(request: { url: string; headers: Headers }): boolean {
  return request.headers.get("x-forwarded-proto") === "https" || request.url.startsWith("https:");
}
