// Staff sign-in, sign-out and who is signed in (with the tenant's canteens).
import * as z from "zod";
import { emailSchema } from "../../../common/portal.ts";
import { db } from "../../../db/query.ts";
import { portalPublicProcedure, staffProcedure, type Context } from "../../trpc.ts";
import { createSession, deleteSession, findSession, generateSessionToken, readCookie, SESSION_COOKIE, sessionCookie, clearedSessionCookie } from "../../auth/session.ts";
import { loginSucceeded, loginWaitSeconds, reserveLoginAttempt } from "../../auth/login-limit.ts";
import { canteensOfTenant } from "../../services/backoffice/canteens.ts";
import { recordLogin } from "../../ops/record.ts";

const dummyHash = Bun.password.hash("not-a-real-staff-password-0", { algorithm: "argon2id" });

function signIn(ctx: Context, userId: number) {
  const token = generateSessionToken();
  return ctx.services.store
    .write((tx) => createSession(tx, token, userId))
    .then((session) => ctx.resHeaders?.append("set-cookie", sessionCookie(token, session.expiresAt, ctx.secure ?? false)));
}

export const sessionProcedures = {
  /** Staff sign in with e-mail and password; the same rate limits as cardholders. */
  login: portalPublicProcedure.input(z.strictObject({ email: emailSchema, password: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const username = `staff:${input.email.toLowerCase()}`;
    const staff = store.read((tx) =>
      tx.first(
        db
          .selectFrom("users")
          .select(["id", "role", "name", "password_hash"])
          .where((eb) => eb(eb.fn("lower", ["email"]), "=", eb.fn("lower", [eb.val(input.email)])))
          .where("role", "in", ["staff", "admin"])
          .where("disabled_at", "is", null)
          .$narrowType<{ role: "staff" | "admin" }>(),
      ),
    );
    const subject = { userId: staff?.id ?? null, username };
    const reservation = await store.write((tx) => reserveLoginAttempt(tx, subject, ctx.clientAddress));
    if (reservation.ticket === null) {
      recordLogin("staff", "locked", { requestId: ctx.requestId, client: ctx.clientAddress });
      return { ok: false as const, reason: "locked" as const, retryAfterSeconds: reservation.retryAfterSeconds };
    }
    const ticket = reservation.ticket;
    const valid = staff?.password_hash ? await Bun.password.verify(input.password, staff.password_hash) : (await Bun.password.verify(input.password, await dummyHash)) && false;
    recordLogin("staff", valid ? "succeeded" : "failed", { requestId: ctx.requestId, client: ctx.clientAddress });
    if (!valid || !staff) {
      const locked = store.read((tx) => loginWaitSeconds(tx, subject, ctx.clientAddress));
      return locked > 0 ? { ok: false as const, reason: "locked" as const, retryAfterSeconds: locked } : { ok: false as const, reason: "invalid_credentials" as const };
    }
    await store.write((tx) => loginSucceeded(tx, ticket));
    const old = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
    if (old) {
      const found = store.read((tx) => findSession(tx, old));
      if (found) await store.write((tx) => deleteSession(tx, found.session.id));
    }
    await signIn(ctx, staff.id);
    return { ok: true as const, staff: { userId: staff.id, name: staff.name, role: staff.role } };
  }),

  logout: staffProcedure.mutation(async ({ ctx }) => {
    await ctx.services.store.write((tx) => deleteSession(tx, ctx.session.id));
    ctx.resHeaders?.append("set-cookie", clearedSessionCookie(ctx.secure ?? false));
    return { ok: true as const };
  }),

  me: staffProcedure.query(({ ctx }) => ({ userId: ctx.actor.userId, email: ctx.actor.label, role: ctx.actor.role, canteens: ctx.services.store.read((tx) => canteensOfTenant(tx, ctx.actor.tenantId)) })),
};
