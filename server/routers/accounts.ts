// Konti: the cardholder's accounts, "Spær kort", and the live balance stream (one SSE subscription, resumable by event id).
import { TRPCError, tracked } from "@trpc/server";
import * as z from "zod";
import { cardholderProcedure, profileCompleteProcedure, router } from "../trpc.ts";
import { accountIdsOf, balanceEventsAfter, blockAccountCards, isAfterPosition, listAccounts, type StreamPosition } from "../services/portal.ts";
import type { BalanceEvent } from "../events/bus.ts";

/** Transfers read per backfill query; a long-disconnected client is caught up page by page, never truncated. */
export const BACKFILL_PAGE_TRANSFERS = 500;

/** Event ids are "<transfer seq>-<account id>": a transfer between two of the user's own accounts yields two events. */
export function eventId(event: BalanceEvent): string {
  return `${event.seq}-${event.accountId}`;
}

/**
 * Reads a client's last event id. A bare "<seq>" (the form the contract first described) means "after the whole
 * transfer", so either form resumes without loss; anything else starts a fresh stream without replay.
 */
export function parseEventId(id: string | null | undefined): StreamPosition | null {
  const match = /^(\d{1,15})(?:-(\d{1,15}))?$/.exec(id ?? "");
  if (!match) return null;
  return { seq: Number(match[1]), accountId: match[2] === undefined ? Number.POSITIVE_INFINITY : Number(match[2]) };
}

export const accountsRouter = router({
  list: profileCompleteProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listAccounts(tx, ctx.userId))),

  block: profileCompleteProcedure.input(z.strictObject({ accountId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const account = await ctx.services.store.write((tx) => blockAccountCards(tx, ctx.userId, input.accountId));
    if (!account) throw new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
    return account;
  }),

  onBalance: cardholderProcedure.input(z.object({ lastEventId: z.string().max(40).nullish() }).optional()).subscription(async function* ({ ctx, input, signal }) {
    const { store, bus } = ctx.services;
    const accountIds = store.read((tx) => accountIdsOf(tx, ctx.userId));
    // Listen first, then backfill from the database, then stream: nothing committed in between is lost,
    // and anything heard during the backfill that the backfill already delivered is dropped by position.
    const pending: BalanceEvent[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    const unsubscribe = accountIds.map((accountId) =>
      bus.subscribe("balance", accountId, (event) => {
        pending.push(event);
        notify();
      }),
    );
    // One abort listener for the whole stream (not one per wait), removed again in `finally`.
    signal?.addEventListener("abort", notify, { once: true });
    try {
      let position = parseEventId(input?.lastEventId);
      // Later pages start at a fresh transfer (accountId -1 = before all of its events).
      let cursor: StreamPosition | null = position;
      while (cursor && !signal?.aborted) {
        const from: StreamPosition = cursor;
        const page = store.read((tx) => balanceEventsAfter(tx, accountIds, from, BACKFILL_PAGE_TRANSFERS));
        for (const event of page.events) {
          position = { seq: event.seq, accountId: event.accountId };
          yield tracked(eventId(event), event);
        }
        cursor = page.nextSeq === null ? null : { seq: page.nextSeq, accountId: -1 };
      }
      while (!signal?.aborted) {
        while (pending.length > 0) {
          const event = pending.shift()!;
          if (position && !isAfterPosition(event, position)) continue;
          position = { seq: event.seq, accountId: event.accountId };
          yield tracked(eventId(event), event);
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
