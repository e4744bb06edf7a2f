// Webshop for cardholders: delivery days (Udlevering), the day's menu by category, Tjek ud paid from the card, Ordrer, cancel.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { lineText } from "../../common/text.ts";
import { idempotencyKeySchema } from "../../common/limits.ts";
import { profileCompleteProcedure, router, type AppServices } from "../trpc.ts";
import { canteenCutoff, menuFor, orderableDays } from "../services/orders/menus.ts";
import { cancelOrder, checkout } from "../services/orders/checkout.ts";
import { listUserOrders, publishOrderChange } from "../services/orders/records.ts";
import { maybeAutoTopUp } from "../services/payments/auto-top-up.ts";
import { db } from "../../db/query.ts";

const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "Dato skal være ÅÅÅÅ-MM-DD / Date must be YYYY-MM-DD" });

export const checkoutInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  canteenId: z.number().int().positive(),
  deliveryDay: daySchema,
  lines: z
    .array(z.strictObject({ productId: z.number().int().positive(), quantity: z.number().int().min(1).max(50), comment: lineText(200).optional() }))
    .min(1, { error: "Kurven er tom / The basket is empty" })
    .max(30),
  idempotencyKey: idempotencyKeySchema,
});

function canteensOf(services: AppServices, userId: number): Array<{ canteenId: number; name: string }> {
  return services.store.read(
    (tx) =>
      tx
        .all(db.selectFrom("canteens as c").innerJoin("users as u", "u.tenant_id", "c.tenant_id").select(["c.id", "c.name"]).where("u.id", "=", userId).orderBy("c.id"))
        .map((row) => ({ canteenId: row.id, name: row.name })),
  );
}

export const webshopRouter = router({
  /**
   * The canteens the user can order from, each with the delivery days still open for orders and its cut-off: orders for
   * a day are taken (and cancelled) until that Copenhagen time on the day itself ("Bestil senest kl. 09.30").
   */
  days: profileCompleteProcedure.query(({ ctx }) =>
    canteensOf(ctx.services, ctx.userId).map((canteen) =>
      ctx.services.store.read((tx) => ({ ...canteen, cutoffTime: canteenCutoff(tx, canteen.canteenId) ?? null, days: orderableDays(tx, canteen.canteenId) })),
    ),
  ),

  menu: profileCompleteProcedure.input(z.strictObject({ canteenId: z.number().int().positive(), deliveryDay: daySchema })).query(({ ctx, input }) => {
    if (!canteensOf(ctx.services, ctx.userId).some((canteen) => canteen.canteenId === input.canteenId)) throw new TRPCError({ code: "NOT_FOUND", message: "Canteen not found" });
    return ctx.services.store.read((tx) => menuFor(tx, input.canteenId, input.deliveryDay));
  }),

  /** Tjek ud → Betal: one atomic payment from the card; the same basket submitted twice makes one order. */
  checkout: profileCompleteProcedure.input(checkoutInputSchema).mutation(async ({ ctx, input }) => {
    if (!canteensOf(ctx.services, ctx.userId).some((canteen) => canteen.canteenId === input.canteenId)) throw new TRPCError({ code: "NOT_FOUND", message: "Canteen not found" });
    const result = await ctx.services.store.write((tx) => checkout(tx, ctx.userId, input));
    if (!result.ok) {
      if (result.reason === "account_not_found") throw new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
      return { ok: false as const, reason: result.reason, productId: result.productId ?? null };
    }
    publishOrderChange(ctx.services, result.transfers, result.event);
    for (const transfer of result.transfers) void maybeAutoTopUp(ctx.services, transfer.debitAccountId);
    return { ok: true as const, order: result.order };
  }),
});

export const ordersRouter = router({
  list: profileCompleteProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listUserOrders(tx, ctx.userId))),

  cancel: profileCompleteProcedure.input(z.strictObject({ orderId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => cancelOrder(tx, ctx.userId, input.orderId));
    if (!result.ok) {
      if (result.reason === "not_found") throw new TRPCError({ code: "NOT_FOUND", message: "Order not found" });
      return { ok: false as const, reason: result.reason };
    }
    publishOrderChange(ctx.services, result.transfers, result.event);
    return { ok: true as const, order: result.order };
  }),
});
