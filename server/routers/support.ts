// Support: "Kontakt support" creates a numbered case about one of the user's cards, confirmed on screen and by e-mail.
import { TRPCError } from "@trpc/server";
import { supportInputSchema } from "../../common/portal.ts";
import { profileCompleteProcedure, router } from "../trpc.ts";
import { createSupportCase } from "../services/portal.ts";
import { sendQuietly } from "../mail/mailer.ts";
import { db } from "../../db/query.ts";

/** Cases one user may open per hour: enough for a real problem, too few to use the confirmation mail for spam. */
export const MAX_SUPPORT_CASES_PER_HOUR = 5;
const HOUR_MS = 60 * 60_000;

export const supportRouter = router({
  create: profileCompleteProcedure.input(supportInputSchema).mutation(async ({ ctx, input }) => {
    const nowMs = Date.now();
    // Counted and created in one write job, so a burst of parallel requests cannot all pass the check.
    const created = await ctx.services.store.write((tx) => {
      const recent = tx.first(
        db
          .selectFrom("support_cases")
          .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.min("created_at").as("oldest")])
          .where("user_id", "=", ctx.userId)
          .where("created_at", ">", nowMs - HOUR_MS),
      )!;
      if (recent.n >= MAX_SUPPORT_CASES_PER_HOUR) return { limited: true as const, retryAfterSeconds: Math.ceil((recent.oldest! + HOUR_MS - nowMs) / 1000) };
      return { limited: false as const, caseNumber: createSupportCase(tx, ctx.userId, input, nowMs) };
    });
    if (created.limited) {
      return {
        ok: false as const,
        reason: "too_many_cases" as const,
        retryAfterSeconds: created.retryAfterSeconds,
        message: "Du har oprettet mange supportsager på kort tid. Prøv igen senere. / You have opened many support cases in a short time. Please try again later.",
      };
    }
    const caseNumber = created.caseNumber;
    if (!caseNumber) throw new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
    // The address is whatever the form said, so the mail repeats nothing the sender typed (no name, no description):
    // it cannot be used to deliver someone else's text from our address.
    await sendQuietly(ctx.services.mailer, {
      to: input.email,
      subject: `Supportsag ${caseNumber} er oprettet`,
      text: `Hej\n\nVi har modtaget din henvendelse til Kantinekort og oprettet supportsag ${caseNumber}. Vi vender tilbage hurtigst muligt.\n\n---\nWe have received your message to Kantinekort as support case ${caseNumber}.`,
    });
    return { ok: true as const, caseNumber };
  }),
});
