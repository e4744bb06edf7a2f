// Konti: the cardholder's accounts, "Spær kort", and the live balance stream (one SSE subscription, resumable by event id).
import { TRPCError, tracked } from "@trpc/server";
import * as z from "zod";
import { cardholderProcedure, profileCompleteProcedure, router } from "../trpc.ts";
import { accountIdsOf, balanceEventsAfter, blockAccountCards, listAccounts, type StreamPosition } from "../services/portal.ts";
import type { AutoTopUpEvent, BalanceEvent, OrderEvent } from "../events/bus.ts";
import { orderEventsSince } from "../services/orders.ts";

/** Transfers read per backfill query; a long-disconnected client is caught up page by page, never truncated. */
export const BACKFILL_PAGE_TRANSFERS = 500;

/** What the tab's one live stream carries: balance changes and automatic top-up results. */
export type PortalEvent = ({ type: "balance" } & BalanceEvent) | ({ type: "autoTopUp" } & AutoTopUpEvent) | ({ type: "order" } & OrderEvent);

/**
 * A stream position: the last balance event (transfer seq and account — a transfer between two of the user's
 * accounts yields two events) and the last top-up result. Written as "<seq>-<account>.<top-up seq>".
 */
interface Position {
  seq: number;
  accountId: number;
  topUpSeq: number;
  /** The last order event (webshop orders changing state). */
  orderSeq: number;
}

function formatPosition(position: Position): string {
  return `${position.seq}-${position.accountId}.${position.topUpSeq}.${position.orderSeq}`;
}

function parsePosition(id: string | null | undefined): Position | null {
  const match = /^(\d{1,15})-(\d{1,15})\.(\d{1,15})\.(\d{1,15})$/.exec(id ?? "");
  return match ? { seq: Number(match[1]), accountId: Number(match[2]), topUpSeq: Number(match[3]), orderSeq: Number(match[4]) } : null;
}

/** Whether the event is after the position; if so, the position it moves the stream to. */
function advance(position: Position, event: PortalEvent): Position | null {
  if (event.type === "autoTopUp") return event.seq > position.topUpSeq ? { ...position, topUpSeq: event.seq } : null;
  if (event.type === "order") return event.seq > position.orderSeq ? { ...position, orderSeq: event.seq } : null;
  const later = event.seq > position.seq || (event.seq === position.seq && event.accountId > position.accountId);
  return later ? { ...position, seq: event.seq, accountId: event.accountId } : null;
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
    const userId = ctx.userId;
    const accountIds = store.read((tx) => accountIdsOf(tx, userId));
    // Listen first, then backfill from the database, then stream: nothing committed in between is lost.
    const pending: PortalEvent[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    const push = (event: PortalEvent) => {
      pending.push(event);
      notify();
    };
    // One abort listener for the whole stream (not one per wait, which would pile up on a long-lived stream).
    signal?.addEventListener("abort", notify, { once: true });
    const unsubscribe = [
      ...accountIds.map((accountId) => bus.subscribe("balance", accountId, (event) => push({ type: "balance", ...event }))),
      bus.subscribe("autoTopUp", userId, (event) => push({ type: "autoTopUp", ...event })),
      bus.subscribe("order", userId, (event) => push({ type: "order", ...event })),
    ];
    try {
      const resumeFrom = parsePosition(input?.lastEventId);
      // A fresh stream starts at "now": the current ends of both logs.
      let position: Position =
        resumeFrom ??
        store.read((tx) => ({
          seq: (tx.sqlite.query("SELECT COALESCE(MAX(seq), 0) AS seq FROM transfers").get() as { seq: number }).seq,
          accountId: Number.MAX_SAFE_INTEGER,
          topUpSeq: (tx.sqlite.query("SELECT COALESCE(MAX(seq), 0) AS seq FROM auto_top_up_results WHERE user_id = ?").get(userId) as { seq: number }).seq,
          orderSeq: (tx.sqlite.query("SELECT COALESCE(MAX(seq), 0) AS seq FROM order_events WHERE user_id = ?").get(userId) as { seq: number }).seq,
        }));
      if (resumeFrom) {
        // Balance events page by page (a client away for long is caught up on every movement), then top-up results.
        let page: { events: BalanceEvent[]; nextSeq: number | null } = { events: [], nextSeq: resumeFrom.seq };
        const missed: PortalEvent[] = [];
        while (page.nextSeq !== null) {
          const from: StreamPosition = page.nextSeq === resumeFrom.seq ? resumeFrom : { seq: page.nextSeq, accountId: -1 };
          page = store.read((tx) => balanceEventsAfter(tx, accountIds, from, BACKFILL_PAGE_TRANSFERS));
          for (const event of page.events) missed.push({ type: "balance", ...event });
        }
        const topUps = store.read(
          (tx) =>
            tx.sqlite
              .query(
                "SELECT seq, user_id, account_id, payment_id, status, reason, amount_ore, balance_after_ore, agreement_paused, created_at FROM auto_top_up_results WHERE user_id = ? AND seq > ? ORDER BY seq",
              )
              .all(userId, resumeFrom.topUpSeq) as Array<Record<string, any>>,
        );
        for (const row of topUps) {
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
        for (const event of store.read((tx) => orderEventsSince(tx, { userId }, resumeFrom.orderSeq))) missed.push({ type: "order", ...event });
        // Stable sort: balance events keep their (seq, account) order; a top-up result follows the movements before it.
        const when = (event: PortalEvent) => (event.type === "order" ? event.order.updatedAt : event.createdAt);
        missed.sort((a, b) => when(a) - when(b));
        for (const event of missed) {
          const next = advance(position, event);
          if (!next) continue;
          position = next;
          yield tracked(formatPosition(position), event);
        }
      }
      while (!signal?.aborted) {
        while (pending.length > 0) {
          const event = pending.shift()!;
          const next = advance(position, event);
          if (!next) continue;
          position = next;
          yield tracked(formatPosition(position), event);
        }
        if (signal?.aborted) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener("abort", notify);
      for (const stop of unsubscribe) stop();
    }
  }),
});
