// "Siden findes ikke": an unknown address in the portal says so, and offers the way back (Konti, or Log på when signed out).
import { A, useLocation } from "@solidjs/router";
import { Show } from "solid-js";
import { t } from "../i18n.ts";
import { session } from "../session.ts";

export function NotFoundPage() {
  const location = useLocation();
  return (
    <section class="not-found" data-testid="not-found">
      <h1>{t().notFoundTitle}</h1>
      <p>{t().notFoundText}</p>
      <p class="hint"><code>{location.pathname}</code></p>
      <Show when={session.me()} fallback={<A class="button-link" href="/log-ind">{t().backToLogin}</A>}>
        <A class="button-link" href="/konti">{t().notFoundHome}</A>
      </Show>
    </section>
  );
}
