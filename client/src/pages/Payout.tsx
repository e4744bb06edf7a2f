// Udbetal: the bank-transfer form (Navn, Registreringsnummer, Kontonummer, Besked, Beløb) → Næste → confirm → request status.
import { createResource, createSignal, For, onMount, Show } from "solid-js";
import { localise, t } from "../i18n.ts";
import { ConfirmMoneyMove } from "../confirm.tsx";
import { session } from "../session.ts";
import { fieldIssues, trpc } from "../trpc.ts";
import { formatDateTime, formatOre, parseKroner } from "../format.ts";
import { AccountSelect, accountLabel, useChosenAccount } from "../accounts.tsx";
import { createIdempotencyKeys } from "../idempotency.ts";

export function PayoutPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [payouts, { refetch }] = createResource(() => trpc.payouts.list.query());
  const [values, setValues] = createSignal({ name: session.me()?.name ?? "", registrationNumber: "", bankAccountNumber: "", message: "", amount: "" });
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [confirming, setConfirming] = createSignal(false);
  const [result, setResult] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  const keys = createIdempotencyKeys();
  // Any edit takes the confirmation away: what was confirmed is what is sent.
  const set = (key: string, value: string) => {
    setValues({ ...values(), [key]: value });
    setConfirming(false);
  };
  // The account paid out from: the card whose Udbetal button was pressed on Konti, else the user's own first.
  const chosen = useChosenAccount();
  const account = () => chosen.account();
  function chooseAccount(id: number) {
    chosen.setAccountId(id);
    setConfirming(false);
  }
  const amountOre = () => parseKroner(values().amount);

  function next(event: SubmitEvent) {
    event.preventDefault();
    const clientErrors: Record<string, string> = {};
    if (!values().name.trim()) clientErrors.name = t().required;
    if (!/^\d{4}$/.test(values().registrationNumber)) clientErrors.registrationNumber = "Registreringsnummer er 4 cifre / Registration number is 4 digits";
    if (!/^\d{1,10}$/.test(values().bankAccountNumber)) clientErrors.bankAccountNumber = "Kontonummer er op til 10 cifre / Account number is up to 10 digits";
    const typedOre = amountOre();
    if (typedOre === null || typedOre < 1) clientErrors.amountOre = "Angiv et beløb i kroner / Enter an amount in kroner";
    else if (account() && typedOre > account()!.balanceOre) clientErrors.amountOre = `${t().insufficientFunds} / ${t().insufficientFunds}`;
    setErrors(clientErrors);
    setResult(null);
    if (Object.keys(clientErrors).length === 0) setConfirming(true);
  }

  async function confirm() {
    const request = {
      accountId: account()!.accountId,
      name: values().name.trim(),
      registrationNumber: values().registrationNumber,
      bankAccountNumber: values().bankAccountNumber,
      message: values().message.trim() || undefined,
      amountOre: amountOre()!,
    };
    setBusy(true);
    try {
      const response = await trpc.payouts.request.mutate({ ...request, idempotencyKey: keys.keyFor(request) });
      keys.settle();
      if (response.ok) {
        setResult({ ok: true, text: t().payoutRequested });
        setValues({ ...values(), amount: "", message: "" });
        await Promise.all([refetch(), session.loadAccounts()]);
      } else setResult({ ok: false, text: t().insufficientFunds });
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setErrors(fieldIssues(caught));
      setResult({ ok: false, text: t().error });
    } finally {
      setConfirming(false);
      setBusy(false);
    }
  }

  const field = (key: string, label: string, inputmode?: "numeric" | "decimal") => (
    <>
      <label for={`payout-${key}`}>{label}</label>
      <input id={`payout-${key}`} inputmode={inputmode} value={(values() as Record<string, string>)[key]} onInput={(event) => set(key, event.currentTarget.value)} />
      <Show when={errors()[key === "amount" ? "amountOre" : key]}><p role="alert" class="error">{localise(errors()[key === "amount" ? "amountOre" : key]!)}</p></Show>
    </>
  );

  return (
    <section>
      <h1>{t().payout}</h1>
      <form class="card-panel" novalidate onSubmit={next} aria-label={t().payoutTitle}>
        <h2>{t().payoutTitle}</h2>
        <Show when={session.accounts.length > 1}>
          <AccountSelect id="payout-account" label={t().account} value={account()?.accountId ?? null} onChange={chooseAccount} />
        </Show>
        <Show when={account()}>{(shown) => <p>{t().balance}: <strong>{formatOre(shown().balanceOre)}</strong></p>}</Show>
        {field("name", t().name)}
        {field("registrationNumber", t().registrationNumber, "numeric")}
        {field("bankAccountNumber", t().bankAccountNumber, "numeric")}
        {field("message", t().message)}
        {field("amount", t().amount, "decimal")}
        <Show when={!confirming()}>
          <button type="submit">{t().next}</button>
        </Show>
        <Show when={confirming()}>
          <ConfirmMoneyMove
            label={t().payout}
            text={t().payoutConfirm(formatOre(amountOre() ?? 0), values().registrationNumber, values().bankAccountNumber, accountLabel(account()!))}
            confirmLabel={t().payout}
            busy={busy()}
            onBack={() => setConfirming(false)}
            onConfirm={confirm}
          />
        </Show>
      </form>
      <Show when={result()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
      <h2>{t().payoutList}</h2>
      <Show when={payouts() && payouts()!.length > 0} fallback={<p>{t().noMovements}</p>}>
        <div class="table-scroll">
          <table>
            <thead><tr><th scope="col">{t().date}</th><th scope="col">{t().bankAccountNumber}</th><th scope="col" class="number">{t().amount}</th><th scope="col">{t().status}</th></tr></thead>
            <tbody>
              <For each={payouts()}>
                {(payout) => (
                  <tr>
                    <td>{formatDateTime(payout.createdAt)}</td>
                    <td>{payout.registrationNumber} {payout.bankAccountNumberMasked}</td>
                    <td class="number">{formatOre(payout.amountOre)}</td>
                    <td>{t().payoutStatus[payout.status] ?? payout.status}{payout.rejectReason ? ` – ${payout.rejectReason}` : ""}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </section>
  );
}
