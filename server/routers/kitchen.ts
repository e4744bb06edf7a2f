// The kitchen screen: sign in with a screen token, today's live queue for its canteen, moving orders on, pickup.
import { TRPCError, tracked } from "@trpc/server";
import * as z from "zod";
import { cardNumberSchema } from "../../common/limits.ts";
import { kitchenProcedure, portalPublicProcedure, router } from "../trpc.ts";
import { advanceOrder, deliverOrders, kitchenQueue, orderEventsSince, preparationCounts } from "../services/orders/kitchen.ts";
import { lastCanteenSeq, publishOrderChange, type OrderEvent } from "../services/orders/records.ts";
import { findKitchenScreen, KITCHEN_COOKIE, kitchenCookie } from "../services/kitchen-auth.ts";
import { copenhagenDate } from "../../common/calendar.ts";
import { db, prepared } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";
import { claimStreamSlot, MAX_PENDING_EVENTS, streamSlots } from "../events/stream-limits.ts";
import { log } from "../ops/logger.ts";


/** What a screen is sent of an order event: its canteen's position, never the site-wide one. */
function screenEvent(event: OrderEvent): { seq: number; order: OrderEvent["order"] } {
  return { seq: event.canteenSeq, order: event.order };
}

const statusSchema = z.enum(["in_progress", "ready", "delivered"]);
const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const kitchenRouter = router({
  login: portalPublicProcedure.input(z.strictObject({ token: z.string().min(16).max(200) })).mutation(({ ctx, input }) => {
    const screen = ctx.services.store.read((tx) => findKitchenScreen(tx, input.token));
    if (!screen) return { ok: false as const };
    ctx.resHeaders?.append("set-cookie", kitchenCookie(input.token, ctx.secure ?? false));
    return { ok: true as const, screen };
  }),

  logout: portalPublicProcedure.mutation(({ ctx }) => {
    ctx.resHeaders?.append("set-cookie", `${KITCHEN_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return { ok: true as const };
  }),

  /** A day's queue (default today, Copenhagen date) with per-product counts for preparation. */
  queue: kitchenProcedure.input(z.strictObject({ deliveryDay: daySchema.optional() }).optional()).query(({ ctx, input }) => {
    const day = input?.deliveryDay ?? copenhagenDate(Date.now());
    // One read, so the queue and the position it is current to come from the same snapshot: an order saved between two
    // reads would be missing from the list and then skipped as "already seen" when the screen resumes from lastSeq.
    const { orders, lastSeq } = ctx.services.store.read((tx) => ({ orders: kitchenQueue(tx, ctx.screen.canteenId, day), lastSeq: lastCanteenSeq(tx, ctx.screen.canteenId) }));
    return { screen: ctx.screen, deliveryDay: day, orders, counts: preparationCounts(orders), lastSeq };
  }),

  advance: kitchenProcedure.input(z.strictObject({ orderId: z.number().int().positive(), to: statusSchema })).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => advanceOrder(tx, ctx.screen.canteenId, input.orderId, input.to));
    if (!result.ok) {
      if (result.reason === "not_found") throw new TRPCError({ code: "NOT_FOUND", message: "Order not found" });
      return { ok: false as const, reason: result.reason };
    }
    publishOrderChange(ctx.services, [], result.event);
    return { ok: true as const, order: result.order };
  }),

  /** Pickup at the screen: by order number ("O-000123") or by the card's number. */
  deliver: kitchenProcedure
    .input(z.union([z.strictObject({ orderNumber: z.string().trim().regex(/^O-\d{1,9}$/i) }), z.strictObject({ cardNumber: cardNumberSchema })]))
    .mutation(async ({ ctx, input }) => {
      const events = await ctx.services.store.write((tx) => deliverOrders(tx, ctx.screen.canteenId, input));
      for (const event of events) publishOrderChange(ctx.services, [], event);
      return { delivered: events.map((event) => event.order.orderNumber) };
    }),

  /** The live queue of the screen's canteen and today: resumes from the last order-event id after any drop. */
  onQueue: kitchenProcedure.input(z.object({ lastEventId: z.string().max(20).nullish(), deliveryDay: daySchema.optional() }).optional()).subscription(async function* ({ ctx, input, signal }) {
    const { store, bus } = ctx.services;
    // A few streams per kitchen screen; beyond that a clear TOO_MANY_REQUESTS, before any work is done.
    const releaseSlot = claimStreamSlot(streamSlots(ctx.services).screens, String(ctx.screen.screenId), { da: "køkkenskærme med dette login", en: "kitchen screens with this sign-in" }, signal);
    const day = input?.deliveryDay ?? copenhagenDate(Date.now());
    // The start position is fixed before the listener is attached, and everything after it is read back afterwards:
    // an event committed in between is in the read, a later one reaches the listener, and a duplicate is dropped.
    const resumeFrom = Number(input?.lastEventId ?? NaN);
    // Positions count this canteen's order events only (canteenSeq): a screen learns nothing of other canteens' activity.
    let last = Number.isSafeInteger(resumeFrom) ? resumeFrom : store.read((tx) => lastCanteenSeq(tx, ctx.screen.canteenId));
    const pending: OrderEvent[] = [];
    let wake: (() => void) | null = null;
    const notify = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    // A screen that stopped reading is cut instead of buffered without end; it reconnects with its last id.
    let cut = false;
    const stop = bus.subscribe("order", `${ctx.screen.canteenId}:${day}`, (event) => {
      if (cut) return;
      if (pending.length >= MAX_PENDING_EVENTS) {
        cut = true;
        pending.length = 0;
        log.warn({ screenId: ctx.screen.screenId, pending: MAX_PENDING_EVENTS }, "kitchen stream cut: its reader stopped reading");
        ctx.dropStream?.();
        notify();
        return;
      }
      pending.push(event);
      notify();
    });
    // A screen revoked in the back office stops receiving orders (and the names on them) at once.
    let revoked = false;
    const stopRevoked = bus.subscribe("screenRevoked", ctx.screen.screenId, () => {
      revoked = true;
      notify();
    });
    signal?.addEventListener("abort", notify, { once: true });
    try {
      // The backfill goes out first, in its own loop: spreading a long backfill into `pending` could overflow the stack.
      for (const event of store.read((tx) => orderEventsSince(tx, { canteenId: ctx.screen.canteenId, deliveryDay: day }, last))) {
        if (event.canteenSeq <= last) continue;
        last = event.canteenSeq;
        yield tracked(String(event.canteenSeq), screenEvent(event));
      }
      while (!signal?.aborted && !cut) {
        if (revoked) throw new TRPCError({ code: "UNAUTHORIZED", message: "Kitchen screen revoked" });
        while (pending.length > 0) {
          const event = pending.shift()!;
          if (event.canteenSeq <= last) continue;
          last = event.canteenSeq;
          yield tracked(String(event.canteenSeq), screenEvent(event));
        }
        if (signal?.aborted || revoked || cut) continue;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (cut) throw new TRPCError({ code: "TOO_MANY_REQUESTS", message: "Stream cut: events were not read / Strømmen blev afbrudt" });
    } finally {
      releaseSlot();
      signal?.removeEventListener("abort", notify);
      stop();
      stopRevoked();
    }
  }),
});
