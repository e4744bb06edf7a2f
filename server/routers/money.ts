// Money in and out for cardholders: Indbetal (hosted card payment), Auto-optank, Udbetal and Overfør.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { autoTopUpInputSchema, autoTopUpUpdateInputSchema, depositInputSchema, payoutInputSchema, transferInputSchema } from "../../common/payments.ts";
import { profileCompleteProcedure, publicBaseUrl, router, type Context } from "../trpc.ts";
import { cancelSavedCardsAtAcquirer } from "../services/payments/auto-top-up.ts";
import { refreshPayment, startPayment } from "../services/payments/hosted.ts";
import { cancelAgreement, getAgreement, pendingSetupPayment, updateAgreement } from "../services/payments/agreements.ts";
import { findPayment } from "../services/payments/records.ts";
import { listPayouts, requestPayout } from "../services/payments/payouts.ts";
import { transferBetweenOwnAccounts } from "../services/payments/own-transfers.ts";
import { actableAccount } from "../services/access.ts";
import { publishTransfers } from "../ledger/events.ts";
import { sendQuietly } from "../mail/mailer.ts";
import { formatOre } from "../../common/money.ts";
import { db } from "../../db/query.ts";

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Account not found" });

/** Indbetal and Auto-optank both start with the hosted page: the browser is sent to `redirectUrl`. */
async function startHostedPayment(
  ctx: Context & { userId: number },
  input: { accountId: number; amountOre: number; receiptEmail: string; idempotencyKey: string },
  purpose: "deposit" | "auto_top_up_setup",
): Promise<{ paymentId: string; redirectUrl: string }> {
  const result = await startPayment(ctx.services, {
    userId: ctx.userId,
    accountId: input.accountId,
    amountOre: input.amountOre,
    receiptEmail: input.receiptEmail,
    idempotencyKey: input.idempotencyKey,
    purpose,
    baseUrl: publicBaseUrl(ctx),
  });
  if (!result.ok) {
    if (result.reason === "acquirer_unavailable") {
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "Betalingen kunne ikke startes lige nu. Prøv igen om lidt. / The payment could not be started right now. Please try again shortly." });
    }
    if (result.reason === "too_many_open_payments") {
      throw new TRPCError({
        code: "TOO_MANY_REQUESTS",
        message: "Du har allerede 3 betalinger i gang. Gør en af dem færdig, eller prøv igen om en time. / You already have 3 payments in progress. Finish one of them, or try again in an hour.",
      });
    }
    if (result.reason === "agreement_not_yours") {
      throw new TRPCError({ code: "FORBIDDEN", message: "Auto-optank på dette kort betales af en værge. / Automatic top-up on this card is paid by a guardian." });
    }
    throw notFound();
  }
  return { paymentId: result.paymentId, redirectUrl: result.redirectUrl };
}

const accountInput = z.strictObject({ accountId: z.number().int().positive() });

/**
 * Auto-optank is on any account the user may act on: their own, or (as a guardian) a child's, paid with the
 * guardian's own saved card. The agreement belongs to whoever pays; the holder sees a guardian's read-only.
 */
function requireActableAccount(ctx: Context & { userId: number }, accountId: number): void {
  if (!ctx.services.store.read((tx) => actableAccount(tx, ctx.userId, accountId))) throw notFound();
}

export const paymentsRouter = router({
  /** Indbetal → Næste: returns the hosted payment page to send the browser to. */
  startDeposit: profileCompleteProcedure.input(depositInputSchema).mutation(({ ctx, input }) => startHostedPayment(ctx, input, "deposit")),

  /** The return page asks how the payment ended (the callback, not the browser, decides). */
  get: profileCompleteProcedure.input(z.strictObject({ paymentId: z.string().uuid() })).query(async ({ ctx, input }) => {
    const before = ctx.services.store.read((tx) => findPayment(tx, input.paymentId));
    if (!before || before.userId !== ctx.userId) throw new TRPCError({ code: "NOT_FOUND", message: "Payment not found" });
    // Still pending: ask the acquirer too, so a lost callback does not leave the payer waiting on this page.
    if (before.status === "pending") await refreshPayment(ctx.services, before.paymentId);
    const payment = ctx.services.store.read((tx) => findPayment(tx, input.paymentId));
    if (!payment || payment.userId !== ctx.userId) throw new TRPCError({ code: "NOT_FOUND", message: "Payment not found" });
    const { receiptEmail: _email, redirectUrl: _redirect, userId: _user, orderId: _order, acquirerRef: _ref, checkedAt: _checked, ...visible } = payment;
    return visible;
  }),
});

export const autoTopUpRouter = router({
  get: profileCompleteProcedure.input(accountInput).query(async ({ ctx, input }) => {
    requireActableAccount(ctx, input.accountId);
    // Waiting for the card: ask the acquirer too, so a lost callback does not leave the payer waiting on this page.
    const waiting = ctx.services.store.read((tx) => pendingSetupPayment(tx, ctx.userId, input.accountId));
    if (waiting) await refreshPayment(ctx.services, waiting);
    return ctx.services.store.read((tx) => getAgreement(tx, ctx.userId, input.accountId));
  }),

  /** Saves the agreement and sends the browser to the hosted page, which charges the amount once and saves the card. */
  setUp: profileCompleteProcedure.input(autoTopUpInputSchema).mutation(({ ctx, input }) => {
    requireActableAccount(ctx, input.accountId);
    return startHostedPayment(ctx, input, "auto_top_up_setup");
  }),

  update: profileCompleteProcedure
    .input(autoTopUpUpdateInputSchema)
    .mutation(async ({ ctx, input }) => {
      // The change and the answer are one read of the rule (may act on the account now): an ex-guardian learns nothing.
      const answer = await ctx.services.store.write((tx) => {
        if (!updateAgreement(tx, ctx.userId, { accountId: input.accountId, amountOre: input.amountOre, receiptEmail: input.receiptEmail })) return null;
        return getAgreement(tx, ctx.userId, input.accountId);
      });
      if (!answer) throw new TRPCError({ code: "NOT_FOUND", message: "Agreement not found" });
      return answer;
    }),

  cancel: profileCompleteProcedure.input(accountInput).mutation(async ({ ctx, input }) => {
    const cancelled = await ctx.services.store.write((tx) => cancelAgreement(tx, ctx.userId, input.accountId));
    if (!cancelled) throw new TRPCError({ code: "NOT_FOUND", message: "Agreement not found" });
    // After commit: the saved card is cancelled at the acquirer too (our copy of the token is already gone).
    if (cancelled.cardToken) void cancelSavedCardsAtAcquirer(ctx.services, [cancelled.cardToken]);
    return { ok: true as const };
  }),
});

export const payoutsRouter = router({
  /** Udbetal: the amount leaves the card at once and waits in payout clearing for the back office. */
  request: profileCompleteProcedure.input(payoutInputSchema).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => requestPayout(tx, ctx.userId, input));
    if (!result.ok) {
      if (result.reason === "account_not_found") throw notFound();
      return { ok: false as const, reason: result.reason };
    }
    publishTransfers(ctx.services.bus, result.transfers);
    const email = ctx.services.store.read((tx) => tx.first(db.selectFrom("users").select("email").where("id", "=", ctx.userId))!.email);
    if (email && result.transfers.length > 0) {
      await sendQuietly(ctx.services.mailer, {
        to: email,
        subject: `Udbetaling på ${formatOre(input.amountOre)} er modtaget`,
        text: `Vi har modtaget din anmodning om udbetaling af ${formatOre(input.amountOre)} til reg.nr. ${input.registrationNumber}. Beløbet er trukket fra kortet og overføres, når kantinen har godkendt.\n\n---\nYour payout request has been received.`,
      });
    }
    return { ok: true as const, payout: result.payout };
  }),

  list: profileCompleteProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listPayouts(tx, ctx.userId))),
});

export const transfersRouter = router({
  /** Overfør between two accounts the user may act on (own and, as guardian, children's); idempotent, never below zero. */
  create: profileCompleteProcedure.input(transferInputSchema).mutation(async ({ ctx, input }) => {
    const result = await ctx.services.store.write((tx) => transferBetweenOwnAccounts(tx, ctx.userId, input));
    if (!result.ok) {
      if (result.reason === "account_not_found") throw notFound();
      return { ok: false as const, reason: result.reason };
    }
    if (!result.replayed) publishTransfers(ctx.services.bus, [result.transfer]);
    return { ok: true as const, amountOre: result.transfer.amountOre };
  }),
});
