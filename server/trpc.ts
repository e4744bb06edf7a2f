// The only initTRPC: context type, error shaping (no stack traces, readable zod messages) and the sanctioned base procedures.
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { db } from "../db/query.ts";
import { authenticateTerminal, bearerToken } from "./auth/terminal.ts";
import { IdempotencyConflictError } from "./services/pos.ts";
import { HeavyReadsBusyError, HeavyReadTimeoutError } from "./services/reads/pool.ts";
import type { AppServices, Context } from "./context.ts";

export type { AppServices, Context };
import { clearedSessionCookie, extendSession, findSession, readCookie, SESSION_COOKIE, sessionCookie, type Session } from "./auth/session.ts";
import { findMe, InvalidCprError } from "./services/portal.ts";
import { findKitchenScreen, KITCHEN_COOKIE } from "./services/kitchen-auth.ts";
import { LedgerInvariantError, TransferConflictError } from "./ledger/ledger.ts";
import { errorField, log } from "./ops/logger.ts";
import { BUSY_RETRY_AFTER_SECONDS, SERVER_BUSY, STORAGE_RETRY_AFTER_SECONDS, STORAGE_UNAVAILABLE, StorageUnavailableError, storageCodeOf } from "./ops/storage.ts";
import { WriterBusyError } from "../db/writer.ts";

/** The header every browser mutation carries; a cross-site form cannot set it. */
export const CSRF_HEADER = "x-kantinekort-csrf";

export interface InputIssue {
  path: string;
  message: string;
}

/** One line naming every bad field, e.g. "Invalid input: amountOre: Amount must be a whole number of øre". */
export function readableInputError(error: ZodError): string {
  return `Invalid input: ${error.issues.map((issue) => (issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message)).join("; ")}`;
}

const t = initTRPC.context<Context>().create({
  // Never send stack traces to clients, whatever NODE_ENV says.
  isDev: false,
  sse: {
    // Bun.serve drops a connection after idleTimeout without bytes; pings keep live streams open.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const issues: InputIssue[] | undefined =
      error.cause instanceof ZodError ? error.cause.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })) : undefined;
    let message = shape.message;
    if (error.code === "INTERNAL_SERVER_ERROR") message = "Internal server error";
    else if (error.cause instanceof ZodError) message = readableInputError(error.cause);
    return {
      message,
      code: shape.code,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        ...(issues ? { issues } : {}),
        // A till written in any language can tell "the disk is full, retry this sale id later" from a refusal.
        ...(error.cause instanceof StorageUnavailableError ? { reason: STORAGE_UNAVAILABLE.reason, messages: STORAGE_UNAVAILABLE.message } : {}),
        ...(error.cause instanceof WriterBusyError ? { reason: SERVER_BUSY.reason, messages: SERVER_BUSY.message } : {}),
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps domain errors to tRPC codes; everything unexpected stays an INTERNAL_SERVER_ERROR (logged, not shown). */
function mapDomainErrors<R extends { ok: boolean; error?: TRPCError }>(result: R, path: string, requestId: string | undefined, resHeaders?: Headers): R {
  if (!result.ok) {
    const error = result.error!;
    const cause = error.cause;
    if (cause instanceof ZodError) throw new TRPCError({ code: "BAD_REQUEST", message: readableInputError(cause), cause });
    if (cause instanceof InvalidCprError) {
      throw new TRPCError({ code: "BAD_REQUEST", message: cause.message, cause });
    }
    if (cause instanceof IdempotencyConflictError || cause instanceof TransferConflictError) {
      throw new TRPCError({ code: "CONFLICT", message: cause.message, cause });
    }
    // A report or search over its time limit, or too many at once: said plainly, the tills never waited for it.
    if (cause instanceof HeavyReadTimeoutError) {
      throw new TRPCError({ code: "TIMEOUT", message: "Det tog for lang tid – vælg en kortere periode eller en smallere søgning / It took too long – choose a shorter period or a narrower search", cause });
    }
    if (cause instanceof HeavyReadsBusyError) {
      throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Der kører mange rapporter lige nu – prøv igen om lidt / Many reports are running – try again shortly", cause });
    }
    if (cause instanceof WriterBusyError) {
      // More writes waiting than the writer takes: refused before it ran, so the same request (the same sale id) may
      // be sent again. Counted in kantinekort_writer_busy_total, not logged per request.
      resHeaders?.set("retry-after", String(BUSY_RETRY_AFTER_SECONDS));
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: `${SERVER_BUSY.message.da} / ${SERVER_BUSY.message.en}`, cause });
    }
    const storageCode = error.code === "INTERNAL_SERVER_ERROR" || error.code === "SERVICE_UNAVAILABLE" ? storageCodeOf(cause) : null;
    if (storageCode !== null) {
      // The disk refused the write (full, read-only, failing): nothing was written, so the same request may be sent
      // again. Not logged here: the store logs storage errors once per interval with a count (server/ops/storage.ts).
      resHeaders?.set("retry-after", String(STORAGE_RETRY_AFTER_SECONDS));
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: STORAGE_UNAVAILABLE.message.en, cause: cause instanceof StorageUnavailableError ? cause : new StorageUnavailableError(storageCode, { cause }) });
    }
    if (error.code === "INTERNAL_SERVER_ERROR") {
      const severity = cause instanceof LedgerInvariantError ? "LEDGER INVARIANT" : "internal error";
      log.error({ requestId, procedure: path, err: errorField(cause ?? error, true) }, severity);
    }
  }
  return result;
}

const domainErrors = t.middleware(async ({ ctx, next, path }) => mapDomainErrors(await next(), path, ctx.requestId, ctx.resHeaders));

export const publicProcedure = t.procedure.use(domainErrors);

/**
 * Procedures for POS terminals: `Authorization: Bearer <terminal key>`, checked before anything else. The till's
 * hottest path, so one middleware does both the key check and the domain-error mapping (each tRPC middleware level
 * copies the call's options, and the context once more when it is extended), and known keys come from memory
 * (auth/terminal.ts says when that memory is forgotten).
 */
export const terminalProcedure = t.procedure.use(async ({ ctx, next, path }) => {
  const key = bearerToken(ctx.headers.get("authorization"));
  if (!key) throw new TRPCError({ code: "UNAUTHORIZED", message: "Missing terminal key: send Authorization: Bearer <key>" });
  const terminal = authenticateTerminal(ctx.services.store, key);
  if (!terminal) throw new TRPCError({ code: "UNAUTHORIZED", message: "Unknown or revoked terminal key" });
  return mapDomainErrors(await next({ ctx: { terminal } }), path, ctx.requestId, ctx.resHeaders);
});

/** Portal procedures without a session (login, password reset): mutations must carry the CSRF header. */
export const portalPublicProcedure = publicProcedure.use(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.headers.get(CSRF_HEADER) !== "1") throw new TRPCError({ code: "FORBIDDEN", message: "Missing CSRF header" });
  return next();
});

/** Anyone signed in (cardholder or staff), from the session cookie; sliding expiry is extended here. */
const sessionProcedure = portalPublicProcedure.use(async ({ ctx, next }) => {
  const token = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
  const { store } = ctx.services;
  const found = token ? store.read((tx) => findSession(tx, token)) : null;
  if (!token || !found) {
    if (token) ctx.resHeaders?.append("set-cookie", clearedSessionCookie(ctx.secure ?? false));
    throw new TRPCError({ code: "UNAUTHORIZED", message: "Not signed in" });
  }
  let session: Session = found.session;
  if (found.needsExtension) {
    await store.write((tx) => extendSession(tx, session.id));
    session = store.read((tx) => findSession(tx, token))?.session ?? session;
    ctx.resHeaders?.append("set-cookie", sessionCookie(token, session.expiresAt, ctx.secure ?? false));
  }
  const user = store.read((tx) => tx.first(db.selectFrom("users").select(["role", "tenant_id", "email"]).where("id", "=", session.userId)));
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Not signed in" });
  return next({ ctx: { session, userId: session.userId, sessionToken: token, role: user.role, tenantId: user.tenant_id, email: user.email } });
});

/** The signed-in cardholder. A staff session is not a cardholder session. */
export const cardholderProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "cardholder") throw new TRPCError({ code: "UNAUTHORIZED", message: "Not signed in as a cardholder" });
  return next();
});

/** Canteen staff and administrators (back office); `actor` is who the audit log names. */
export const staffProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "staff" && ctx.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "Back office only" });
  return next({ ctx: { actor: { userId: ctx.userId, tenantId: ctx.tenantId, role: ctx.role as "staff" | "admin", label: ctx.email ?? `user:${ctx.userId}` } } });
});

/** Administrator-only actions (terminals and screens, payouts, corrections). */
export const adminProcedure = staffProcedure.use(({ ctx, next }) => {
  if (ctx.role !== "admin") throw new TRPCError({ code: "FORBIDDEN", message: "Administrators only" });
  return next();
});

/** Cardholder procedures that need Brugerinfo's name and e-mail first (the first login lands there). */
export const profileCompleteProcedure = cardholderProcedure.use(({ ctx, next }) => {
  const me = ctx.services.store.read((tx) => findMe(tx, ctx.userId));
  if (!me) throw new TRPCError({ code: "UNAUTHORIZED", message: "Not signed in" });
  if (!me.profileComplete) throw new TRPCError({ code: "FORBIDDEN", message: "profile_incomplete" });
  return next();
});

/** Kitchen screens: the screen token from the kk_kitchen cookie; mutations need the CSRF header too. */
export const kitchenProcedure = portalPublicProcedure.use(({ ctx, next }) => {
  const raw = readCookie(ctx.headers.get("cookie"), KITCHEN_COOKIE);
  let token: string | null = null;
  try {
    token = raw ? decodeURIComponent(raw) : null;
  } catch {
    // A cookie that is not valid percent-encoding was never set by us: the screen is simply not signed in.
    token = null;
  }
  const screen = token ? ctx.services.store.read((tx) => findKitchenScreen(tx, token)) : null;
  if (!screen) throw new TRPCError({ code: "UNAUTHORIZED", message: "Kitchen screen not signed in" });
  return next({ ctx: { screen } });
});

/**
 * Links the server hands out (mails, payment return and callback URLs) start with PUBLIC_URL, which a running server
 * always has (required in production, the loopback origin in development): never the request's Host header, which
 * a stranger chooses. Without a running server (createCaller tests) the configured port on this machine stands in.
 */
export function publicBaseUrl(ctx: Context): string {
  const configured = ctx.services.config.publicUrl ?? `http://127.0.0.1:${ctx.services.config.port}`;
  return configured.replace(/\/$/, "");
}
