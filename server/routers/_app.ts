// The application router: one sub-router per domain noun. Clients import only its type.
import { db } from "../../db/query.ts";
import { publicProcedure, router } from "../trpc.ts";
import { posRouter } from "./pos.ts";
import { tillRouter } from "./till.ts";
import { authRouter } from "./auth.ts";
import { profileRouter } from "./profile.ts";
import { accountsRouter } from "./accounts.ts";
import { statementRouter } from "./statement.ts";
import { supportRouter } from "./support.ts";
import { autoTopUpRouter, paymentsRouter, payoutsRouter, transfersRouter } from "./money.ts";
import { limitsRouter, lowBalanceRouter } from "./payer.ts";
import { ordersRouter, webshopRouter } from "./webshop.ts";
import { kitchenRouter } from "./kitchen.ts";
import { backofficeRouter } from "./backoffice.ts";
import { siteRouter } from "./site.ts";
import { opsRouter } from "./ops.ts";

export const appRouter = router({
  /** Liveness for the first page and for monitoring: the server answers and the database can be read. */
  health: publicProcedure.query(({ ctx }) => {
    const row = ctx.services.store.read((tx) => tx.first(db.selectFrom("cards").select((eb) => eb.fn.countAll<number>().as("cards")))!);
    return { ok: true as const, time: new Date().toISOString(), cards: row.cards };
  }),
  pos: posRouter,
  till: tillRouter,
  auth: authRouter,
  profile: profileRouter,
  accounts: accountsRouter,
  statement: statementRouter,
  support: supportRouter,
  payments: paymentsRouter,
  autoTopUp: autoTopUpRouter,
  payouts: payoutsRouter,
  transfers: transfersRouter,
  limits: limitsRouter,
  lowBalance: lowBalanceRouter,
  webshop: webshopRouter,
  orders: ordersRouter,
  kitchen: kitchenRouter,
  backoffice: backofficeRouter,
  site: siteRouter,
  ops: opsRouter,
});

export type AppRouter = typeof appRouter;
