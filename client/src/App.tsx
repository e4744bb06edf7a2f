// The portal shell: routes, the header (name, language, Log ud), the quick guide's left menu, and sign-in guards.
import { Route, Router, A, useLocation, useNavigate, type RouteSectionProps } from "@solidjs/router";
import { createEffect, For, Match, onCleanup, Show, Switch, type JSX } from "solid-js";
import { language, setLanguage, t } from "./i18n.ts";
import { session } from "./session.ts";
import { formatOre } from "./format.ts";
import { LoginPage } from "./pages/Login.tsx";
import { ForgotPasswordPage, ResetPasswordPage } from "./pages/PasswordReset.tsx";
import { AccountsPage } from "./pages/Accounts.tsx";
import { UserInfoPage } from "./pages/UserInfo.tsx";
import { StatementPage } from "./pages/Statement.tsx";
import { SupportPage } from "./pages/Support.tsx";
import { ComingSoonPage } from "./pages/ComingSoon.tsx";
import { AutoTopUpPage, DepositPage, DepositResultPage, PayerSettingsPage } from "./pages/Deposit.tsx";
import { PayoutPage } from "./pages/Payout.tsx";
import { TransferPage } from "./pages/Transfer.tsx";
import { CheckoutPage, OrdersPage, WebshopPage } from "./pages/Webshop.tsx";
import { KitchenPage } from "./pages/Kitchen.tsx";
import { AdminPage } from "./pages/Admin.tsx";
import { KassePage } from "./pages/Kasse.tsx";

const PUBLIC_PATHS = ["/log-ind", "/glemt-adgangskode", "/nulstil-adgangskode"];

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

function Layout(props: RouteSectionProps): JSX.Element {
  const location = useLocation();
  const navigate = useNavigate();
  const isPublic = () => PUBLIC_PATHS.includes(location.pathname);

  // Guards: signed out → Log på; first login (no name/e-mail yet) → Brugerinfo.
  createEffect(() => {
    if (session.me.loading || session.me.error) return;
    const me = session.me();
    if (!me && !isPublic()) navigate("/log-ind", { replace: true });
    else if (me && isPublic() && location.pathname === "/log-ind") navigate(me.profileComplete ? "/konti" : "/brugerinfo", { replace: true });
    else if (me && !me.profileComplete && !isPublic() && location.pathname !== "/brugerinfo") navigate("/brugerinfo", { replace: true });
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
            <nav class="side-menu" aria-label={t().menu}>
              <ul>
                <For each={menu}>
                  {(item) => (
                    <li>
                      <A href={item.path} activeClass="active">
                        {item.label()}
                      </A>
                    </li>
                  )}
                </For>
              </ul>
            </nav>
            <main class="content">
              <Show when={session.lastTopUp()}>
                {(result) => (
                  <p role="status" aria-live="polite" class={result().status === "captured" ? "notice success" : "notice error"}>
                    {result().status === "captured" ? t().topUpSucceeded(formatOre(result().amountOre), formatOre(result().balanceOre)) : t().topUpFailed(t().topUpReasons[result().reason ?? ""] ?? result().reason ?? "")}
                    {result().agreementPaused ? ` ${t().agreementPaused}` : ""}
                  </p>
                )}
              </Show>
              <Show when={session.lastLowBalance()}>
                {(alert) => (
                  <p role="status" aria-live="polite" class="notice error">
                    {t().lowBalanceNotice(formatOre(alert().balanceOre), formatOre(alert().thresholdOre))}
                  </p>
                )}
              </Show>
              {props.children}
            </main>
          </div>
        </Match>
      </Switch>
    </div>
  );
}

export function App() {
  // The kitchen screen is its own full-screen app: no portal shell, no cardholder sign-in.
  if (window.location.pathname.startsWith("/kitchen")) return <KitchenPage />;
  if (window.location.pathname.startsWith("/admin")) return <AdminPage />;
  if (window.location.pathname.startsWith("/kasse")) return <KassePage />;
  return (
    <Router root={Layout}>
      <Route path="/" component={() => { const navigate = useNavigate(); navigate("/konti", { replace: true }); return null; }} />
      <Route path="/log-ind" component={LoginPage} />
      <Route path="/glemt-adgangskode" component={ForgotPasswordPage} />
      <Route path="/nulstil-adgangskode" component={ResetPasswordPage} />
      <Route path="/konti" component={AccountsPage} />
      <Route path="/brugerinfo" component={UserInfoPage} />
      <Route path="/kontoudtog" component={StatementPage} />
      <Route path="/support" component={SupportPage} />
      <Route path="/indbetal" component={DepositPage} />
      <Route path="/indbetal/resultat" component={DepositResultPage} />
      <Route path="/indbetal/auto-optank" component={AutoTopUpPage} />
      <Route path="/indbetal/graenser" component={PayerSettingsPage} />
      <Route path="/overfoer" component={TransferPage} />
      <Route path="/udbetal" component={PayoutPage} />
      <Route path="/webshop" component={WebshopPage} />
      <Route path="/webshop/tjek-ud" component={CheckoutPage} />
      <Route path="/webshop/ordrer" component={OrdersPage} />
      <Route path="*" component={() => <ComingSoonPage title="404" />} />
    </Router>
  );
}
