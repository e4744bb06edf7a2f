// Indbetal: deposit by card through the hosted payment page, its result, and the Auto-optank agreement (two tabs as in the guide).
import { A, useLocation, useSearchParams } from "@solidjs/router";
import { createEffect, createResource, createSignal, For, onCleanup, onMount, Show, type JSX } from "solid-js";
import { localise, sentence, t } from "../i18n.ts";
import { session, type Account } from "../session.ts";
import { errorCode, fieldIssues, trpc } from "../trpc.ts";
import { formatOre, kronerFieldText, kronerFieldToOre, parseKroner } from "../format.ts";
import { AccountSelect, accountLabel, useChosenAccount, withCardNumber } from "../accounts.tsx";
import { createIdempotencyKeys } from "../idempotency.ts";
import { confirmDialog } from "../components/ConfirmDialog.tsx";
import { DEPOSIT_ORE_MAX, DEPOSIT_ORE_MIN, depositAmountOreSchema } from "../../../common/payments.ts";

/**
 * The three tabs; exactly one is selected. Plain links (the router still navigates without a reload): the router's <A>
 * marks "/indbetal" active under every "/indbetal/…" too, which showed two selected tabs at once.
 */
function Tabs() {
  const location = useLocation();
  const tabs = [
    { href: "/indbetal", paths: ["/indbetal", "/indbetal/resultat"], label: () => t().depositTitle },
    { href: "/indbetal/auto-optank", paths: ["/indbetal/auto-optank"], label: () => t().autoTopUp },
    { href: "/indbetal/graenser", paths: ["/indbetal/graenser"], label: () => t().payerTab },
  ];
  return (
    <nav class="tabs" aria-label={t().deposit}>
      <For each={tabs}>
        {(tab) => {
          const selected = () => tab.paths.includes(location.pathname.replace(/\/+$/, ""));
          return (
            <a href={tab.href} class={selected() ? "tab active" : "tab"} aria-current={selected() ? "page" : undefined}>
              {tab.label()}
            </a>
          );
        }}
      </For>
    </nav>
  );
}

/** Shared fields of both forms: account (preselected), receipt e-mail (prefilled), amount in whole kroner, terms. */
function PaymentFields(props: {
  accountId: () => number | null;
  setAccountId: (id: number) => void;
  account: () => Account | undefined;
  email: () => string;
  setEmail: (value: string) => void;
  amount: () => string;
  setAmount: (value: string) => void;
  accepted: () => boolean;
  setAccepted: (value: boolean) => void;
  errors: () => Record<string, string>;
  amountLabel: string;
  showTerms?: boolean;
  /** Limit the choice to the user's own accounts. */
  ownOnly?: boolean;
}): JSX.Element {
  const error = (key: string) => <Show when={props.errors()[key]}><p role="alert" class="error">{localise(props.errors()[key]!)}</p></Show>;
  return (
    <>
      {/* The guide's "Konto for indbetaling" reads "Navn - Madkort - kortnummer"; a child's card names the child. */}
      <AccountSelect
        id="payment-account"
        label={t().depositAccount}
        value={props.accountId()}
        onChange={props.setAccountId}
        accounts={props.ownOnly ? session.accounts.filter((candidate) => !candidate.holder) : session.accounts}
        format={(candidate) => withCardNumber(candidate.holder ? accountLabel(candidate) : `${session.me()?.name ?? ""} - ${candidate.name}`, candidate)}
      />
      <Show when={props.account()}>{(shown) => <p>{t().balance}: <strong>{formatOre(shown().balanceOre)}</strong></p>}</Show>
      <label for="payment-email">{t().receiptEmail}</label>
      <input id="payment-email" type="email" autocomplete="email" value={props.email()} onInput={(event) => props.setEmail(event.currentTarget.value)} />
      {error("receiptEmail")}
      <label for="payment-amount">{props.amountLabel}</label>
      <input id="payment-amount" inputmode="numeric" aria-describedby="payment-amount-limits" value={props.amount()} onInput={(event) => props.setAmount(event.currentTarget.value)} />
      <p id="payment-amount-limits" class="hint">{t().depositLimits(formatOre(DEPOSIT_ORE_MIN), formatOre(DEPOSIT_ORE_MAX))}</p>
      {error("amountOre")}
      <p class="hint">{t().cardsAccepted}</p>
      <Show when={props.showTerms !== false}>
        <label class="checkbox">
          <input type="checkbox" checked={props.accepted()} onChange={(event) => props.setAccepted(event.currentTarget.checked)} />
          {t().acceptTerms}
        </label>
        {error("acceptedTerms")}
      </Show>
    </>
  );
}

/** The form of Indbetal and Auto-optank; both work on a child's card too (a guardian pays with their own card). */
function usePaymentForm(ownOnly = false) {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  // Starts on the card whose Indbetal button was pressed on Konti (a guardian's child card), else the first.
  const chosen = useChosenAccount(() => (ownOnly ? session.accounts.filter((candidate) => !candidate.holder) : session.accounts));
  const accountId = chosen.accountId;
  const setAccountId = chosen.setAccountId;
  const [email, setEmail] = createSignal(session.me()?.email ?? "");
  const [amount, setAmount] = createSignal("");
  const [accepted, setAccepted] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  /** The error shown under the form: the server's own words for "too many payments in progress", else a general one. */
  const [failed, setFailed] = createSignal<string | null>(null);
  // One key per request: a double-clicked "Næste" starts one payment, and an edited form after an error a new one.
  const keys = createIdempotencyKeys();
  /** The typed amount in øre (the one kroner parser), or null for text that is not an amount. */
  const amountOre = () => parseKroner(amount());
  async function submit(start: (input: { accountId: number; amountOre: number; receiptEmail: string; acceptedTerms: true; idempotencyKey: string }) => Promise<{ redirectUrl: string }>) {
    setErrors({});
    setFailed(null);
    const clientErrors: Record<string, string> = {};
    const typedOre = amountOre();
    const amountIssue = typedOre === null ? undefined : depositAmountOreSchema.safeParse(typedOre).error?.issues[0]?.message;
    if (typedOre === null) clientErrors.amountOre = "Beløbet skal være i hele kroner / The amount must be whole kroner";
    else if (amountIssue) clientErrors.amountOre = amountIssue;
    if (!accepted()) clientErrors.acceptedTerms = "Betalingsbetingelserne skal accepteres / The payment terms must be accepted";
    if (Object.keys(clientErrors).length > 0) return setErrors(clientErrors);
    setBusy(true);
    try {
      const request = { accountId: accountId()!, amountOre: typedOre!, receiptEmail: email().trim(), acceptedTerms: true as const };
      const { redirectUrl } = await start({ ...request, idempotencyKey: keys.keyFor(request) });
      window.location.assign(redirectUrl);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      const issues = fieldIssues(caught);
      setErrors(issues);
      if (Object.keys(issues).length === 0) setFailed(errorCode(caught) === "TOO_MANY_REQUESTS" && caught instanceof Error ? localise(caught.message) : t().error);
      setBusy(false);
    }
  }
  return { accountId, setAccountId, account: chosen.account, email, setEmail, amount, setAmount, accepted, setAccepted, errors, busy, failed, submit, amountOre };
}

export function DepositPage() {
  const form = usePaymentForm();
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <form class="card-panel" novalidate onSubmit={(event) => { event.preventDefault(); void form.submit((input) => trpc.payments.startDeposit.mutate(input)); }}>
        <p>{t().depositIntro}</p>
        <PaymentFields {...form} amountLabel={t().depositAmount} />
        <Show when={form.failed()}><p role="alert" class="error">{form.failed()}</p></Show>
        <button type="submit" disabled={form.busy()}>{form.busy() ? t().redirecting : t().next}</button>
      </form>
    </section>
  );
}

export function DepositResultPage() {
  const [params] = useSearchParams();
  const paymentId = String(params.paymentId ?? "");
  const [payment, { refetch }] = createResource(async () => (paymentId ? await trpc.payments.get.query({ paymentId }) : null));
  // The acquirer's callback decides, not the browser's return: ask until the payment is final.
  const timer = setInterval(() => {
    if (payment()?.status === "pending" || payment.loading) void refetch();
  }, 500);
  onCleanup(() => clearInterval(timer));
  createEffect(() => {
    if (payment() && payment()!.status !== "pending") {
      clearInterval(timer);
      void session.loadAccounts();
    }
  });
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel" aria-live="polite">
        <Show when={payment()} fallback={<p role="status">{payment.error ? t().error : t().paymentPending}</p>}>
          {(shown) => (
            <Show when={shown().status !== "pending"} fallback={<p role="status">{t().paymentPending}</p>}>
              <p role={shown().status === "captured" ? "status" : "alert"} class={shown().status === "captured" ? "success" : "error"}>
                {shown().status === "captured"
                  ? t().paymentCaptured(formatOre(shown().amountOre))
                  : shown().reason === "cancelled"
                    ? t().paymentCancelled
                    : shown().status === "declined"
                      ? t().paymentDeclined
                      : shown().reason === "timeout" || shown().reason === "interrupted"
                        ? t().paymentUnknown
                        : t().paymentFailed}
              </p>
              {/* The balance as it is now (read after the payment settled, then kept live by the stream). */}
              <Show when={shown().status === "captured" ? session.accounts.find((account) => account.accountId === shown().accountId) : undefined}>
                {(account) => (
                  <p class="new-balance" data-testid="new-balance">
                    <strong>{sentence(t().newBalance(formatOre(account().balanceOre)))}</strong>
                    <Show when={account().holder}> <span>({accountLabel(account())})</span></Show>
                  </p>
                )}
              </Show>
            </Show>
          )}
        </Show>
        <A href="/konti">{t().accounts}</A>
      </div>
    </section>
  );
}

export function AutoTopUpPage() {
  const form = usePaymentForm();
  const [params] = useSearchParams();
  const [agreement, { refetch }] = createResource(form.accountId, (accountId) => trpc.autoTopUp.get.query({ accountId }));
  const [notice, setNotice] = createSignal<string | null>(null);
  createEffect(() => {
    const current = agreement();
    if (current && current.payerIsViewer && form.amount() === "") {
      form.setAmount(kronerFieldText(current.amountOre));
      form.setEmail(current.receiptEmail);
    }
  });
  // Returning from the hosted page: the agreement becomes active when the callback arrives.
  const timer = setInterval(() => {
    if (params.paymentId && agreement()?.status === "awaiting_card") void refetch();
  }, 500);
  onCleanup(() => clearInterval(timer));
  const hasCard = () => agreement()?.status === "active" || agreement()?.status === "paused";
  /** Someone else (a guardian) pays for this card's agreement: the holder sees it and cannot change it. */
  const paidByOther = () => {
    const current = agreement();
    return current !== null && current !== undefined && !current.payerIsViewer && current.status !== "cancelled";
  };

  async function update() {
    try {
      await trpc.autoTopUp.update.mutate({ accountId: form.accountId()!, amountOre: form.amountOre() ?? Number.NaN, receiptEmail: form.email().trim() });
      await refetch();
      setNotice(t().saved);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setNotice(t().error);
    }
  }
  async function cancel() {
    if (!(await confirmDialog({ title: t().cancelAgreement, message: t().cancelAgreementConfirm, confirmLabel: t().cancelAgreement, danger: true }))) return;
    try {
      await trpc.autoTopUp.cancel.mutate({ accountId: form.accountId()! });
      setNotice(t().agreementCancelled);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setNotice(t().error);
    }
    await refetch();
  }

  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel">
        <p>{t().autoTopUpIntro}</p>
        <p class="notice">{t().autoTopUpNote}</p>
        <Show when={agreement()}>
          {(current) => (
            <div role="status" class="agreement" aria-live="polite">
              <Show when={current().status === "active"}>
                <p class="success">{t().agreementActive(formatOre(current().amountOre), `•••• ${current().cardLast4 ?? ""}`)}</p>
                <Show when={!current().inEffect}><p>{t().agreementNotInEffect(formatOre(current().depositedOre))}</p></Show>
              </Show>
              <Show when={current().status === "paused"}><p class="error">{t().agreementPaused}</p></Show>
              <Show when={current().status === "awaiting_card"}><p>{t().agreementAwaitingCard}</p></Show>
              <Show when={current().status === "cancelled"}><p>{t().agreementCancelled}</p></Show>
              <Show when={!current().payerIsViewer}><p>{t().agreementPaidBy(current().payerName ?? "")}</p></Show>
            </div>
          )}
        </Show>
        <Show when={paidByOther()}>
          <AccountSelect id="payment-account" label={t().depositAccount} value={form.accountId()} onChange={form.setAccountId} />
        </Show>
        <Show when={!paidByOther()}>
        <form novalidate onSubmit={(event) => { event.preventDefault(); void form.submit((input) => trpc.autoTopUp.setUp.mutate(input)); }}>
          <PaymentFields {...form} amountLabel={t().autoTopUpAmount} showTerms={!hasCard()} />
          <Show when={form.failed()}><p role="alert" class="error">{form.failed()}</p></Show>
          <div class="actions">
            <Show when={!hasCard()}>
              <button type="submit" disabled={form.busy()}>{form.busy() ? t().redirecting : t().next}</button>
            </Show>
            <Show when={hasCard()}>
              <button type="button" onClick={update}>{t().updateAgreement}</button>
              <button type="button" class="danger" onClick={cancel}>{t().cancelAgreement}</button>
            </Show>
          </div>
        </form>
        </Show>
        <Show when={notice()}><p role="status">{notice()}</p></Show>
      </div>
    </section>
  );
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
