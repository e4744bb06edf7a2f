// Pairing a device with a terminal key: the key is checked against the server before it is kept.
import { createResource, createSignal, Show } from "solid-js";
import { tt } from "./i18n.ts";
import { failureKind, tillClient } from "./api.ts";
import { allQueued } from "./queue.ts";
import { LanguageSwitch } from "./LanguageSwitch.tsx";

export function PairScreen(props: { revoked: boolean; onPaired: (key: string) => void }) {
  const [key, setKey] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  // Sales still stored on this device are never hidden, not even behind the pairing screen.
  const [waiting] = createResource(() => allQueued().then((sales) => sales.length, () => 0));
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const typed = key().trim();
    if (typed.length < 16) return setError(tt().unknownKey);
    setBusy(true);
    setError(null);
    try {
      await tillClient(typed).till.config.query();
      props.onPaired(typed);
    } catch (caught) {
      setError(failureKind(caught) === "network" ? tt().noServer : tt().unknownKey);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="till-pair">
      <div class="till-pair-panel">
        <div class="till-pair-head">
          <h1>{tt().pairTitle}</h1>
          <LanguageSwitch />
        </div>
        <Show when={props.revoked}>
          <p role="alert" class="till-notice error">
            {tt().unpairedNotice}
          </p>
        </Show>
        <Show when={(waiting() ?? 0) > 0}>
          <p role="alert" class="till-notice error">
            {tt().storedSales(waiting() ?? 0)}
          </p>
        </Show>
        <p>{tt().pairIntro}</p>
        <form onSubmit={submit}>
          <label for="till-key">{tt().terminalKey}</label>
          <input id="till-key" type="password" autocomplete="off" spellcheck={false} value={key()} onInput={(event) => setKey(event.currentTarget.value)} autofocus />
          <Show when={error()}>
            <p role="alert" class="till-notice error">
              {error()}
            </p>
          </Show>
          <button type="submit" class="till-primary" disabled={busy()}>
            {busy() ? tt().pairing : tt().pair}
          </button>
        </form>
      </div>
    </main>
  );
}
