// Cardholder sign-in: login (card number + code or password), logout, me, change password, forgotten password.
import { changePasswordInputSchema, emailSchema, loginInputSchema, resetPasswordInputSchema } from "../../common/portal.ts";
import * as z from "zod";
import { cardholderProcedure, portalPublicProcedure, publicBaseUrl, publicProcedure, router, type AppServices, type Context } from "../trpc.ts";
import { announceSessionsEnded, clearedSessionCookie, createSession, deleteSession, findSession, generateSessionToken, readCookie, SESSION_COOKIE, sessionCookie } from "../auth/session.ts";
import { AddressRateLimit, loginSucceeded, loginWaitSeconds, reserveLoginAttempt } from "../auth/login-limit.ts";
import { findLoginCandidate, findMe } from "../services/portal.ts";
import { cardholdersByEmail, currentPasswordHash, generateResetToken, hashPassword, resetPasswordWithToken, resetTokenUser, setPassword, storeResetToken } from "../services/auth.ts";
import { sendQuietly } from "../mail/mailer.ts";
import { recordLogin } from "../ops/record.ts";
import { errorField, log } from "../ops/logger.ts";

/** Verified against when the card is unknown, so a wrong card number takes as long as a wrong code. */
const dummyHash = Bun.password.hash("not-a-real-password-0", { algorithm: "argon2id" });

/** Logs name the card by its last four digits only. */
function maskedUsername(cardNumber: string): string {
  return `…${cardNumber.slice(-4)}`;
}

/** Password resets per client address in 15 minutes; one limiter per running server (tests start several). */
export const MAX_RESETS_PER_ADDRESS = 10;
const resetLimits = new WeakMap<AppServices, AddressRateLimit>();

/**
 * "Glemt adgangskode" answers before it looks anything up, and sends mails afterwards: a known address (a write and
 * a mail) and an unknown one (one read) must not be told apart by how long the answer takes. The work still running
 * is kept here so that tests (and a graceful shutdown) can wait for it.
 */
const resetMailWork = new Set<Promise<void>>();

/** Resolves when every "Glemt adgangskode" request answered so far has finished its background work. */
export async function resetMailsSettled(): Promise<void> {
  while (resetMailWork.size > 0) await Promise.all([...resetMailWork]);
}

async function sendResetMails(services: AppServices, email: string, base: string): Promise<void> {
  // Yield first: everything below, the lookup included, must happen after the caller has answered.
  await Promise.resolve();
  const { store, mailer } = services;
  const recipients = store.read((tx) => cardholdersByEmail(tx, email));
  for (const recipient of recipients) {
    const token = generateResetToken();
    // Over the hourly maximum nothing is sent.
    if (!(await store.write((tx) => storeResetToken(tx, token, recipient.userId)))) continue;
    await sendQuietly(mailer, {
      to: email,
      subject: "Nulstil adgangskode",
      text: `Hej ${recipient.name ?? ""}\n\nKlik på linket for at vælge en ny adgangskode til Kantinekort (gyldigt i 1 time, kan bruges én gang):\n${base}/nulstil-adgangskode?token=${token}\n\nHar du ikke bedt om det, kan du se bort fra denne e-mail.\n\n---\nReset your Kantinekort password with the link above (valid for 1 hour, single use).`,
    });
  }
}

function setSessionCookie(ctx: Context, token: string, expiresAt: number): void {
  ctx.resHeaders?.append("set-cookie", sessionCookie(token, expiresAt, ctx.secure ?? false));
}

export const authRouter = router({
  login: portalPublicProcedure.input(loginInputSchema).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const address = ctx.clientAddress;
    const candidate = store.read((tx) => findLoginCandidate(tx, input.cardNumber));
    const subject = { userId: candidate?.userId ?? null, username: input.cardNumber };
    const reservation = await store.write((tx) => reserveLoginAttempt(tx, subject, address));
    if (reservation.ticket === null) {
      // Not checked and not counted; the log keeps the record (a row per refused try would let a flood grow the table).
      recordLogin("cardholder", "locked", { requestId: ctx.requestId, user: maskedUsername(input.cardNumber), client: address });
      return { ok: false as const, reason: "locked" as const, retryAfterSeconds: reservation.retryAfterSeconds };
    }
    const ticket = reservation.ticket;
    const valid = candidate
      ? await Bun.password.verify(input.password, candidate.passwordHash ?? candidate.verificationCodeHash)
      : (await Bun.password.verify(input.password, await dummyHash)) && false;
    recordLogin("cardholder", valid ? "succeeded" : "failed", { requestId: ctx.requestId, user: maskedUsername(input.cardNumber), client: address });
    if (!valid || !candidate) {
      const waitSeconds = store.read((tx) => loginWaitSeconds(tx, subject, address));
      return waitSeconds > 0 ? { ok: false as const, reason: "locked" as const, retryAfterSeconds: waitSeconds } : { ok: false as const, reason: "invalid_credentials" as const };
    }
    // A new token on every login, so a token planted before login is worthless; the session the browser brought ends.
    const oldToken = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
    const token = generateSessionToken();
    const session = await store.write((tx) => {
      loginSucceeded(tx, ticket);
      const old = oldToken ? findSession(tx, oldToken) : null;
      if (old) deleteSession(tx, old.session.id);
      return { created: createSession(tx, token, candidate.userId), endedUserId: old?.session.userId ?? null };
    });
    if (session.endedUserId !== null) announceSessionsEnded(ctx.services.bus, session.endedUserId);
    // Beyond the cap of live sessions the oldest ended: their open streams re-check and close.
    if (session.created.ended > 0 && session.endedUserId !== candidate.userId) announceSessionsEnded(ctx.services.bus, candidate.userId);
    setSessionCookie(ctx, token, session.created.expiresAt);
    return { ok: true as const, me: store.read((tx) => findMe(tx, candidate.userId))! };
  }),

  logout: cardholderProcedure.mutation(async ({ ctx }) => {
    await ctx.services.store.write((tx) => deleteSession(tx, ctx.session.id));
    // Streams opened with this session end now, not when the tab happens to reconnect.
    announceSessionsEnded(ctx.services.bus, ctx.userId);
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
    // Guesses at the current password count against the account like guesses at login: whoever holds a session
    // (a borrowed phone, an unlocked PC) gets no more tries than a stranger at the login page.
    const subject = { userId: ctx.userId, username: `password-change:${ctx.userId}` };
    const reservation = await store.write((tx) => reserveLoginAttempt(tx, subject, ctx.clientAddress));
    if (reservation.ticket === null) return { ok: false as const, reason: "locked" as const, retryAfterSeconds: reservation.retryAfterSeconds };
    const ticket = reservation.ticket;
    const current = store.read((tx) => currentPasswordHash(tx, ctx.userId));
    if (!current || !(await Bun.password.verify(input.currentPassword, current))) {
      const waitSeconds = store.read((tx) => loginWaitSeconds(tx, subject, ctx.clientAddress));
      return waitSeconds > 0 ? { ok: false as const, reason: "locked" as const, retryAfterSeconds: waitSeconds } : { ok: false as const, reason: "wrong_password" as const };
    }
    await store.write((tx) => loginSucceeded(tx, ticket));
    const newHash = await hashPassword(input.newPassword);
    // Every session ends, on every device; this one continues under a new token, in the same transaction.
    const token = generateSessionToken();
    const session = await store.write((tx) => setPassword(tx, ctx.userId, newHash, { newSessionToken: token }));
    announceSessionsEnded(ctx.services.bus, ctx.userId);
    setSessionCookie(ctx, token, session!.expiresAt);
    return { ok: true as const };
  }),

  requestPasswordReset: portalPublicProcedure.input(z.strictObject({ email: emailSchema })).mutation(({ ctx, input }) => {
    const work = sendResetMails(ctx.services, input.email, publicBaseUrl(ctx))
      .catch((error) => log.error({ err: errorField(error) }, "password reset mail failed"))
      .finally(() => resetMailWork.delete(work));
    resetMailWork.add(work);
    // The same answer, at the same moment, whether or not the address is known.
    return { ok: true as const };
  }),

  resetPassword: portalPublicProcedure.input(resetPasswordInputSchema).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    let limit = resetLimits.get(ctx.services);
    if (!limit) resetLimits.set(ctx.services, (limit = new AddressRateLimit(MAX_RESETS_PER_ADDRESS, 15 * 60_000)));
    const retryAfterSeconds = limit.take(ctx.clientAddress ?? "unknown");
    if (retryAfterSeconds > 0) return { ok: false as const, reason: "rate_limited" as const, retryAfterSeconds };
    // The token is checked before the (deliberately slow) hash, so a stream of made-up tokens costs one read each;
    // the write checks it again, since it may have been used or voided while hashing.
    if (store.read((tx) => resetTokenUser(tx, input.token)) === null) return { ok: false as const, reason: "invalid_or_expired" as const };
    const newHash = await hashPassword(input.newPassword);
    const userId = await store.write((tx) => resetPasswordWithToken(tx, input.token, newHash));
    if (userId === null) return { ok: false as const, reason: "invalid_or_expired" as const };
    announceSessionsEnded(ctx.services.bus, userId);
    return { ok: true as const };
  }),
});
