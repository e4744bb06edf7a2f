// Back-office procedures linking and unlinking guardians of a cardholder (administrators only: a guardian may move the child's money).
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { cardNumberSchema } from "../../../common/limits.ts";
import { adminProcedure } from "../../trpc.ts";
import { linkGuardian, unlinkGuardian, type GuardianRefusal } from "../../services/backoffice/guardians.ts";
import { guardianLinkedNotice, guardianUnlinkedNotice } from "../../services/backoffice/notices.ts";
import { cancelSavedCardsAtAcquirer } from "../../services/payments/auto-top-up.ts";
import { notFound, sendNotices } from "./shared.ts";

function guardianRefused(refusal: GuardianRefusal): TRPCError {
  if (refusal.reason === "cardholder_not_found") return notFound("Cardholder");
  if (refusal.reason === "guardian_not_found") return notFound("Guardian card");
  return new TRPCError({ code: "CONFLICT", message: "own_guardian: En kortholder kan ikke være sin egen værge / A cardholder cannot be their own guardian" });
}

export const guardianProcedures = {
  /**
   * Makes another cardholder of the school (found by card number) a guardian who may act on this cardholder's accounts.
   * Administrators only (canteen staff could otherwise link a card of their own to a pupil and move the pupil's money);
   * the cardholder and their other guardians are e-mailed. Linking twice changes nothing and mails nobody.
   */
  linkGuardian: adminProcedure.input(z.strictObject({ userId: z.number().int().positive(), guardianCardNumber: cardNumberSchema })).mutation(async ({ ctx, input }) => {
    const linked = await ctx.services.store.write((tx) => linkGuardian(tx, ctx.actor, input.userId, input.guardianCardNumber));
    if (!linked.ok) throw guardianRefused(linked);
    // The guardian's open portal streams start carrying the child's accounts now, not at their next sign-in.
    ctx.services.bus.publish("accessChanged", linked.guardian.userId, { userId: linked.guardian.userId });
    await sendNotices(
      ctx.services.mailer,
      linked.notify.map((to) => guardianLinkedNotice(to, { child: linked.child, guardian: linked.guardian, by: ctx.actor.label })),
    );
    return { ok: true as const, guardian: linked.guardian };
  }),

  /**
   * Ends the link and every power it gave (the ex-guardian's Auto-optank and low-balance alert on the child's card, in
   * the same transaction); the ex-guardian, the child and the remaining guardians are e-mailed.
   */
  unlinkGuardian: adminProcedure.input(z.strictObject({ userId: z.number().int().positive(), guardianUserId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const unlinked = await ctx.services.store.write((tx) => unlinkGuardian(tx, ctx.actor, input.userId, input.guardianUserId));
    if (!unlinked) throw notFound("Guardian link");
    // The guardian's open portal streams stop carrying the child's accounts at once.
    ctx.services.bus.publish("accessChanged", input.guardianUserId, { userId: input.guardianUserId });
    // After commit: the cancelled agreements' saved cards are cancelled at the acquirer too (retried, then logged).
    if (unlinked.cardTokens.length > 0) void cancelSavedCardsAtAcquirer(ctx.services, unlinked.cardTokens);
    await sendNotices(
      ctx.services.mailer,
      unlinked.notify.map((to) => guardianUnlinkedNotice(to, { ...unlinked, by: ctx.actor.label })),
    );
    return { ok: true as const };
  }),
};
