// The payer's settings for a card account (their own, or a child's as guardian): Maks. forbrug and the low-balance alert.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { accountLimitsInputSchema, lowBalanceInputSchema } from "../../common/payments.ts";
import { profileCompleteProcedure, router } from "../trpc.ts";
import { accountLimits, getLowBalanceAlert, removeLowBalanceAlert, setAccountLimits, setLowBalanceAlert } from "../services/payer.ts";
import { actableAccount } from "../services/access.ts";

const accountInput = z.strictObject({ accountId: z.number().int().positive() });
const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
const readOnly = () => new TRPCError({ code: "FORBIDDEN", message: "Det bestemmer din værge. / Your guardian decides this." });

export const limitsRouter = router({
  /** Maks. forbrug of the account's card, with whether the viewer may change it (a child sees a guardian's read-only). */
  get: profileCompleteProcedure.input(accountInput).query(({ ctx, input }) => {
    const limits = ctx.services.store.read((tx) => accountLimits(tx, ctx.userId, input.accountId));
    if (!limits) throw notFound();
    return limits;
  }),

  /** Setting the same limits twice is harmless, so a double click needs no idempotency key. */
  set: profileCompleteProcedure.input(accountLimitsInputSchema).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => setAccountLimits(tx, ctx.userId, input.accountId, input.limits));
    if (result === "not_found") throw notFound();
    if (result === "read_only") throw readOnly();
    return ctx.services.store.read((tx) => accountLimits(tx, ctx.userId, input.accountId))!;
  }),
});

export const lowBalanceRouter = router({
  get: profileCompleteProcedure.input(accountInput).query(({ ctx, input }) => {
    return ctx.services.store.read((tx) => {
      if (!actableAccount(tx, ctx.userId, input.accountId)) throw notFound();
      return getLowBalanceAlert(tx, ctx.userId, input.accountId);
    });
  }),

  /** Choosing the alert twice with the same values is harmless (an upsert), so it needs no idempotency key. */
  set: profileCompleteProcedure.input(lowBalanceInputSchema).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => setLowBalanceAlert(tx, ctx.userId, { accountId: input.accountId, thresholdOre: input.thresholdOre, email: input.email }));
    if (result === "not_found") throw notFound();
    if (result === "read_only") throw readOnly();
    return ctx.services.store.read((tx) => getLowBalanceAlert(tx, ctx.userId, input.accountId));
  }),

  remove: profileCompleteProcedure.input(accountInput).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => removeLowBalanceAlert(tx, ctx.userId, input.accountId));
    if (result === "not_found") throw notFound();
    if (result === "read_only") throw readOnly();
    return { ok: true as const };
  }),
});
