// First page: shows that the server is up (tRPC health query), with loading and error states.
import { createResource, Match, Switch } from "solid-js";
import { trpc } from "./trpc.ts";

export function App() {
  const [health, { refetch }] = createResource(() => trpc.health.query());
  return (
    <main class="page">
      <header class="brand">
        <h1>Kantinekort</h1>
        <p>Kantinekort til skole og arbejdsplads</p>
      </header>
      <section aria-live="polite" class="status-card">
        <h2>Serverstatus</h2>
        <Switch>
          <Match when={health.loading}>
            <p role="status">Henter status …</p>
          </Match>
          <Match when={health.error}>
            <p role="alert">Serveren svarer ikke. Prøv igen om lidt.</p>
            <button type="button" onClick={() => refetch()}>
              Prøv igen
            </button>
          </Match>
          <Match when={health()}>
            {(status) => (
              <p role="status" data-testid="server-status">
                Serveren kører · {status().cards} kort · {new Date(status().time).toLocaleString("da-DK")}
              </p>
            )}
          </Match>
        </Switch>
      </section>
    </main>
  );
}
