// Konti: the cardholder's accounts, "Spær kort", and the live balance stream (one SSE subscription, resumable by event id).
import { TRPCError, tracked } from "@trpc/server";
import * as z from "zod";
import { cardholderProcedure, profileCompleteProcedure, router } from "../trpc.ts";
import { balanceEventsAfter, blockAccountCards, listAccounts, type StreamPosition } from "../services/accounts.ts";
import { actableAccountIds } from "../services/access.ts";
import type { AutoTopUpEvent, BalanceEvent, CardStatusEvent, LowBalanceEvent, OrderEvent } from "../events/bus.ts";
import { orderEventsSince } from "../services/orders/kitchen.ts";
import { findSession } from "../auth/session.ts";
import { claimStreamSlot, MAX_PENDING_EVENTS, streamSlots } from "../events/stream-limits.ts";
import { log } from "../ops/logger.ts";
import { db, prepared } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";

/** Transfers read per backfill query; a long-disconnected client is caught up page by page, never truncated. */
export const BACKFILL_PAGE_TRANSFERS = 500;

/**
 * What the tab's one live stream carries: balance changes, automatic top-up results and order changes. The first event
 * of every stream is a "position" event with no content: it gives the tab a resumable id before anything has
 * happened, so a tab that drops before its first real event still resumes without losing what it missed.
 */
export type PortalEvent =
  | { type: "position" }
  | ({ type: "balance" } & BalanceEvent)
  | ({ type: "autoTopUp" } & AutoTopUpEvent)
  | ({ type: "order" } & OrderEvent)
  /** A live notice only (the e-mail is its lasting copy): not replayed, so it keeps the stream's position. */
  | ({ type: "lowBalance" } & LowBalanceEvent)
  /** A card blocked or unblocked in the back office; live only, like lowBalance (the accounts list has the status). */
  | ({ type: "cardStatus" } & CardStatusEvent);

/**
 * An open stream re-checks its session when the bus says sessions ended (logout, password change or reset, a replaced
 * card) or access changed (a guardian link), and otherwise once when the session is due to expire, but at least this
 * often. Streams are never polled on a short interval: with thousands open, a poll every few seconds each took the
 * CPU the tills need (the live-balance benchmark fell from 6,460 to 125 sales in 5 s at 4,000 streams).
 */
export const SESSION_RECHECK_MAX_MS = 60 * 60 * 1000;

/** Milliseconds until the stream should look at its session again: its expiry, within [1 s, SESSION_RECHECK_MAX_MS]. */
export function recheckDelayMs(session: { expiresAt: number; absoluteExpiresAt: number }, nowMs: number = Date.now()): number {
  const untilExpiry = Math.min(session.expiresAt, session.absoluteExpiresAt) - nowMs;
  return Math.max(1_000, Math.min(SESSION_RECHECK_MAX_MS, untilExpiry));
}

/**
 * A stream position: the last balance event (transfer seq and account — a transfer between two of the user's
 * accounts yields two events), the last top-up result and the last order event. Written as
 * "<seq>-<account>.<top-up seq>.<order seq>". "After the whole transfer N" is written as "before transfer N + 1"
 * (account 0), so every part stays a small integer that `parsePosition` accepts.
 */
interface Position {
  seq: number;
  accountId: number;
  topUpSeq: number;
  /** The last order event (webshop orders changing state). */
  orderSeq: number;
}

export function formatPosition(position: Position): string {
  return `${position.seq}-${position.accountId}.${position.topUpSeq}.${position.orderSeq}`;
}

export function parsePosition(id: string | null | undefined): Position | null {
  const match = /^(\d{1,15})-(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(id ?? "");
  return match ? { seq: Number(match[1]), accountId: Number(match[2]), topUpSeq: Number(match[3]), orderSeq: Number(match[4]) } : null;
}

/** Whether the event is after the position; if so, the position it moves the stream to. */
function advance(position: Position, event: PortalEvent): Position | null {
  if (event.type === "position") return null;
  if (event.type === "lowBalance" || event.type === "cardStatus") return position;
  if (event.type === "autoTopUp") return event.seq > position.topUpSeq ? { ...position, topUpSeq: event.seq } : null;
  if (event.type === "order") return event.seq > position.orderSeq ? { ...position, orderSeq: event.seq } : null;
  const later = event.seq > position.seq || (event.seq === position.seq && event.accountId > position.accountId);
  return later ? { ...position, seq: event.seq, accountId: event.accountId } : null;
}

// Every stream (re)connect reads the ends of the logs and backfills top-up results, so these are compiled once.
const lastTransferSeq = prepared<Record<string, never>>()(() =>
  db.selectFrom("transfers").select((eb) => eb.fn.coalesce(eb.fn.max("seq"), eb.lit(0)).as("seq")),
);
const lastTopUpSeq = prepared<{ userId: number }>()((p) =>
  db.selectFrom("auto_top_up_results").select((eb) => eb.fn.coalesce(eb.fn.max("seq"), eb.lit(0)).as("seq")).where("user_id", "=", p.userId),
);
const lastOrderSeq = prepared<{ userId: number }>()((p) =>
  db.selectFrom("order_events").select((eb) => eb.fn.coalesce(eb.fn.max("seq"), eb.lit(0)).as("seq")).where("user_id", "=", p.userId),
);
const topUpsAfter = prepared<{ userId: number; afterSeq: number }>()((p) =>
  db
    .selectFrom("auto_top_up_results")
    .select(["seq", "user_id", "account_id", "payment_id", "status", "reason", "amount_ore", "balance_after_ore", "agreement_paused", "created_at"])
    .where("user_id", "=", p.userId)
    .where("seq", ">", p.afterSeq)
    .orderBy("seq"),
);

/** The current ends of the three logs: a fresh stream starts here ("before the next transfer"). */
function currentPosition(tx: Tx, userId: number): Position {
  return {
    seq: lastTransferSeq.first(tx, {})!.seq + 1,
    accountId: 0,
    topUpSeq: lastTopUpSeq.first(tx, { userId })!.seq,
    orderSeq: lastOrderSeq.first(tx, { userId })!.seq,
  };
}

/** Everything committed after `from`, in stream order: balance events page by page, then top-up results and orders by time. */
function eventsAfter(tx: Tx, userId: number, accountIds: readonly number[], from: Position): PortalEvent[] {
  const missed: PortalEvent[] = [];
  // Balance events page by page (a client away for long is caught up on every movement, never truncated).
  let page: { events: BalanceEvent[]; nextSeq: number | null } = { events: [], nextSeq: from.seq };
  while (page.nextSeq !== null) {
    const start: StreamPosition = page.nextSeq === from.seq ? from : { seq: page.nextSeq, accountId: -1 };
    page = balanceEventsAfter(tx, accountIds, start, BACKFILL_PAGE_TRANSFERS);
    for (const event of page.events) missed.push({ type: "balance", ...event });
  }
  const topUps = topUpsAfter.all(tx, { userId, afterSeq: from.topUpSeq });
  for (const row of topUps) {
    // A top-up the user paid on an account they may no longer act on (a child since unlinked) is not theirs to see.
    if (!accountIds.includes(row.account_id)) continue;
    missed.push({
      type: "autoTopUp",
      seq: row.seq,
      userId: row.user_id,
      accountId: row.account_id,
      paymentId: row.payment_id,
      status: row.status,
      reason: row.reason,
      amountOre: row.amount_ore,
      balanceOre: row.balance_after_ore,
      agreementPaused: row.agreement_paused === 1,
      createdAt: row.created_at,
    });
  }
  for (const event of orderEventsSince(tx, { userId }, from.orderSeq)) missed.push({ type: "order", ...event });
  // Stable sort: balance events keep their (seq, account) order; a top-up result follows the movements before it.
  const when = (event: PortalEvent) => (event.type === "order" ? event.order.updatedAt : event.type === "position" ? 0 : event.createdAt);
  missed.sort((a, b) => when(a) - when(b));
  return missed;
}

export const accountsRouter = router({
  list: profileCompleteProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listAccounts(tx, ctx.userId))),

  block: profileCompleteProcedure.input(z.strictObject({ accountId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const account = await ctx.services.store.write((tx) => blockAccountCards(tx, ctx.userId, input.accountId));
    if (!account) throw new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
    return account;
  }),

  onBalance: cardholderProcedure.input(z.object({ lastEventId: z.string().max(60).nullish() }).optional()).subscription(async function* ({ ctx, input, signal }) {
    const { store, bus } = ctx.services;
    const { userId, sessionToken, session } = ctx;
    // A few streams per session (a tab holds one); beyond that a clear TOO_MANY_REQUESTS, before any work is done.
    const releaseSlot = claimStreamSlot(streamSlots(ctx.services).sessions, session.id, { da: "faner med Kantinekort", en: "Kantinekort tabs" }, signal);
    // The accounts this stream carries: the user's own and, as guardian, their children's (the rule in access.ts).
    const accountIds = store.read((tx) => actableAccountIds(tx, userId));
    // The start position is fixed first (the id the client resumes from, or the current ends of the logs); then the
    // listeners are attached; then everything after the position is read back from the database. An event committed
    // before the listeners were attached is in that read; one committed after reaches a listener; one in both is
    // dropped by `advance`. Nothing in between is lost, whatever the timing.
    let position: Position = parsePosition(input?.lastEventId) ?? store.read((tx) => currentPosition(tx, userId));
    const pending: PortalEvent[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    // A reader that stopped reading (its socket full, `pending` growing) is cut instead of buffered without end: its
    // EventSource reconnects with the last id it got and is caught up from the database.
    let cut = false;
    const push = (event: PortalEvent) => {
      if (cut) return;
      if (pending.length >= MAX_PENDING_EVENTS) {
        cut = true;
        pending.length = 0;
        log.warn({ userId, pending: MAX_PENDING_EVENTS }, "balance stream cut: its reader stopped reading");
        ctx.dropStream?.();
        notify();
        return;
      }
      pending.push(event);
      notify();
    };
    // One abort listener for the whole stream (not one per wait, which would pile up on a long-lived stream).
    signal?.addEventListener("abort", notify, { once: true });
    // Logout, a password change or reset, or a replaced card ends sessions, and a guardian link changes access: the
    // stream re-checks its session and re-reads its accounts at once. One timer at the session's expiry catches expiry.
    let checkSession = false;
    let recheckTimer: ReturnType<typeof setTimeout> | null = null;
    const recheck = () => {
      checkSession = true;
      notify();
    };
    const armExpiryTimer = (expiry: { expiresAt: number; absoluteExpiresAt: number }) => {
      if (recheckTimer) clearTimeout(recheckTimer);
      recheckTimer = setTimeout(recheck, recheckDelayMs(expiry));
    };
    armExpiryTimer(session);
    const balanceListeners = new Map<number, () => void>();
    /** Listens to exactly these accounts: a new child's account is followed, an unlinked one is dropped. */
    const follow = (ids: readonly number[]) => {
      for (const [accountId, stop] of balanceListeners) {
        if (!ids.includes(accountId)) {
          stop();
          balanceListeners.delete(accountId);
        }
      }
      for (const accountId of ids) {
        if (!balanceListeners.has(accountId)) balanceListeners.set(accountId, bus.subscribe("balance", accountId, (event) => push({ type: "balance", ...event })));
      }
    };
    follow(accountIds);
    const unsubscribe = [
      bus.subscribe("autoTopUp", userId, (event) => push({ type: "autoTopUp", ...event })),
      bus.subscribe("order", userId, (event) => push({ type: "order", ...event })),
      bus.subscribe("lowBalance", userId, (event) => push({ type: "lowBalance", ...event })),
      bus.subscribe("cardStatus", userId, (event) => push({ type: "cardStatus", ...event })),
      bus.subscribe("sessionsEnded", userId, recheck),
      bus.subscribe("accessChanged", userId, recheck),
    ];
    try {
      // The first event names the start position, so the tab can resume even before anything else happens.
      yield tracked(formatPosition(position), { type: "position" } as PortalEvent);
      // The backfill goes out first, in its own loop: spreading a long backfill into `pending` could overflow the stack.
      for (const event of store.read((tx) => eventsAfter(tx, userId, accountIds, position))) {
        const next = advance(position, event);
        if (!next) continue;
        position = next;
        yield tracked(formatPosition(position), event);
      }
      while (!signal?.aborted && !cut) {
        if (checkSession) {
          checkSession = false;
          const current = store.read((tx) => findSession(tx, sessionToken));
          if (!current) throw new TRPCError({ code: "UNAUTHORIZED", message: "Session ended" });
          armExpiryTimer(current.session);
          follow(store.read((tx) => actableAccountIds(tx, userId)));
        }
        while (pending.length > 0 && !checkSession) {
          const event = pending.shift()!;
          // An event already queued for an account the user has just lost access to (an unlinked child) is not sent.
          // The same for a payer's notice about such an account (a top-up or a low-balance alert on it).
          if ((event.type === "balance" || event.type === "autoTopUp" || event.type === "lowBalance") && !balanceListeners.has(event.accountId)) continue;
          const next = advance(position, event);
          if (!next) continue;
          position = next;
          yield tracked(formatPosition(position), event);
        }
        if (signal?.aborted || checkSession || cut) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      // Without an HTTP connection to cut (a direct caller), the stream ends with an error the client retries on.
      if (cut) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Stream cut: events were not read / Strømmen blev afbrudt" });
    } finally {
      releaseSlot();
      if (recheckTimer) clearTimeout(recheckTimer);
      signal?.removeEventListener("abort", notify);
      for (const stop of unsubscribe) stop();
      for (const stop of balanceListeners.values()) stop();
    }
  }),
});
