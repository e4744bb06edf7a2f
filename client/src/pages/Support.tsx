// "Kontakt support": Navn, E-mail, Telefon, Vedrørende (which card), a description, Send → a numbered support case.
import { createSignal, onMount, Show } from "solid-js";
import { localise, t } from "../i18n.ts";
import { session } from "../session.ts";
import { fieldIssues, trpc } from "../trpc.ts";
import { AccountSelect, useChosenAccount } from "../accounts.tsx";

export function SupportPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [values, setValues] = createSignal({ name: session.me()?.name ?? "", email: session.me()?.email ?? "", phone: "", description: "" });
  // "Vedrørende": the card the case is about, named as everywhere else (a child's card by the child's name).
  const regarding = useChosenAccount();
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [caseNumber, setCaseNumber] = createSignal<string | null>(null);
  const [failed, setFailed] = createSignal(false);
  const [limited, setLimited] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const set = (key: string, value: string) => setValues({ ...values(), [key]: value });

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    setErrors({});
    setFailed(false);
    setLimited(false);
    // Without an account there is nothing a case could be about (and Send is disabled); never send NaN.
    const accountId = regarding.accountId();
    if (accountId === null) return;
    setBusy(true);
    try {
      const result = await trpc.support.create.mutate({ name: values().name.trim(), email: values().email.trim(), phone: values().phone.trim() || undefined, accountId, description: values().description.trim() });
      if (result.ok) setCaseNumber(result.caseNumber);
      else setLimited(true);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      const issues = fieldIssues(caught);
      setErrors(issues);
      if (Object.keys(issues).length === 0) setFailed(true);
    } finally {
      setBusy(false);
    }
  }

  const error = (key: string) => <Show when={errors()[key]}><p role="alert" class="error">{localise(errors()[key]!)}</p></Show>;

  return (
    <section>
      <h1>{t().contactSupport}</h1>
      <Show
        when={!caseNumber()}
        fallback={
          <p role="status" class="success">
            {t().supportCreated(caseNumber()!)}
          </p>
        }
      >
        <Show when={session.accountsState() === "ready" && session.accounts.length === 0}>
          <p role="status">{t().noAccounts}</p>
        </Show>
        <Show when={session.accountsState() === "error"}>
          <p role="alert" class="error">{t().error}</p>
          <button type="button" onClick={() => void session.loadAccounts()}>{t().retry}</button>
        </Show>
        <form onSubmit={submit} novalidate class="card-panel">
          <label for="support-name">{t().name}</label>
          <input id="support-name" autocomplete="name" value={values().name} onInput={(event) => set("name", event.currentTarget.value)} />
          {error("name")}
          <label for="support-email">{t().email}</label>
          <input id="support-email" type="email" autocomplete="email" value={values().email} onInput={(event) => set("email", event.currentTarget.value)} />
          {error("email")}
          <label for="support-phone">{t().supportPhone}</label>
          <input id="support-phone" type="tel" autocomplete="tel" value={values().phone} onInput={(event) => set("phone", event.currentTarget.value)} />
          <AccountSelect id="support-regarding" label={t().regarding} value={regarding.accountId()} onChange={regarding.setAccountId} />
          {error("accountId")}
          <label for="support-description">{t().description}</label>
          <textarea id="support-description" rows="5" value={values().description} onInput={(event) => set("description", event.currentTarget.value)} />
          {error("description")}
          <Show when={failed()}><p role="alert" class="error">{t().error}</p></Show>
          <Show when={limited()}><p role="alert" class="error">{t().tooManySupportCases}</p></Show>
          <button type="submit" disabled={busy() || session.accounts.length === 0}>{busy() ? t().loading : t().send}</button>
        </form>
      </Show>
    </section>
  );
}
