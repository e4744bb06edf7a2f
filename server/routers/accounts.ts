// Konti: the cardholder's accounts, "Spær kort", and the live balance stream (one SSE subscription, resumable by event id).
import { TRPCError, tracked } from "@trpc/server";
import * as z from "zod";
import { cardholderProcedure, profileCompleteProcedure, router } from "../trpc.ts";
import { accountIdsOf, blockAccountCards, listAccounts } from "../services/portal.ts";
import type { BalanceEvent } from "../events/bus.ts";
import { balanceEventsOf } from "../ledger/events.ts";
import { toTransfer } from "../ledger/ledger.ts";

/** Event ids are "<transfer seq>-<account id>": a transfer between two of the user's accounts yields two events. */
function eventId(event: BalanceEvent): string {
  return `${event.seq}-${event.accountId}`;
}

function parseEventId(id: string | null | undefined): [number, number] | null {
  const match = /^(\d{1,15})-(\d{1,15})$/.exec(id ?? "");
  return match ? [Number(match[1]), Number(match[2])] : null;
}

function isAfter(event: BalanceEvent, position: [number, number]): boolean {
  return event.seq > position[0] || (event.seq === position[0] && event.accountId > position[1]);
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
    // Listen first, then backfill from the database, then stream: nothing committed in between is lost.
    const pending: BalanceEvent[] = [];
    let wake: (() => void) | null = null;
    const unsubscribe = accountIds.map((accountId) =>
      bus.subscribe("balance", accountId, (event) => {
        pending.push(event);
        wake?.();
      }),
    );
    try {
      let position = parseEventId(input?.lastEventId);
      if (position) {
        const missed = store.read((tx) =>
          accountIds.length === 0
            ? []
            : (tx.sqlite
                .query(
                  `SELECT seq, id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at
                   FROM transfers WHERE seq >= ? AND (debit_account_id IN (${accountIds.join(",")}) OR credit_account_id IN (${accountIds.join(",")})) ORDER BY seq LIMIT 1000`,
                )
                .all(position![0]) as Parameters<typeof toTransfer>[0][]),
        );
        const events = missed
          .flatMap((row) => balanceEventsOf(toTransfer(row)))
          .filter((event) => accountIds.includes(event.accountId))
          .sort((a, b) => a.seq - b.seq || a.accountId - b.accountId);
        for (const event of events) {
          if (!isAfter(event, position)) continue;
          position = [event.seq, event.accountId];
          yield tracked(eventId(event), event);
        }
      }
      while (!signal?.aborted) {
        while (pending.length > 0) {
          const event = pending.shift()!;
          if (position && !isAfter(event, position)) continue;
          position = [event.seq, event.accountId];
          yield tracked(eventId(event), event);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal?.addEventListener("abort", () => resolve(), { once: true });
        });
        wake = null;
      }
    } finally {
      for (const stop of unsubscribe) stop();
    }
  }),
});
