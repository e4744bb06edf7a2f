// Overfør: move money between two accounts the user may act on — own and, as guardian, children's (idempotent; never below zero).
// As with Udbetal, "Næste" first shows what will happen (from, to, amount) and only the confirmation moves the money.
import { createSignal, onMount, Show } from "solid-js";
import { t } from "../i18n.ts";
import { ConfirmMoneyMove } from "../confirm.tsx";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatOre, parseKroner } from "../format.ts";
import { AccountSelect, accountLabel, useChosenAccount } from "../accounts.tsx";
import { createIdempotencyKeys } from "../idempotency.ts";

export function TransferPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  // "From" starts on the card whose Overfør button was pressed on Konti.
  const from = useChosenAccount();
  const [to, setTo] = createSignal<number | null>(null);
  const [amount, setAmount] = createSignal("");
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [confirming, setConfirming] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  // What the selects show is exactly what is sent: both read these, and the default "to" is never the "from" account.
  const fromAccount = () => from.account();
  const toAccount = () => session.accounts.find((account) => account.accountId === to()) ?? session.accounts.find((account) => account.accountId !== from.accountId());
  const amountOre = () => parseKroner(amount());
  const keys = createIdempotencyKeys();

  function next(event: SubmitEvent) {
    event.preventDefault();
    setMessage(null);
    if (!fromAccount() || !toAccount() || (amountOre() ?? 0) < 1) return setMessage({ ok: false, text: t().error });
    if (fromAccount()!.accountId === toAccount()!.accountId) return setMessage({ ok: false, text: t().transferSameAccount });
    setConfirming(true);
  }

  async function confirm() {
    const fromAccountId = fromAccount()!.accountId;
    const toAccountId = toAccount()!.accountId;
    const amountOreValue = amountOre()!;
    setBusy(true);
    try {
      const idempotencyKey = keys.keyFor([fromAccountId, toAccountId, amountOreValue]);
      const result = await trpc.transfers.create.mutate({ fromAccountId, toAccountId, amountOre: amountOreValue, idempotencyKey });
      keys.settle();
      if (result.ok) {
        setMessage({ ok: true, text: t().transferDone });
        setAmount("");
        await session.loadAccounts();
      } else setMessage({ ok: false, text: result.reason === "insufficient_funds" ? t().insufficientFunds : result.reason === "same_account" ? t().transferSameAccount : t().error });
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setMessage({ ok: false, text: t().error });
    } finally {
      setConfirming(false);
      setBusy(false);
    }
  }

  // Any change to the request takes the confirmation away: what was confirmed is what is sent.
  const edit = (change: () => void) => {
    change();
    setConfirming(false);
  };

  return (
    <section>
      <h1>{t().transfer}</h1>
      <Show when={session.accounts.length >= 2} fallback={<p class="notice">{t().transferNeedsTwo}</p>}>
        <form class="card-panel" novalidate onSubmit={next}>
          <AccountSelect id="transfer-from" label={t().transferFrom} value={from.accountId()} onChange={(id) => edit(() => from.setAccountId(id))} withBalance />
          <AccountSelect id="transfer-to" label={t().transferTo} value={toAccount()?.accountId ?? null} onChange={(id) => edit(() => setTo(id))} />
          <label for="transfer-amount">{t().amount}</label>
          <input id="transfer-amount" inputmode="decimal" value={amount()} onInput={(event) => edit(() => setAmount(event.currentTarget.value))} />
          <Show when={!confirming()}>
            <button type="submit">{t().next}</button>
          </Show>
          <Show when={confirming()}>
            <ConfirmMoneyMove
              label={t().transfer}
              text={t().transferConfirm(formatOre(amountOre() ?? 0), accountLabel(fromAccount()!), accountLabel(toAccount()!))}
              confirmLabel={t().transfer}
              busy={busy()}
              onBack={() => setConfirming(false)}
              onConfirm={confirm}
            />
          </Show>
        </form>
      </Show>
      <Show when={message()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
    </section>
  );
}
