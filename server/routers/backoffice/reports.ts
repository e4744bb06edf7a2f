// Back-office procedures for the daily report (with its CSV) and manual corrections.
import * as z from "zod";
import { amountOreSchema, idempotencyKeySchema } from "../../../common/limits.ts";
import { adminProcedure, staffProcedure } from "../../trpc.ts";
import { publishTransfers } from "../../ledger/events.ts";
import { dailyReport } from "../../services/backoffice/reports.ts";
import { postCorrection } from "../../services/backoffice/corrections.ts";
import { kroner, spreadsheetSafe, toCsv } from "../../csv.ts";
import { daySchema, notFound } from "./shared.ts";

export const reportProcedures = {
  report: staffProcedure.input(z.strictObject({ day: daySchema })).query(({ ctx, input }) => {
    const report = ctx.services.store.read((tx) => dailyReport(tx, ctx.actor.tenantId, input.day));
    const csv = toCsv(["Produkt", "Antal", "Beløb"], report.salesByProduct.map((row) => [spreadsheetSafe(row.product), row.quantity, kroner(row.amountOre)]));
    return { ...report, csv };
  }),

  /** A correcting transfer with a mandatory reason; administrators only. */
  correct: adminProcedure
    .input(z.strictObject({ accountId: z.number().int().positive(), amountOre: amountOreSchema, direction: z.enum(["credit", "debit"]), reason: z.string().trim().min(5).max(200), idempotencyKey: idempotencyKeySchema }))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.services.store.write((tx) => postCorrection(tx, ctx.actor, input));
      if (!result.ok) {
        if (result.reason === "account_not_found") throw notFound("Account");
        return { ok: false as const, reason: result.reason };
      }
      publishTransfers(ctx.services.bus, [result.transfer]);
      return { ok: true as const };
    }),
};
