// Back-office procedures for the daily report (with its CSV) and manual corrections.
import * as z from "zod";
import { lineText } from "../../../common/text.ts";
import { amountOreSchema, idempotencyKeySchema } from "../../../common/limits.ts";
import { adminProcedure, staffProcedure } from "../../trpc.ts";
import { publishTransfers } from "../../ledger/events.ts";
import type { VerifierReport } from "../../ledger/verifier.ts";
import { keepDayTotals } from "../../services/backoffice/period-report.ts";
import { daysBetween, PERIOD_DAYS_MAX } from "../../../common/report-periods.ts";
import { postCorrection } from "../../services/backoffice/corrections.ts";
import { kroner, toCsv } from "../../csv.ts";
import { daySchema, notFound } from "./shared.ts";

/**
 * The background verifier's verdict as a school sees it: kept or broken, and since when. The ledger is one book for
 * every school, so its figures (transfer counts, accounts named in violations) are the site operator's (ledger:check,
 * /metrics), never in a school's report.
 */
function ledgerVerdict(latest: VerifierReport | null): { ok: boolean; verifiedAtMs: number } | null {
  return latest ? { ok: latest.ok, verifiedAtMs: latest.verifiedAtMs } : null;
}

/** How long one period report may spend adding up days not kept yet before it answers with its progress (2 s). */
const PERIOD_REPORT_BUDGET_MS = 2_000;

export const reportProcedures = {
  /** One day's report, read on the heavy-read worker so that no till waits for it (issue 27). */
  report: staffProcedure.input(z.strictObject({ day: daySchema })).query(async ({ ctx, input }) => {
    const report = await ctx.services.reads.run("dailyReport", { tenantId: ctx.actor.tenantId, day: input.day });
    const verification = ledgerVerdict(ctx.services.ledgerWatch.latest());
    const csv = toCsv(["Produkt", "Antal", "Beløb"], report.salesByProduct.map((row) => [row.product, row.quantity, kroner(row.amountOre)]));
    return { ...report, verification, csv };
  }),

  /**
   * A month's or a school year's report: the exact day totals added up, closed days from the kept totals. The days
   * this answer had to compute are kept for the next one.
   */
  periodReport: staffProcedure
    .input(
      z
        .strictObject({ from: daySchema, to: daySchema })
        .refine((period) => period.from <= period.to, { error: "Perioden slutter før den begynder / The period ends before it begins", path: ["to"] })
        .refine((period) => period.from > "2000-01-01" && daysBetween(period.from, period.to) <= PERIOD_DAYS_MAX, {
          error: `Højst ${PERIOD_DAYS_MAX} dage ad gangen / At most ${PERIOD_DAYS_MAX} days at a time`,
          path: ["to"],
        }),
    )
    .query(async ({ ctx, input }) => {
      const answer = await ctx.services.reads.run("periodReportWithin", { tenantId: ctx.actor.tenantId, from: input.from, to: input.to, nowMs: Date.now(), budgetMs: PERIOD_REPORT_BUDGET_MS });
      if (answer.toKeep.length > 0) await ctx.services.store.write((tx) => keepDayTotals(tx, ctx.actor.tenantId, answer.toKeep));
      // Not every day is added up yet (a fresh or just-migrated database): how far it is; the page asks again.
      if (answer.preparing) return { status: "preparing" as const, ...answer.preparing };
      const report = answer.report;
      const csv = toCsv(["Produkt", "Antal", "Beløb"], report.salesByProduct.map((row) => [row.product, row.quantity, kroner(row.amountOre)]));
      return { status: "ready" as const, ...report, verification: ledgerVerdict(ctx.services.ledgerWatch.latest()), csv };
    }),

  /** A correcting transfer with a mandatory reason; administrators only. */
  correct: adminProcedure
    .input(z.strictObject({ accountId: z.number().int().positive(), amountOre: amountOreSchema, direction: z.enum(["credit", "debit"]), reason: lineText(200, { min: 5 }), idempotencyKey: idempotencyKeySchema }))
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
