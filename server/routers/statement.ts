// Kontoudtog: months with movements and a month's lines with running balance, for the accounts the user may act on (own and children's).
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { statementMonthSchema } from "../../common/portal.ts";
import { profileCompleteProcedure, router } from "../trpc.ts";
import { statementMonth, statementMonths } from "../services/statements.ts";
import { actableAccount } from "../services/access.ts";

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "Account not found" });

export const statementRouter = router({
  months: profileCompleteProcedure.input(z.strictObject({ accountId: z.number().int().positive() })).query(({ ctx, input }) =>
    ctx.services.store.read((tx) => {
      if (!actableAccount(tx, ctx.userId, input.accountId)) throw notFound();
      return statementMonths(tx, input.accountId);
    }),
  ),

  month: profileCompleteProcedure.input(statementMonthSchema).query(({ ctx, input }) =>
    ctx.services.store.read((tx) => {
      if (!actableAccount(tx, ctx.userId, input.accountId)) throw notFound();
      return statementMonth(tx, input.accountId, input.year, input.month);
    }),
  ),
});
