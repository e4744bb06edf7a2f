// "Glemt adgangskode" (e-mail → Nulstil) and the mailed link's page (new password + repeat → Gem Password).
import { A, useSearchParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { localise, t } from "../i18n.ts";
import { fieldIssues, trpc } from "../trpc.ts";

export function ForgotPasswordPage() {
  const [email, setEmail] = createSignal("");
  const [sent, setSent] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      await trpc.auth.requestPasswordReset.mutate({ email: email().trim() });
      setSent(true);
    } catch (caught) {
      const issue = fieldIssues(caught).email;
      setError(issue ? localise(issue) : t().error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card-panel">
      <h1>{t().forgotPassword}</h1>
      <Show
        when={!sent()}
        fallback={
          <p role="status" class="success">
            {t().resetSent}
          </p>
        }
      >
        <p>{t().resetIntro}</p>
        <form onSubmit={submit} novalidate>
          <label for="reset-email">{t().email}</label>
          <input id="reset-email" type="email" autocomplete="email" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
          <Show when={error()}>
            <p role="alert" class="error">{error()}</p>
          </Show>
          <button type="submit" disabled={busy()}>{t().reset}</button>
        </form>
      </Show>
      <p>
        <A href="/log-ind">{t().backToLogin}</A>
      </p>
    </section>
  );
}

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const [password, setPassword] = createSignal("");
  const [repeat, setRepeat] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [state, setState] = createSignal<"form" | "done" | "invalid">("form");
  /** Too many tries from this address: the link may still be good, so the form stays with a wait message. */
  const [waitMessage, setWaitMessage] = createSignal<string | null>(null);

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setErrors({});
    setWaitMessage(null);
    try {
      const result = await trpc.auth.resetPassword.mutate({ token: String(params.token ?? ""), newPassword: password(), repeatPassword: repeat() });
      if (!result.ok && result.reason === "rate_limited") return setWaitMessage(t().locked(Math.ceil(result.retryAfterSeconds / 60)));
      setState(result.ok ? "done" : "invalid");
    } catch (caught) {
      const issues = fieldIssues(caught);
      if (issues.token) setState("invalid");
      setErrors(issues);
    }
  }

  return (
    <section class="card-panel">
      <h1>{t().newPassword}</h1>
      <Show when={state() === "form"}>
        <form onSubmit={submit} novalidate>
          <label for="new-password">{t().newPassword}</label>
          <input id="new-password" type="password" autocomplete="new-password" value={password()} onInput={(event) => setPassword(event.currentTarget.value)} aria-describedby="rule" />
          <small id="rule">{t().passwordRule}</small>
          <Show when={errors().newPassword}><p role="alert" class="error">{localise(errors().newPassword!)}</p></Show>
          <label for="repeat-password">{t().repeatPassword}</label>
          <input id="repeat-password" type="password" autocomplete="new-password" value={repeat()} onInput={(event) => setRepeat(event.currentTarget.value)} />
          <Show when={errors().repeatPassword}><p role="alert" class="error">{localise(errors().repeatPassword!)}</p></Show>
          <Show when={waitMessage()}><p role="alert" class="error">{waitMessage()}</p></Show>
          <button type="submit">{t().savePassword}</button>
        </form>
      </Show>
      <Show when={state() === "done"}>
        <p role="status" class="success">{t().resetDone}</p>
      </Show>
      <Show when={state() === "invalid"}>
        <p role="alert" class="error">{t().resetInvalid}</p>
      </Show>
      <p>
        <A href="/log-ind">{t().backToLogin}</A>
      </p>
    </section>
  );
}
