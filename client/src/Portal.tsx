// The portal: routes, the header (name, language, Log ud), the quick guide's left menu, and sign-in guards.
import { Route, Router, A, useLocation, useNavigate, type RouteSectionProps } from "@solidjs/router";
import { createEffect, createSignal, For, lazy, Match, onCleanup, Show, Switch, type Component, type JSX } from "solid-js";
import { language, sentence, setLanguage, t } from "./i18n.ts";
import { session } from "./session.ts";
import { formatOre } from "./format.ts";
import { LoginPage } from "./pages/Login.tsx";
import { AccountsPage } from "./pages/Accounts.tsx";
import { NotFoundPage } from "./pages/NotFound.tsx";

// Log på and Konti come with the portal, so a phone shows the balance without a further round trip; every other page
// is its own chunk, fetched the first time it is opened (the router keeps the current page until it has arrived).
function page<T, K extends keyof T>(load: () => Promise<T>, name: K & (T[K] extends Component ? K : never)): Component {
  return lazy(async () => ({ default: (await load())[name] as Component }));
}
const loadPasswordReset = () => import("./pages/PasswordReset.tsx");
const loadDeposit = () => import("./pages/Deposit.tsx");
const loadWebshop = () => import("./pages/Webshop.tsx");

const PUBLIC_PATHS = ["/log-ind", "/glemt-adgangskode", "/nulstil-adgangskode"];

/** Every address of the portal; anything else is "Siden findes ikke", signed in or not. */
const ROUTES: Array<{ path: string; component: Component }> = [
  { path: "/", component: () => { const navigate = useNavigate(); navigate("/konti", { replace: true }); return null; } },
  { path: "/log-ind", component: LoginPage },
  { path: "/glemt-adgangskode", component: page(loadPasswordReset, "ForgotPasswordPage") },
  { path: "/nulstil-adgangskode", component: page(loadPasswordReset, "ResetPasswordPage") },
  { path: "/konti", component: AccountsPage },
  { path: "/brugerinfo", component: page(() => import("./pages/UserInfo.tsx"), "UserInfoPage") },
  { path: "/kontoudtog", component: page(() => import("./pages/Statement.tsx"), "StatementPage") },
  { path: "/support", component: page(() => import("./pages/Support.tsx"), "SupportPage") },
  { path: "/indbetal", component: page(loadDeposit, "DepositPage") },
  { path: "/indbetal/resultat", component: page(loadDeposit, "DepositResultPage") },
  { path: "/indbetal/auto-optank", component: page(loadDeposit, "AutoTopUpPage") },
  { path: "/indbetal/graenser", component: page(loadDeposit, "PayerSettingsPage") },
  { path: "/overfoer", component: page(() => import("./pages/Transfer.tsx"), "TransferPage") },
  { path: "/udbetal", component: page(() => import("./pages/Payout.tsx"), "PayoutPage") },
  { path: "/webshop", component: page(loadWebshop, "WebshopPage") },
  { path: "/webshop/tjek-ud", component: page(loadWebshop, "CheckoutPage") },
  { path: "/webshop/ordrer", component: page(loadWebshop, "OrdersPage") },
];
const KNOWN_PATHS = new Set(ROUTES.map((route) => route.path));
const isKnownPath = (pathname: string) => KNOWN_PATHS.has(pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname);

/**
 * The live notices at the top of every page (an automatic top-up, a low balance), each with Luk. They name the
 * account's balance as it is now, not as it was when the event came, so a sale after a top-up never leaves a notice
 * that contradicts the balance on the page; a low-balance notice goes away by itself once the balance is above the limit.
 */
function LiveNotices() {
  const currentBalance = (accountId: number, fallbackOre: number) => session.accounts.find((account) => account.accountId === accountId)?.balanceOre ?? fallbackOre;
  return (
    <>
      <Show when={session.lastTopUp()}>
        {(result) => (
          <div role="status" aria-live="polite" class={result().status === "captured" ? "notice success dismissible" : "notice error dismissible"} data-testid="top-up-notice">
            <p>
              {result().status === "captured"
                ? `${t().topUpSucceeded(formatOre(result().amountOre))} ${sentence(t().newBalance(formatOre(currentBalance(result().accountId, result().balanceOre))))}`
                : t().topUpFailed(t().topUpReasons[result().reason ?? ""] ?? result().reason ?? "")}
              {result().agreementPaused ? ` ${t().agreementPaused}` : ""}
            </p>
            <button type="button" class="secondary dismiss" aria-label={t().dismissNotice} onClick={() => session.dismissTopUp()}>{t().dismiss}</button>
          </div>
        )}
      </Show>
      <Show when={session.lastLowBalance() && currentBalance(session.lastLowBalance()!.accountId, session.lastLowBalance()!.balanceOre) < session.lastLowBalance()!.thresholdOre ? session.lastLowBalance() : null}>
        {(alert) => (
          <div role="status" aria-live="polite" class="notice error dismissible" data-testid="low-balance-notice">
            <p>{t().lowBalanceNotice(formatOre(currentBalance(alert().accountId, alert().balanceOre)), formatOre(alert().thresholdOre))}</p>
            <button type="button" class="secondary dismiss" aria-label={t().dismissNotice} onClick={() => session.dismissLowBalance()}>{t().dismiss}</button>
          </div>
        )}
      </Show>
    </>
  );
}

/**
 * Whether the browser has a network at all (navigator.onLine and its online/offline events). The portal never pays or
 * sells offline; it says so at once instead of letting a parent press Næste into a request that cannot leave the phone.
 */
function createOnline(): () => boolean {
  const [online, setOnline] = createSignal(typeof navigator === "undefined" ? true : navigator.onLine);
  const update = () => setOnline(navigator.onLine);
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  onCleanup(() => {
    window.removeEventListener("online", update);
    window.removeEventListener("offline", update);
  });
  return online;
}

function OfflineBanner() {
  const online = createOnline();
  return (
    <Show when={!online()}>
      <div role="status" aria-live="polite" class="offline-banner" data-testid="offline-banner">
        <strong>{t().offlineTitle}</strong> {t().offlineExplain}
      </div>
    </Show>
  );
}

function LanguageSwitch() {
  return (
    <label class="language">
      <span class="visually-hidden">{t().language}</span>
      <select value={language()} onChange={(event) => setLanguage(event.currentTarget.value as "da" | "en")} aria-label={t().language}>
        <option value="da">Dansk</option>
        <option value="en">English</option>
      </select>
    </label>
  );
}

const menu = [
  { path: "/konti", label: () => t().accounts },
  { path: "/indbetal", label: () => t().deposit },
  { path: "/brugerinfo", label: () => t().userInfo },
  { path: "/kontoudtog", label: () => t().statement },
  { path: "/webshop", label: () => t().webshop },
  { path: "/support", label: () => t().support },
];

/**
 * The quick guide's menu. On a wide screen it is the left column; on a phone it folds behind a Menu button that names
 * the current page, and opens as a list under the header (aria-expanded on the button, Escape closes it and returns
 * to the button, choosing a page closes it).
 */
function PortalMenu(): JSX.Element {
  const location = useLocation();
  const [open, setOpen] = createSignal(false);
  let toggle: HTMLButtonElement | undefined;
  const current = () => menu.find((item) => location.pathname === item.path || location.pathname.startsWith(`${item.path}/`));
  createEffect(() => {
    location.pathname;
    setOpen(false);
  });
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "Escape" || !open()) return;
    setOpen(false);
    toggle?.focus();
  };
  return (
    <nav class={open() ? "side-menu open" : "side-menu"} aria-label={t().menu} onKeyDown={onKeyDown}>
      <button
        ref={toggle}
        type="button"
        class="menu-toggle secondary"
        aria-expanded={open() ? "true" : "false"}
        aria-controls="portal-menu-list"
        onClick={() => setOpen(!open())}
      >
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
          <path fill="currentColor" d={open() ? "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z" : "M3 6h18v2H3zm0 5h18v2H3zm0 5h18v2H3z"} />
        </svg>
        <span>{t().menu}</span>
        <Show when={current()}>{(item) => <span class="menu-current" aria-hidden="true">{item().label()}</span>}</Show>
      </button>
      <ul id="portal-menu-list">
        <For each={menu}>
          {(item) => (
            <li>
              <A href={item.path} activeClass="active" onClick={() => setOpen(false)}>
                {item.label()}
              </A>
            </li>
          )}
        </For>
      </ul>
    </nav>
  );
}

function Layout(props: RouteSectionProps): JSX.Element {
  const location = useLocation();
  const navigate = useNavigate();
  const isPublic = () => PUBLIC_PATHS.includes(location.pathname);
  // An unknown address says "Siden findes ikke" to anyone, signed in (inside the menu) or not, instead of Log på.
  const needsSignIn = () => !isPublic() && isKnownPath(location.pathname);

  // Guards: signed out → Log på; first login (no name/e-mail yet) → Brugerinfo.
  createEffect(() => {
    if (session.me.loading || session.me.error) return;
    const me = session.me();
    if (!me && needsSignIn()) navigate("/log-ind", { replace: true });
    else if (me && isPublic() && location.pathname === "/log-ind") navigate(me.profileComplete ? "/konti" : "/brugerinfo", { replace: true });
    else if (me && !me.profileComplete && needsSignIn() && location.pathname !== "/brugerinfo") navigate("/brugerinfo", { replace: true });
  });
  createEffect(() => {
    const me = session.me();
    if (me?.profileComplete) session.startLive();
  });
  // A server call that a page left unhandled and that says UNAUTHORIZED means the session ended (logout elsewhere,
  // a password change, expiry): sign the tab out, which stops the live stream, and the guard above shows Log på.
  const onUnhandled = (event: PromiseRejectionEvent) => {
    if (session.endIfSignedOut(event.reason)) event.preventDefault();
  };
  window.addEventListener("unhandledrejection", onUnhandled);
  onCleanup(() => window.removeEventListener("unhandledrejection", onUnhandled));

  return (
    <div class="app">
      <header class="topbar">
        <A href="/" class="brand">
          Kantinekort
        </A>
        <div class="topbar-right">
          <Show when={session.me()}>{(me) => <span class="user-name">{me().name ?? ""}</span>}</Show>
          <LanguageSwitch />
          <Show when={session.me()}>
            <button type="button" class="link-button" onClick={async () => { await session.logout(); navigate("/log-ind"); }}>
              {t().logout}
            </button>
          </Show>
        </div>
      </header>
      <OfflineBanner />
      <Switch>
        <Match when={session.me.state === "errored"}>
          <main class="content">
            <p role="alert">{t().serverDown}</p>
            <button type="button" onClick={() => session.refetchMe()}>{t().retry}</button>
          </main>
        </Match>
        <Match when={session.me.state === "pending" || session.me.state === "unresolved"}>
          <main class="content"><p role="status">{t().loading}</p></main>
        </Match>
        <Match when={isPublic() || !session.me()}>
          <main class="content narrow">{props.children}</main>
        </Match>
        <Match when={session.me()}>
          <div class="shell">
            <PortalMenu />
            <main class="content">
              <LiveNotices />
              {props.children}
            </main>
          </div>
        </Match>
      </Switch>
    </div>
  );
}

/** The cardholder portal; main.tsx loads it for every address that is not the kitchen screen, back office or till. */
export function PortalApp() {
  return (
    <Router root={Layout}>
      {ROUTES.map((route) => <Route path={route.path} component={route.component} />)}
      <Route path="*" component={NotFoundPage} />
    </Router>
  );
}
