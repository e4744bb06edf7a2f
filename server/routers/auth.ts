// Cardholder sign-in: login (card number + code or password), logout, me, change password, forgotten password.
import { TRPCError } from "@trpc/server";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from "@oslojs/encoding";
import { changePasswordInputSchema, emailSchema, loginInputSchema, resetPasswordInputSchema } from "../../common/portal.ts";
import * as z from "zod";
import { cardholderProcedure, portalPublicProcedure, publicProcedure, router, type Context } from "../trpc.ts";
import { clearedSessionCookie, createSession, deleteSession, deleteUserSessions, findSession, generateSessionToken, readCookie, SESSION_COOKIE, sessionCookie } from "../auth/session.ts";
import { lockoutSeconds, recordLoginAttempt } from "../auth/login-limit.ts";
import { findLoginCandidate, findMe } from "../services/portal.ts";
import { sendQuietly } from "../mail/mailer.ts";

const RESET_TOKEN_TTL_MS = 60 * 60_000;
/** Verified against when the card is unknown, so a wrong card number takes as long as a wrong code. */
const dummyHash = Bun.password.hash("not-a-real-password-0", { algorithm: "argon2id" });

function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: "argon2id" });
}

function tokenHash(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

function maskedUsername(cardNumber: string): string {
  return `…${cardNumber.slice(-4)}`;
}

/** Links in mails point at PUBLIC_URL; only outside production may the request's own Host stand in for it. */
function publicBaseUrl(ctx: Context): string {
  if (ctx.services.config.publicUrl) return ctx.services.config.publicUrl.replace(/\/$/, "");
  if (ctx.services.config.production) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "PUBLIC_URL is not configured" });
  return `${ctx.secure ? "https" : "http"}://${ctx.headers.get("host") ?? "localhost"}`;
}

async function startSession(ctx: Context, userId: number): Promise<void> {
  const token = generateSessionToken();
  const session = await ctx.services.store.write((tx) => createSession(tx, token, userId));
  ctx.resHeaders?.append("set-cookie", sessionCookie(token, session.expiresAt, ctx.secure ?? false));
}

export const authRouter = router({
  login: portalPublicProcedure.input(loginInputSchema).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const address = ctx.clientAddress;
    const locked = store.read((tx) => lockoutSeconds(tx, input.cardNumber, address));
    if (locked > 0) {
      console.info(`login refused (locked) for card ${maskedUsername(input.cardNumber)} from ${address ?? "?"}`);
      return { ok: false as const, reason: "locked" as const, retryAfterSeconds: locked };
    }
    const candidate = store.read((tx) => findLoginCandidate(tx, input.cardNumber));
    const valid = candidate
      ? await Bun.password.verify(input.password, candidate.passwordHash ?? candidate.verificationCodeHash)
      : (await Bun.password.verify(input.password, await dummyHash)) && false;
    await store.write((tx) => recordLoginAttempt(tx, input.cardNumber, address, valid));
    console.info(`login ${valid ? "succeeded" : "failed"} for card ${maskedUsername(input.cardNumber)} from ${address ?? "?"}`);
    if (!valid || !candidate) {
      const lockedNow = store.read((tx) => lockoutSeconds(tx, input.cardNumber, address));
      return lockedNow > 0 ? { ok: false as const, reason: "locked" as const, retryAfterSeconds: lockedNow } : { ok: false as const, reason: "invalid_credentials" as const };
    }
    // A new token on every login, so a token planted before login is worthless.
    const oldToken = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
    if (oldToken) {
      const old = store.read((tx) => findSession(tx, oldToken));
      if (old) await store.write((tx) => deleteSession(tx, old.session.id));
    }
    await startSession(ctx, candidate.userId);
    return { ok: true as const, me: store.read((tx) => findMe(tx, candidate.userId))! };
  }),

  logout: cardholderProcedure.mutation(async ({ ctx }) => {
    await ctx.services.store.write((tx) => deleteSession(tx, ctx.session.id));
    ctx.resHeaders?.append("set-cookie", clearedSessionCookie(ctx.secure ?? false));
    return { ok: true as const };
  }),

  me: publicProcedure.query(({ ctx }) => {
    const token = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
    if (!token) return null;
    return ctx.services.store.read((tx) => {
      const found = findSession(tx, token);
      return found ? findMe(tx, found.session.userId) : null;
    });
  }),

  changePassword: cardholderProcedure.input(changePasswordInputSchema).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const current = store.read(
      (tx) =>
        tx.sqlite
          .query("SELECT u.password_hash, c.verification_code_hash FROM users u JOIN cards c ON c.user_id = u.id WHERE u.id = ? ORDER BY c.status = 'active' DESC, c.id DESC LIMIT 1")
          .get(ctx.userId) as { password_hash: string | null; verification_code_hash: string } | null,
    );
    if (!current || !(await Bun.password.verify(input.currentPassword, current.password_hash ?? current.verification_code_hash))) {
      return { ok: false as const, reason: "wrong_password" as const };
    }
    const newHash = await hashPassword(input.newPassword);
    await store.write((tx) => {
      tx.sqlite.query("UPDATE users SET password_hash = ? WHERE id = ?").run(newHash, ctx.userId);
      // Every session ends, on every device; this one continues under a new token.
      deleteUserSessions(tx, ctx.userId);
    });
    await startSession(ctx, ctx.userId);
    return { ok: true as const };
  }),

  requestPasswordReset: portalPublicProcedure.input(z.strictObject({ email: emailSchema })).mutation(async ({ ctx, input }) => {
    const { store, mailer } = ctx.services;
    const users = store.read((tx) => tx.sqlite.query("SELECT id, name FROM users WHERE lower(email) = lower(?) AND role = 'cardholder'").all(input.email) as Array<{ id: number; name: string | null }>);
    const base = publicBaseUrl(ctx);
    for (const user of users) {
      const token = encodeBase32LowerCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
      const now = Date.now();
      await store.write((tx) =>
        tx.sqlite.query("INSERT INTO password_reset_tokens (token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)").run(tokenHash(token), user.id, now + RESET_TOKEN_TTL_MS, now),
      );
      await sendQuietly(mailer, {
        to: input.email,
        subject: "Nulstil adgangskode",
        text: `Hej ${user.name ?? ""}\n\nKlik på linket for at vælge en ny adgangskode til Kantinekort (gyldigt i 1 time, kan bruges én gang):\n${base}/nulstil-adgangskode?token=${token}\n\nHar du ikke bedt om det, kan du se bort fra denne e-mail.\n\n---\nReset your Kantinekort password with the link above (valid for 1 hour, single use).`,
      });
    }
    // The same answer whether or not the address is known.
    return { ok: true as const };
  }),

  resetPassword: portalPublicProcedure.input(resetPasswordInputSchema).mutation(async ({ ctx, input }) => {
    const newHash = await hashPassword(input.newPassword);
    const hash = tokenHash(input.token);
    const done = await ctx.services.store.write((tx) => {
      const row = tx.sqlite.query("SELECT user_id FROM password_reset_tokens WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?").get(hash, Date.now()) as { user_id: number } | null;
      if (!row) return false;
      tx.sqlite.query("UPDATE password_reset_tokens SET used_at = ? WHERE token_hash = ?").run(Date.now(), hash);
      tx.sqlite.query("UPDATE users SET password_hash = ? WHERE id = ?").run(newHash, row.user_id);
      deleteUserSessions(tx, row.user_id);
      return true;
    });
    return done ? { ok: true as const } : { ok: false as const, reason: "invalid_or_expired" as const };
  }),
});
