// Public facts about this site that every page needs before sign-in: whether it is a test site with simulated payments.
import { publicProcedure, router } from "../trpc.ts";

export const siteRouter = router({
  /**
   * `testPayments`: this production site runs the payment simulator by a staging opt-in
   * (ALLOW_TEST_PAYMENTS_IN_PRODUCTION), so no money here is real; every page shows a TEST banner.
   */
  info: publicProcedure.query(({ ctx }) => ({
    testPayments: ctx.services.config.testPaymentsInProduction,
  })),
});
