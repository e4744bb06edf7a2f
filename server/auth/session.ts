// Sessions the Lucia way: a random token in an HttpOnly cookie, only its SHA-256 stored; sliding expiry with an absolute limit.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import type { Selectable } from "kysely";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { SessionsTable } from "../../db/schema.ts";
import type { EventBus } from "../events/bus.ts";

export const SESSION_COOKIE = "kk_session";
const DAY_MS = 86_400_000;
/** Idle lifetime: a session not used for this long ends. Each use in its second half extends it. */
export const SESSION_IDLE_MS = 30 * DAY_MS;
/** No session lives longer than this, however often it is used. */
export const SESSION_ABSOLUTE_MS = 90 * DAY_MS;
/** Live sessions a user may hold; a new sign-in beyond it ends the oldest (300 logins no longer leave 300 sessions). */
export const MAX_SESSIONS_PER_USER = 10;

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

/**
 * Starts a session; beyond MAX_SESSIONS_PER_USER the user's oldest sessions end. `ended` says how many did, so the
 * caller can tell their open streams (announceSessionsEnded) once the write has committed.
 */
export function createSession(tx: WriteTx, token: string, userId: number, nowMs: number = Date.now()): Session & { ended: number } {
  const session: Session = { id: sessionIdOf(token), userId, expiresAt: nowMs + SESSION_IDLE_MS, absoluteExpiresAt: nowMs + SESSION_ABSOLUTE_MS };
  tx.run(db.insertInto("sessions").values({ id: session.id, user_id: userId, expires_at: session.expiresAt, absolute_expires_at: session.absoluteExpiresAt, created_at: nowMs }));
  const ended = tx.run(
    db
      .deleteFrom("sessions")
      .where("user_id", "=", userId)
      .where(
        "id",
        "not in",
        db.selectFrom("sessions").select("id").where("user_id", "=", userId).orderBy("created_at", "desc").orderBy("expires_at", "desc").limit(MAX_SESSIONS_PER_USER),
      ),
  ).changes;
  return { ...session, ended };
}

export type SessionLookup = { session: Session; needsExtension: boolean } | null;

/** The per-request session lookup: compiled once, run on every signed-in request. */
const sessionById = prepared<{ id: string }>()((p) => db.selectFrom("sessions").select(["id", "user_id", "expires_at", "absolute_expires_at"]).where("id", "=", p.id));

export type SessionRow = Pick<Selectable<SessionsTable>, "id" | "user_id" | "expires_at" | "absolute_expires_at">;

/** Finds a live session for a token. Expired ones count as absent (the retention purge deletes them). */
export function findSession(tx: Tx, token: string, nowMs: number = Date.now()): SessionLookup {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const row: SessionRow | undefined = sessionById.first(tx, { id: sessionIdOf(token) });
  if (!row || nowMs >= row.expires_at || nowMs >= row.absolute_expires_at) return null;
  return {
    session: { id: row.id, userId: row.user_id, expiresAt: row.expires_at, absoluteExpiresAt: row.absolute_expires_at },
    needsExtension: nowMs >= row.expires_at - SESSION_IDLE_MS / 2 && row.expires_at < row.absolute_expires_at,
  };
}

/** Slides the idle expiry forward (never past the absolute limit). */
export function extendSession(tx: WriteTx, sessionId: string, nowMs: number = Date.now()): void {
  tx.run(
    db
      .updateTable("sessions")
      .set((eb) => ({ expires_at: eb.fn<number>("min", [eb.val(nowMs + SESSION_IDLE_MS), eb.ref("absolute_expires_at")]) }))
      .where("id", "=", sessionId),
  );
}

export function deleteSession(tx: WriteTx, sessionId: string): void {
  tx.run(db.deleteFrom("sessions").where("id", "=", sessionId));
}

export function deleteUserSessions(tx: WriteTx, userId: number): void {
  tx.run(db.deleteFrom("sessions").where("user_id", "=", userId));
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
