// The TEST banner over every page (portal, kitchen screen, back office) of a staging site that runs the payment simulator.
import { createResource, Show } from "solid-js";
import { trpc } from "./trpc.ts";
import { language } from "./language.ts";

/**
 * Shown when the server says this production site runs simulated payments (ALLOW_TEST_PAYMENTS_IN_PRODUCTION): nobody
 * should mistake its balances for real money or type a real card into its payment page.
 */
export function TestBanner() {
  // A site that cannot be asked shows no banner; the pages themselves report that the server is down.
  const [info] = createResource(() => trpc.site.info.query().catch(() => ({ testPayments: false })));
  return (
    <Show when={info()?.testPayments}>
      <div role="alert" class="test-banner" data-testid="test-banner">
        {language() === "en"
          ? "TEST SITE: payments are simulated and no money here is real. Never enter a real card."
          : "TESTSIDE: betalinger er simulerede, og ingen penge her er rigtige. Indtast aldrig et rigtigt kort."}
      </div>
    </Show>
  );
}
