// Back-office procedures for support cases: list, reply by e-mail and close.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { freeText } from "../../../common/text.ts";
import { staffProcedure } from "../../trpc.ts";
import { closeSupportCase, listSupportCases } from "../../services/backoffice/cases.ts";
import { audit } from "../../services/backoffice/shared.ts";
import { notFound } from "./shared.ts";
import { errorField, log } from "../../ops/logger.ts";

export const caseProcedures = {
  supportCases: staffProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listSupportCases(tx, ctx.actor))),

  replySupport: staffProcedure.input(z.strictObject({ caseId: z.number().int().positive(), message: freeText(5_000, { min: 2 }) })).mutation(async ({ ctx, input }) => {
    const supportCase = ctx.services.store.read((tx) => listSupportCases(tx, ctx.actor).find((candidate) => candidate.caseId === input.caseId));
    if (!supportCase) throw notFound("Support case");
    if (supportCase.status === "closed") throw new TRPCError({ code: "CONFLICT", message: "case_closed: Sagen er lukket / The case is closed" });
    // The reply is audited only once the mailer has taken it; a failed send is an error the staff member sees and can retry.
    try {
      await ctx.services.mailer.send({ to: supportCase.email, subject: `Svar på supportsag ${supportCase.caseNumber}`, text: input.message });
    } catch (error) {
      log.error({ caseNumber: supportCase.caseNumber, err: errorField(error) }, "support reply mail failed");
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "mail_failed: Svaret kunne ikke sendes; prøv igen / The reply could not be sent; try again" });
    }
    await ctx.services.store.write((tx) => audit(tx, ctx.actor, "support.reply", `support:${input.caseId}`, { length: input.message.length }));
    return { ok: true as const };
  }),

  closeSupport: staffProcedure.input(z.strictObject({ caseId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => closeSupportCase(tx, ctx.actor, input.caseId)))) throw notFound("Support case");
    return { ok: true as const };
  }),
};
