// "Log på med bruger": card number and verification code (or own password), with lockout and error messages.
import { A, useNavigate } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { t } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";

export function LoginPage() {
  const navigate = useNavigate();
  const [cardNumber, setCardNumber] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [message, setMessage] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setMessage(null);
    if (!/^\d{8,19}$/.test(cardNumber().trim()) || password() === "") {
      setMessage(t().invalidCredentials);
      return;
    }
    setBusy(true);
    try {
      const result = await trpc.auth.login.mutate({ cardNumber: cardNumber().trim(), password: password() });
      if (result.ok) {
        session.setMe(result.me);
        navigate(result.me.profileComplete ? "/konti" : "/brugerinfo", { replace: true });
      } else if (result.reason === "locked") {
        setMessage(t().locked(Math.ceil(result.retryAfterSeconds / 60)));
      } else {
        setMessage(t().invalidCredentials);
      }
    } catch {
      setMessage(t().serverDown);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card-panel">
      <h1>{t().loginTitle}</h1>
      <form onSubmit={submit} novalidate>
        <label for="username">{t().username}</label>
        <input id="username" name="username" inputmode="numeric" autocomplete="username" value={cardNumber()} onInput={(event) => setCardNumber(event.currentTarget.value)} aria-describedby="username-help" />
        <small id="username-help">{t().usernameHelp}</small>
        <label for="password">{t().password}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" value={password()} onInput={(event) => setPassword(event.currentTarget.value)} aria-describedby="password-help" />
        <small id="password-help">{t().passwordHelp}</small>
        <Show when={message()}>
          <p role="alert" class="error">
            {message()}
          </p>
        </Show>
        <button type="submit" disabled={busy()}>
          {busy() ? t().loading : t().login}
        </button>
      </form>
      <p>
        <A href="/glemt-adgangskode">{t().forgotPassword}</A>
      </p>
    </section>
  );
}
