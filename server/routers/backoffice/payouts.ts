// Back-office procedures for payout requests: the list, the bank CSV and the decision (administrators only).
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { lineText } from "../../../common/text.ts";
import { adminProcedure } from "../../trpc.ts";
import { publishTransfers } from "../../ledger/events.ts";
import { decidePayout } from "../../services/payments/payouts.ts";
import { listPayoutRequests, payoutOfTenant } from "../../services/backoffice/payouts.ts";
import { audit } from "../../services/backoffice/shared.ts";
import { kroner, toCsv } from "../../csv.ts";
import { notFound } from "./shared.ts";

export const payoutProcedures = {
  /** Payout requests newest first, with the request date (createdAt), the message and the decision; `pending` filters. */
  payouts: adminProcedure.input(z.strictObject({ status: z.enum(["pending", "all"]) })).query(({ ctx, input }) => ctx.services.store.read((tx) => listPayoutRequests(tx, ctx.actor, input.status))),

  /** The pending payouts as a CSV for the bank. */
  payoutsCsv: adminProcedure.query(({ ctx }) => {
    const rows = ctx.services.store.read((tx) => listPayoutRequests(tx, ctx.actor, "pending", "oldest"));
    // Name and message are typed by the cardholder; the bank file is opened in a spreadsheet, so they are text cells
    // (quoted and formula-guarded). The bank numbers stay text too: a leading zero in a registration number must survive.
    return toCsv(
      ["Id", "Navn", "Reg.nr.", "Kontonummer", "Beløb", "Besked"],
      rows.map((row) => [row.payoutId, row.name, row.registrationNumber, row.bankAccountNumber, kroner(row.amountOre), row.message]),
    );
  }),

  decidePayout: adminProcedure
    .input(z.discriminatedUnion("status", [z.strictObject({ payoutId: z.number().int().positive(), status: z.literal("paid") }), z.strictObject({ payoutId: z.number().int().positive(), status: z.literal("rejected"), reason: lineText(200, { min: 3 }) })]))
    .mutation(async ({ ctx, input }) => {
      const decided = await ctx.services.store.write((tx) => {
        const payout = payoutOfTenant(tx, ctx.actor, input.payoutId);
        if (!payout) return null;
        // decidePayout hands back a payout that is no longer pending unchanged; that is no decision and must not be audited.
        if (payout.status !== "pending") return "already_decided" as const;
        const result = decidePayout(tx, input.payoutId, input.status === "paid" ? { status: "paid" } : { status: "rejected", reason: input.reason });
        if (result) {
          audit(tx, ctx.actor, `payout.${input.status}`, `payout:${input.payoutId}`, {
            cardNumber: payout.holder?.cardNumber ?? null,
            holder: payout.holder?.holder ?? null,
            amountOre: payout.amountOre,
            ...(input.status === "rejected" ? { reason: input.reason } : {}),
          });
        }
        return result;
      });
      if (!decided) throw notFound("Payout");
      if (decided === "already_decided") throw new TRPCError({ code: "CONFLICT", message: "already_decided: Udbetalingen er allerede afgjort / The payout has already been decided" });
      publishTransfers(ctx.services.bus, decided.transfers);
      return { payout: decided.payout };
    }),
};
