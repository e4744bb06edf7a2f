// The till's offline shell: the service worker that keeps /kasse and its assets on the device.
import { createSignal, onCleanup } from "solid-js";

/** The service worker keeps /kasse and its assets on the device, so a reload without a network still opens the till. */
export function useOfflineShell(): () => boolean {
  const [ready, setReady] = createSignal(false);
  if (!("serviceWorker" in navigator)) return ready;
  const check = () => setReady(navigator.serviceWorker.controller !== null);
  navigator.serviceWorker.addEventListener("controllerchange", check);
  onCleanup(() => navigator.serviceWorker.removeEventListener("controllerchange", check));
  navigator.serviceWorker.register("/kasse-sw.js", { scope: "/kasse" }).then(check, () => setReady(false));
  check();
  return ready;
}
