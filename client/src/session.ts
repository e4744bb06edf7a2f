// Who is signed in, the user's accounts, and the tab's single live stream (accounts.onBalance) that keeps balances current.
import { createResource, createRoot, createSignal } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { errorCode, trpc } from "./trpc.ts";

export type Me = Awaited<ReturnType<typeof trpc.auth.me.query>>;
export type Account = Awaited<ReturnType<typeof trpc.accounts.list.query>>[number];
type PortalEvent = import("../../server/routers/accounts.ts").PortalEvent;

export const session = createRoot(() => {
  const [me, { refetch: refetchMe, mutate: setMe }] = createResource(() => trpc.auth.me.query());
  const [accounts, setAccounts] = createStore<Account[]>([]);
  const [accountsState, setAccountsState] = createSignal<"idle" | "loading" | "ready" | "error">("idle");
  /** The account whose balance just changed, for a short highlight. */
  const [flashAccount, setFlashAccount] = createSignal<number | null>(null);
  /** The latest automatic top-up result, shown live at the top of every page. */
  const [lastTopUp, setLastTopUp] = createSignal<Extract<PortalEvent, { type: "autoTopUp" }> | null>(null);
  /** The latest low-balance alert for a card this user pays for, shown live like a top-up result. */
  const [lastLowBalance, setLastLowBalance] = createSignal<Extract<PortalEvent, { type: "lowBalance" }> | null>(null);
  let stream: { unsubscribe(): void } | null = null;
  let flashTimer: ReturnType<typeof setTimeout> | undefined;

  /** Counts balance events, so a list read while one arrived is read again (it may predate that event). */
  let balanceEvents = 0;

  async function loadAccounts(): Promise<void> {
    setAccountsState("loading");
    try {
      // A list answered while a live event arrived may have been read before that event's commit and would overwrite the
      // newer balance: read again until a list came back with no event in between (a few tries are plenty).
      for (let tries = 0; tries < 3; tries += 1) {
        const seen = balanceEvents;
        const list = await trpc.accounts.list.query();
        setAccounts(reconcile(list));
        if (seen === balanceEvents) break;
      }
      setAccountsState("ready");
    } catch (error) {
      if (!endIfSignedOut(error)) setAccountsState("error");
    }
  }

  /** Forgets the signed-in user locally: the live stream stops, and the shell's guard shows Log på. */
  function signedOut(): void {
    stopLive();
    setAccounts([]);
    setAccountsState("idle");
    // The next person to sign in on this tab never sees the previous one's notices.
    setLastTopUp(null);
    setLastLowBalance(null);
    setMe(null);
  }

  /**
   * Call with any error from the server: UNAUTHORIZED means the session ended (logout in another tab, a password
   * change, expiry), so the tab signs out instead of retrying. Returns whether it did.
   */
  function endIfSignedOut(error: unknown): boolean {
    if (errorCode(error) !== "UNAUTHORIZED") return false;
    signedOut();
    return true;
  }

  /**
   * Whether the stream has started and the accounts were read after its start position: from then on no committed
   * change can fall between the list and the stream. Pages show it (Konti's data-live) so tests wait for it, not a timer.
   */
  const [live, setLive] = createSignal(false);
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  let backoffMs = 1_000;
  /** When the stream last ended with UNAUTHORIZED: a second time soon after signs out instead of asking again. */
  let lastUnauthorizedAt = 0;

  /** A stream that ended (server restart, an error tRPC does not retry) starts again after a growing pause. */
  function restartLater(): void {
    stopLive();
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      startLive();
    }, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 30_000);
  }

  /** One SSE stream per tab; tRPC resumes it from the last event id after a network drop. */
  function startLive(): void {
    if (stream || restartTimer !== undefined) return;
    stream = trpc.accounts.onBalance.subscribe(undefined, {
      // The server ends the stream with UNAUTHORIZED when the session it was opened with ends; anything else starts it
      // again. That session may be one this tab itself replaced (Skift adgangskode gives the tab a new session and ends
      // all others), so the tab asks who it is before signing out, and reopens the stream if it is still signed in.
      onError: (error) => {
        if (errorCode(error) !== "UNAUTHORIZED") return restartLater();
        stopLive();
        const retried = Date.now() - lastUnauthorizedAt < 10_000;
        lastUnauthorizedAt = Date.now();
        if (retried) return signedOut();
        void trpc.auth.me.query().then(
          (current) => {
            if (!current) return signedOut();
            setMe(current);
            startLive();
          },
          () => signedOut(),
        );
      },
      onComplete: () => {
        if (stream) restartLater();
      },
      onData: (envelope) => {
        const event = envelope.data;
        // The first event gives the tab a resumable id (tRPC keeps it and sends it on reconnect). The accounts list was
        // read before the stream started, so a change committed in between would never show: read it again now.
        if (event.type === "position") {
          backoffMs = 1_000;
          void loadAccounts().then(() => setLive(stream !== null));
          return;
        }
        if (event.type === "lowBalance") {
          setLastLowBalance(event);
          return;
        }
        if (event.type === "cardStatus") {
          // Blocked or unblocked in the back office: Konti shows it at once.
          const index = accounts.findIndex((account) => account.accountId === event.accountId);
          if (index >= 0) setAccounts(index, "status", event.status);
          return;
        }
        if (event.type === "order") {
          window.dispatchEvent(new CustomEvent("kantinekort:order", { detail: event }));
          return;
        }
        balanceEvents += 1;
        if (event.type === "autoTopUp") setLastTopUp(event);
        const index = accounts.findIndex((account) => account.accountId === event.accountId);
        if (index >= 0) setAccounts(index, "balanceOre", event.balanceOre);
        setFlashAccount(event.accountId);
        clearTimeout(flashTimer);
        flashTimer = setTimeout(() => setFlashAccount(null), 1_500);
        window.dispatchEvent(new CustomEvent("kantinekort:balance", { detail: event }));
      },
    });
  }

  function stopLive(): void {
    clearTimeout(restartTimer);
    restartTimer = undefined;
    setLive(false);
    const current = stream;
    // Cleared first: unsubscribing may report completion, which must not count as the stream ending by itself.
    stream = null;
    current?.unsubscribe();
  }

  async function logout(): Promise<void> {
    try {
      await trpc.auth.logout.mutate();
    } finally {
      signedOut();
    }
  }

  /** Luk on a live notice: it stays away until the next event of its kind. */
  const dismissTopUp = () => setLastTopUp(null);
  const dismissLowBalance = () => setLastLowBalance(null);

  return { me, refetchMe, setMe, lastTopUp, lastLowBalance, dismissTopUp, dismissLowBalance, accounts, setAccounts, accountsState, loadAccounts, flashAccount, live, startLive, stopLive, logout, endIfSignedOut };
});
