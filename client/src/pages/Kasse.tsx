// The browser till (/kasse): pairing with a terminal key, then the till itself; its parts live in client/src/till/.
import { createEffect, createSignal, onCleanup, Show, untrack } from "solid-js";
import { storedKey, storeKey } from "../till/api.ts";
import { clearTillCache, createTill, type Till } from "../till/state.ts";
import { PairScreen } from "../till/PairScreen.tsx";
import { TillScreen } from "../till/TillScreen.tsx";
import "../till/kasse.css";

export function KassePage() {
  const [key, setKey] = createSignal(storedKey());
  const [revoked, setRevoked] = createSignal(false);
  const [till, setTill] = createSignal<Till | null>(null);

  // One till per paired key; a refused key (revoked in the back office) is forgotten on this device at once.
  createEffect(() => {
    const current = key();
    untrack(till)?.stop();
    if (!current) return setTill(null);
    setTill(
      createTill(current, () => {
        storeKey(null);
        clearTillCache();
        setRevoked(true);
        setKey(null);
      }),
    );
  });
  onCleanup(() => till()?.stop());

  return (
    <Show
      when={till()}
      fallback={
        <PairScreen
          revoked={revoked()}
          onPaired={(paired) => {
            storeKey(paired);
            setRevoked(false);
            setKey(paired);
          }}
        />
      }
    >
      {(current) => (
        <TillScreen
          till={current()}
          onUnpair={() => {
            storeKey(null);
            clearTillCache();
            setKey(null);
          }}
        />
      )}
    </Show>
  );
}
