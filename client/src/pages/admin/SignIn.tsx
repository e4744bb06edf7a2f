// The staff sign-in form of the back office.
import { createSignal, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { a } from "../../admin-i18n.ts";

export function SignIn(props: { onDone: () => void }) {
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [message, setMessage] = createSignal<string | null>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const result = await trpc.backoffice.login.mutate({ email: email().trim(), password: password() }).catch(() => null);
    if (result?.ok) props.onDone();
    else setMessage(result && result.reason === "locked" ? a().locked(Math.ceil(result.retryAfterSeconds / 60)) : a().wrongLogin);
  }
  return (
    <form class="card-panel narrow-panel" onSubmit={submit} novalidate>
      <h1>{a().title}</h1>
      <label for="staff-email">{a().email}</label>
      <input id="staff-email" type="email" autocomplete="username" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
      <label for="staff-password">{a().password}</label>
      <input id="staff-password" type="password" autocomplete="current-password" value={password()} onInput={(event) => setPassword(event.currentTarget.value)} />
      <Show when={message()}><p role="alert" class="error">{message()}</p></Show>
      <button type="submit">{a().signIn}</button>
    </form>
  );
}
