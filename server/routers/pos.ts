// POS terminal API: sale, refund and balance lookup, for tills calling plain JSON over HTTP.
import { balanceInputSchema, refundInputSchema, saleInputSchema } from "../../common/limits.ts";
import { publishTransfers } from "../ledger/events.ts";
import { lookUpBalance, recordRefund, recordSale } from "../services/pos.ts";
import { router, terminalProcedure } from "../trpc.ts";
import { maybeAutoTopUp } from "../services/payments/auto-top-up.ts";
import { checkLowBalance, lowBalanceAlertMayBeDue } from "../services/payer.ts";
import { AUTO_TOP_UP_THRESHOLD_ORE } from "../../common/payments.ts";
import * as z from "zod";
import { cardNumberSchema } from "../../common/limits.ts";
import { deliverOrders } from "../services/orders/kitchen.ts";
import { publishOrderChange } from "../services/orders/records.ts";
import { observeSale } from "../ops/metrics.ts";

export const posRouter = router({
  /** One atomic, idempotent debit of a card. Declines are results with a reason code, not errors. */
  sale: terminalProcedure.input(saleInputSchema).mutation(async ({ ctx, input }) => {
    const { store, bus, config } = ctx.services;
    const started = performance.now();
    const { outcome, alertMayBeDue } = await store.write((tx) => {
      const outcome = recordSale(tx, ctx.terminal, input, { maxSaleOre: config.maxSaleOre });
      const transfer = outcome.transfers[0];
      if (!transfer) return { outcome, alertMayBeDue: false };
      try {
        return { outcome, alertMayBeDue: lowBalanceAlertMayBeDue(tx, transfer.debitAccountId, transfer.debitBalanceAfterOre) };
      } catch {
        // Only a hint: the sale stands, and the full check after commit decides.
        return { outcome, alertMayBeDue: true };
      }
    });
    observeSale(outcome.result, started);
    publishTransfers(bus, outcome.transfers);
    // Auto-optank runs after the answer is on its way: the till never waits for the acquirer. A balance at or above
    // the threshold cannot be due, so nearly every sale skips the check (issue 16: it was a tenth of a sale's time).
    for (const transfer of outcome.transfers) {
      if (transfer.debitBalanceAfterOre < AUTO_TOP_UP_THRESHOLD_ORE) void maybeAutoTopUp(ctx.services, transfer.debitAccountId);
      // The payer's low-balance alert, after commit like the top-up: never part of the sale's transaction (which
      // only read whether an alert's threshold is above the new balance).
      if (alertMayBeDue) void checkLowBalance(ctx.services, transfer.debitAccountId);
    }
    return outcome.result;
  }),

  refund: terminalProcedure.input(refundInputSchema).mutation(async ({ ctx, input }) => {
    const { store, bus } = ctx.services;
    const outcome = await store.write((tx) => recordRefund(tx, ctx.terminal, input));
    publishTransfers(bus, outcome.transfers);
    return outcome.result;
  }),

  /** Pickup at the till: today's webshop orders of this canteen, by order number or card number, marked Udleveret. */
  deliver: terminalProcedure
    .input(z.union([z.strictObject({ orderNumber: z.string().trim().regex(/^O-\d{1,9}$/i) }), z.strictObject({ cardNumber: cardNumberSchema })]))
    .mutation(async ({ ctx, input }) => {
      const events = await ctx.services.store.write((tx) => deliverOrders(tx, ctx.terminal.canteenId, input));
      for (const event of events) publishOrderChange(ctx.services, [], event);
      return { delivered: events.map((event) => event.order.orderNumber) };
    }),

  balance: terminalProcedure.input(balanceInputSchema).query(({ ctx, input }) => {
    const card = ctx.services.store.read((tx) => lookUpBalance(tx, ctx.terminal, input.cardNumber));
    return card ?? { cardNumber: input.cardNumber, status: "unknown" as const, balanceOre: null };
  }),
});
