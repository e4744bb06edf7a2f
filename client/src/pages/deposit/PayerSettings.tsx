// Indbetal → Maks. forbrug og påmindelse: a card's spending limits and low-balance alert, set by whoever pays for it.
import { createEffect, createResource, createSignal, onMount, Show } from "solid-js";
import { localise, t } from "../../i18n.ts";
import { session } from "../../session.ts";
import { fieldIssues, trpc } from "../../trpc.ts";
import { formatOre, kronerFieldText, kronerFieldToOre, parseKroner } from "../../format.ts";
import { AccountSelect, useChosenAccount } from "../../accounts.tsx";
import { Tabs } from "./payment-form.tsx";

/**
 * Maks. forbrug and the low-balance alert of one card, set by whoever pays for it: the holder, or a guardian for a
 * child's card. A child whose guardian decides sees both read-only.
 */
export function PayerSettingsPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const chosen = useChosenAccount();
  const [limits, { refetch: refetchLimits }] = createResource(chosen.accountId, (accountId) => trpc.limits.get.query({ accountId }));
  const [alert, { refetch: refetchAlert }] = createResource(chosen.accountId, (accountId) => trpc.lowBalance.get.query({ accountId }));
  const [daily, setDaily] = createSignal("");
  const [weekly, setWeekly] = createSignal("");
  const [monthly, setMonthly] = createSignal("");
  const [threshold, setThreshold] = createSignal("");
  const [email, setEmail] = createSignal(session.me()?.email ?? "");
  const [limitsMessage, setLimitsMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [alertMessage, setAlertMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  createEffect(() => {
    const current = limits();
    if (!current) return;
    setDaily(kronerFieldText(current.dailyOre));
    setWeekly(kronerFieldText(current.weeklyOre));
    setMonthly(kronerFieldText(current.monthlyOre));
  });
  createEffect(() => {
    const current = alert();
    setThreshold(current ? kronerFieldText(current.thresholdOre) : "");
    if (current?.payerIsViewer) setEmail(current.email);
  });
  const alertReadOnly = () => {
    const current = alert();
    return current !== null && current !== undefined && !current.payerIsViewer && !chosen.account()?.holder;
  };
  const problem = (caught: unknown) => (fieldIssues(caught) && Object.values(fieldIssues(caught))[0]) || (caught instanceof Error ? caught.message : t().error);

  async function saveLimits() {
    setLimitsMessage(null);
    const values = { dailyOre: kronerFieldToOre(daily()), weeklyOre: kronerFieldToOre(weekly()), monthlyOre: kronerFieldToOre(monthly()) };
    if (Object.values(values).some((value) => Number.isNaN(value))) return setLimitsMessage({ ok: false, text: t().maxSpendingHelp });
    setBusy(true);
    try {
      await trpc.limits.set.mutate({ accountId: chosen.accountId()!, limits: values });
      await refetchLimits();
      setLimitsMessage({ ok: true, text: t().limitsSaved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setLimitsMessage({ ok: false, text: localise(problem(caught)) });
    } finally {
      setBusy(false);
    }
  }
  async function saveAlert() {
    setAlertMessage(null);
    const thresholdOre = parseKroner(threshold());
    if (thresholdOre === null) return setAlertMessage({ ok: false, text: localise("Beløbet skal være i hele kroner / The amount must be whole kroner") });
    setBusy(true);
    try {
      await trpc.lowBalance.set.mutate({ accountId: chosen.accountId()!, thresholdOre, email: email().trim() });
      await refetchAlert();
      setAlertMessage({ ok: true, text: t().lowBalanceSaved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setAlertMessage({ ok: false, text: localise(problem(caught)) });
    } finally {
      setBusy(false);
    }
  }
  async function removeAlert() {
    setAlertMessage(null);
    try {
      await trpc.lowBalance.remove.mutate({ accountId: chosen.accountId()! });
      await refetchAlert();
      setAlertMessage({ ok: true, text: t().lowBalanceRemoved });
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setAlertMessage({ ok: false, text: localise(problem(caught)) });
    }
  }
  const field = (id: string, label: string, value: () => string, set: (value: string) => void, readOnly: () => boolean) => (
    <>
      <label for={id}>{label}</label>
      <input id={id} inputmode="numeric" value={value()} readOnly={readOnly()} aria-readonly={readOnly()} onInput={(event) => set(event.currentTarget.value)} />
    </>
  );
  const limitsReadOnly = () => limits()?.editable === false;
  // While the chosen account's values load, nothing can be typed: a late answer would overwrite what was typed, and
  // Gem would save the old values on the new account.
  const limitsLocked = () => limitsReadOnly() || limits.loading;
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel">
        <p>{t().payerIntro}</p>
        <AccountSelect id="payer-account" label={t().depositAccount} value={chosen.accountId()} onChange={chosen.setAccountId} />
        <form novalidate onSubmit={(event) => { event.preventDefault(); void saveLimits(); }}>
          <fieldset>
            <legend>{t().maxSpending}</legend>
            <small>{t().maxSpendingHelp}</small>
            {field("payer-daily", t().daily, daily, setDaily, limitsLocked)}
            {field("payer-weekly", t().weekly, weekly, setWeekly, limitsLocked)}
            {field("payer-monthly", t().monthly, monthly, setMonthly, limitsLocked)}
          </fieldset>
          <Show when={limitsReadOnly()} fallback={<button type="submit" disabled={busy() || limits.loading}>{t().saveLimits}</button>}>
            <p class="notice">{t().limitsReadOnly}</p>
          </Show>
          <Show when={limitsMessage()}>{(message) => <p role={message().ok ? "status" : "alert"} class={message().ok ? "success" : "error"}>{message().text}</p>}</Show>
        </form>
        <form novalidate onSubmit={(event) => { event.preventDefault(); void saveAlert(); }}>
          <fieldset>
            <legend>{t().lowBalanceTitle}</legend>
            <Show when={alert() && !alert()!.payerIsViewer}>
              <p>{t().lowBalanceChosenBy(alert()!.payerName ?? "", formatOre(alert()!.thresholdOre))}</p>
            </Show>
            {field("payer-threshold", t().lowBalanceThreshold, threshold, setThreshold, () => alertReadOnly() || alert.loading)}
            <Show when={!alertReadOnly()}>
              <label for="payer-alert-email">{t().lowBalanceEmail}</label>
              <input id="payer-alert-email" type="email" autocomplete="email" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
            </Show>
            <small>{t().lowBalanceHint}</small>
          </fieldset>
          <Show when={!alertReadOnly()}>
            <div class="actions">
              <button type="submit" disabled={busy() || alert.loading}>{t().lowBalanceSave}</button>
              <Show when={alert()}><button type="button" class="secondary" onClick={removeAlert}>{t().lowBalanceRemove}</button></Show>
            </div>
          </Show>
          <Show when={alertMessage()}>{(message) => <p role={message().ok ? "status" : "alert"} class={message().ok ? "success" : "error"}>{message().text}</p>}</Show>
        </form>
      </div>
    </section>
  );
}
