// The browser till's (Kasse) procedures beside pos.*: its configuration, catalogue, the holder at the counter, today's sales, refunds and pickups.
import * as z from "zod";
import { cardNumberSchema, refundInputSchema } from "../../common/limits.ts";
import { declineMessage } from "../../common/declines.ts";
import { publishTransfers } from "../ledger/events.ts";
import { deliverOrders } from "../services/orders/kitchen.ts";
import { publishOrderChange } from "../services/orders/records.ts";
import { recordRefund, type RefundResult } from "../services/pos.ts";
import { deliveredToday, hasRefund, isTodaysSaleOfTerminal, pickupView, tillCardholder, tillCatalogue, tillSalesToday } from "../services/till.ts";
import { router, terminalProcedure } from "../trpc.ts";

/** An order number as printed for the cardholder (O-000123) or a card read at the counter. */
const pickupInputSchema = z.union([
  z.strictObject({ orderNumber: z.string({ error: "Order number must be text" }).trim().regex(/^O-\d{1,9}$/i, { error: "Order number looks like O-000123" }) }),
  z.strictObject({ cardNumber: cardNumberSchema }),
]);

export const tillRouter = router({
  /**
   * Who this till is and how it may sell; also the till's heartbeat: a revoked key gets 401 here within one beat,
   * so an unpaired till says so at once.
   */
  config: terminalProcedure.query(({ ctx }) => ({
    terminalId: ctx.terminal.terminalId,
    terminalName: ctx.terminal.terminalName,
    canteenName: ctx.terminal.canteenName,
    maxSaleOre: ctx.services.config.maxSaleOre,
    // Never above the largest sale the server approves: a queued sale over it could only be declined on replay.
    offlineMaxSaleOre: Math.min(ctx.services.config.tillOfflineMaxSaleOre, ctx.services.config.maxSaleOre),
    serverTime: Date.now(),
  })),

  catalogue: terminalProcedure.query(({ ctx }) => ctx.services.store.read((tx) => tillCatalogue(tx, ctx.terminal))),

  /** Name and photo of the card's holder, for identification at the counter; null for a card this school does not know. */
  cardholder: terminalProcedure
    .input(z.strictObject({ cardNumber: cardNumberSchema }))
    .query(({ ctx, input }) => ctx.services.store.read((tx) => tillCardholder(tx, ctx.terminal, input.cardNumber))),

  salesToday: terminalProcedure.query(({ ctx }) => ctx.services.store.read((tx) => tillSalesToday(tx, ctx.terminal))),

  /** pos.refund limited to this till's own sales of today, as the counter may refund; idempotent by refundId. */
  refund: terminalProcedure.input(refundInputSchema).mutation(async ({ ctx, input }): Promise<RefundResult> => {
    const { store, bus } = ctx.services;
    const outcome = await store.write((tx) => {
      if (!hasRefund(tx, ctx.terminal, input.refundId) && !isTodaysSaleOfTerminal(tx, ctx.terminal, input.saleId)) return null;
      return recordRefund(tx, ctx.terminal, input);
    });
    if (!outcome) {
      return { refundId: input.refundId, saleId: input.saleId, status: "declined", reason: "sale_not_found", message: declineMessage("sale_not_found"), amountOre: input.amountOre ?? 0, balanceOre: null, replayed: false };
    }
    publishTransfers(bus, outcome.transfers);
    return outcome.result;
  }),

  /**
   * Pickup of today's webshop orders by order number or card: marks them Udleveret (the kitchen screen and the
   * cardholder see it live through the order events) and answers with what to hand over. Repeating it is harmless:
   * orders already handed over today are listed as such.
   */
  pickup: terminalProcedure.input(pickupInputSchema).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const result = await store.write((tx) => {
      const events = deliverOrders(tx, ctx.terminal.canteenId, input);
      const delivered = new Set(events.map((event) => event.order.orderId));
      const earlier = deliveredToday(tx, ctx.terminal, input).filter((order) => !delivered.has(order.orderId));
      return { events, earlier };
    });
    for (const event of result.events) publishOrderChange(ctx.services, [], event);
    return { delivered: result.events.map((event) => pickupView(event.order)), alreadyDelivered: result.earlier.map(pickupView) };
  }),
});
