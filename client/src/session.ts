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
  let stream: { unsubscribe(): void } | null = null;
  let flashTimer: ReturnType<typeof setTimeout> | undefined;

  async function loadAccounts(): Promise<void> {
    setAccountsState("loading");
    try {
      setAccounts(reconcile(await trpc.accounts.list.query()));
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

  /** One SSE stream per tab; tRPC resumes it from the last event id after a network drop. */
  function startLive(): void {
    if (stream) return;
    stream = trpc.accounts.onBalance.subscribe(undefined, {
      // The server ends the stream with UNAUTHORIZED when the session ends; any other error is left to tRPC's reconnect.
      onError: (error) => {
        endIfSignedOut(error);
      },
      onData: (envelope) => {
        const event = envelope.data;
        // The first event only gives the tab a resumable id (tRPC keeps it and sends it on reconnect); nothing to show.
        if (event.type === "position") return;
        if (event.type === "order") {
          window.dispatchEvent(new CustomEvent("kantinekort:order", { detail: event }));
          return;
        }
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
    stream?.unsubscribe();
    stream = null;
  }

  async function logout(): Promise<void> {
    try {
      await trpc.auth.logout.mutate();
    } finally {
      signedOut();
    }
  }

  return { me, refetchMe, setMe, lastTopUp, accounts, setAccounts, accountsState, loadAccounts, flashAccount, startLive, stopLive, logout, endIfSignedOut };
});
