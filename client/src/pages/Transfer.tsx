// Overfør: move money between two accounts the user holds (idempotent; never below zero).
import { createSignal, For, onMount, Show } from "solid-js";
import { t } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatOre } from "../format.ts";

export function TransferPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [from, setFrom] = createSignal<number | null>(null);
  const [to, setTo] = createSignal<number | null>(null);
  const [amount, setAmount] = createSignal("");
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  let idempotencyKey = crypto.randomUUID();

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const fromId = from() ?? session.accounts[0]?.accountId;
    const toId = to() ?? session.accounts[1]?.accountId;
    const text = amount().trim().replace(",", ".");
    if (!fromId || !toId || !/^\d+(\.\d{1,2})?$/.test(text)) return setMessage({ ok: false, text: t().error });
    const result = await trpc.transfers.create.mutate({ fromAccountId: fromId, toAccountId: toId, amountOre: Math.round(Number(text) * 100), idempotencyKey });
    if (result.ok) {
      idempotencyKey = crypto.randomUUID();
      setMessage({ ok: true, text: t().transferDone });
      await session.loadAccounts();
    } else setMessage({ ok: false, text: result.reason === "insufficient_funds" ? t().insufficientFunds : t().error });
  }

  return (
    <section>
      <h1>{t().transfer}</h1>
      <Show when={session.accounts.length >= 2} fallback={<p class="notice">{t().transferNeedsTwo}</p>}>
        <form class="card-panel" novalidate onSubmit={submit}>
          <label for="transfer-from">{t().transferFrom}</label>
          <select id="transfer-from" onChange={(event) => setFrom(Number(event.currentTarget.value))}>
            <For each={session.accounts}>{(account) => <option value={account.accountId}>{account.name} - {account.cardNumber} ({formatOre(account.balanceOre)})</option>}</For>
          </select>
          <label for="transfer-to">{t().transferTo}</label>
          <select id="transfer-to" onChange={(event) => setTo(Number(event.currentTarget.value))}>
            <For each={[...session.accounts].reverse()}>{(account) => <option value={account.accountId}>{account.name} - {account.cardNumber}</option>}</For>
          </select>
          <label for="transfer-amount">{t().amount}</label>
          <input id="transfer-amount" inputmode="decimal" value={amount()} onInput={(event) => setAmount(event.currentTarget.value)} />
          <button type="submit">{t().transfer}</button>
        </form>
      </Show>
      <Show when={message()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
    </section>
  );
}
