// Indbetal → Maks. forbrug og påmindelse: a card's spending limits and low-balance alert, set by whoever pays for it.
import { createEffect, createResource, createSignal, onMount, Show } from "solid-js";
import { localise, t } from "../../i18n.ts";
import { session } from "../../session.ts";
import { fieldIssues, trpc } from "../../trpc.ts";
import { formatOre, kronerFieldText, kronerFieldToOre, parseKroner } from "../../format.ts";
import { AccountSelect, useChosenAccount } from "../../accounts.tsx";
import { Tabs } from "./payment-form.tsx";

type Message = { ok: boolean; text: string } | null;
/** The chosen card and the one busy flag both forms share (one save at a time). */
type FormProps = { accountId: () => number | null; busy: () => boolean; setBusy: (busy: boolean) => void };

const problem = (caught: unknown) => (fieldIssues(caught) && Object.values(fieldIssues(caught))[0]) || (caught instanceof Error ? caught.message : t().error);

function AmountField(props: { id: string; label: string; value: string; onInput: (value: string) => void; readOnly: boolean }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input id={props.id} inputmode="numeric" value={props.value} readOnly={props.readOnly} aria-readonly={props.readOnly} onInput={(event) => props.onInput(event.currentTarget.value)} />
    </>
  );
}

function MessageLine(props: { message: Message }) {
  return <Show when={props.message}>{(message) => <p role={message().ok ? "status" : "alert"} class={message().ok ? "success" : "error"}>{message().text}</p>}</Show>;
}

/**
 * Maks. forbrug and the low-balance alert of one card, set by whoever pays for it: the holder, or a guardian for a
 * child's card. A child whose guardian decides sees both read-only.
 */
export function PayerSettingsPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const chosen = useChosenAccount();
  const [busy, setBusy] = createSignal(false);
  const form = { accountId: chosen.accountId, busy, setBusy };
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel">
        <p>{t().payerIntro}</p>
        <AccountSelect id="payer-account" label={t().depositAccount} value={chosen.accountId()} onChange={chosen.setAccountId} />
        <LimitsForm {...form} />
        <LowBalanceForm {...form} isChildCard={() => Boolean(chosen.account()?.holder)} />
      </div>
    </section>
  );
}

/** Maks. forbrug: daily, weekly and monthly limits in kroner; an empty field is no limit. */
function LimitsForm(props: FormProps) {
  const [limits, { refetch }] = createResource(props.accountId, (accountId) => trpc.limits.get.query({ accountId }));
  const [daily, setDaily] = createSignal("");
  const [weekly, setWeekly] = createSignal("");
  const [monthly, setMonthly] = createSignal("");
  const [message, setMessage] = createSignal<Message>(null);
  createEffect(() => {
    const current = limits();
    if (!current) return;
    setDaily(kronerFieldText(current.dailyOre));
    setWeekly(kronerFieldText(current.weeklyOre));
    setMonthly(kronerFieldText(current.monthlyOre));
  });
  async function save() {
    setMessage(null);
    const values = { dailyOre: kronerFieldToOre(daily()), weeklyOre: kronerFieldToOre(weekly()), monthlyOre: kronerFieldToOre(monthly()) };
    if (Object.values(values).some((value) => Number.isNaN(value))) return setMessage({ ok: false, text: t().maxSpendingHelp });
    props.setBusy(true);
    try {
      await trpc.limits.set.mutate({ accountId: props.accountId()!, limits: values });
      await refetch();
      setMessage({ ok: true, text: t().limitsSaved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setMessage({ ok: false, text: localise(problem(caught)) });
    } finally {
      props.setBusy(false);
    }
  }
  const readOnly = () => limits()?.editable === false;
  // While the chosen account's values load, nothing can be typed: a late answer would overwrite what was typed, and
  // Gem would save the old values on the new account.
  const locked = () => readOnly() || limits.loading;
  return (
    <form novalidate onSubmit={(event) => { event.preventDefault(); void save(); }}>
      <fieldset>
        <legend>{t().maxSpending}</legend>
        <small>{t().maxSpendingHelp}</small>
        <AmountField id="payer-daily" label={t().daily} value={daily()} onInput={setDaily} readOnly={locked()} />
        <AmountField id="payer-weekly" label={t().weekly} value={weekly()} onInput={setWeekly} readOnly={locked()} />
        <AmountField id="payer-monthly" label={t().monthly} value={monthly()} onInput={setMonthly} readOnly={locked()} />
      </fieldset>
      <Show when={readOnly()} fallback={<button type="submit" disabled={props.busy() || limits.loading}>{t().saveLimits}</button>}>
        <p class="notice">{t().limitsReadOnly}</p>
      </Show>
      <MessageLine message={message()} />
    </form>
  );
}

/** Påmindelse om lav saldo: an e-mail when a purchase leaves the balance under the threshold. */
function LowBalanceForm(props: FormProps & { isChildCard: () => boolean }) {
  const [alert, { refetch }] = createResource(props.accountId, (accountId) => trpc.lowBalance.get.query({ accountId }));
  const [threshold, setThreshold] = createSignal("");
  const [email, setEmail] = createSignal(session.me()?.email ?? "");
  const [message, setMessage] = createSignal<Message>(null);
  createEffect(() => {
    const current = alert();
    setThreshold(current ? kronerFieldText(current.thresholdOre) : "");
    if (current?.payerIsViewer) setEmail(current.email);
  });
  const readOnly = () => {
    const current = alert();
    return current !== null && current !== undefined && !current.payerIsViewer && !props.isChildCard();
  };
  async function save() {
    setMessage(null);
    const thresholdOre = parseKroner(threshold());
    if (thresholdOre === null) return setMessage({ ok: false, text: localise("Beløbet skal være i hele kroner / The amount must be whole kroner") });
    props.setBusy(true);
    try {
      await trpc.lowBalance.set.mutate({ accountId: props.accountId()!, thresholdOre, email: email().trim() });
      await refetch();
      setMessage({ ok: true, text: t().lowBalanceSaved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setMessage({ ok: false, text: localise(problem(caught)) });
    } finally {
      props.setBusy(false);
    }
  }
  async function remove() {
    setMessage(null);
    try {
      await trpc.lowBalance.remove.mutate({ accountId: props.accountId()! });
      await refetch();
      setMessage({ ok: true, text: t().lowBalanceRemoved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setMessage({ ok: false, text: localise(problem(caught)) });
    }
  }
  return (
    <form novalidate onSubmit={(event) => { event.preventDefault(); void save(); }}>
      <fieldset>
        <legend>{t().lowBalanceTitle}</legend>
        <Show when={alert() && !alert()!.payerIsViewer}>
          <p>{t().lowBalanceChosenBy(alert()!.payerName ?? "", formatOre(alert()!.thresholdOre))}</p>
        </Show>
        <AmountField id="payer-threshold" label={t().lowBalanceThreshold} value={threshold()} onInput={setThreshold} readOnly={readOnly() || alert.loading} />
        <Show when={!readOnly()}>
          <label for="payer-alert-email">{t().lowBalanceEmail}</label>
          <input id="payer-alert-email" type="email" autocomplete="email" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
        </Show>
        <small>{t().lowBalanceHint}</small>
      </fieldset>
      <Show when={!readOnly()}>
        <div class="actions">
          <button type="submit" disabled={props.busy() || alert.loading}>{t().lowBalanceSave}</button>
          <Show when={alert()}><button type="button" class="secondary" onClick={remove}>{t().lowBalanceRemove}</button></Show>
        </div>
      </Show>
      <MessageLine message={message()} />
    </form>
  );
}
