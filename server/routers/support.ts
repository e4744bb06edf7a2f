// Support: "Kontakt support" creates a numbered case about one of the user's cards, confirmed on screen and by e-mail.
import { TRPCError } from "@trpc/server";
import { supportInputSchema } from "../../common/portal.ts";
import { profileCompleteProcedure, router } from "../trpc.ts";
import { createSupportCase } from "../services/portal.ts";
import { sendQuietly } from "../mail/mailer.ts";

export const supportRouter = router({
  create: profileCompleteProcedure.input(supportInputSchema).mutation(async ({ ctx, input }) => {
    const caseNumber = await ctx.services.store.write((tx) => createSupportCase(tx, ctx.userId, input));
    if (!caseNumber) throw new TRPCError({ code: "NOT_FOUND", message: "Account not found" });
    await sendQuietly(ctx.services.mailer, {
      to: input.email,
      subject: `Supportsag ${caseNumber} er oprettet`,
      text: `Hej ${input.name}\n\nVi har modtaget din henvendelse og oprettet supportsag ${caseNumber}. Vi vender tilbage hurtigst muligt.\n\nDin beskrivelse:\n${input.description}\n\n---\nWe have received your message as support case ${caseNumber}.`,
    });
    return { caseNumber };
  }),
});
