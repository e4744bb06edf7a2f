// Overfør: move money between two accounts the user may act on — own and, as guardian, children's (idempotent; never below zero).
import { createSignal, For, onMount, Show } from "solid-js";
import { t } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatOre } from "../format.ts";
import { accountLabel } from "./Accounts.tsx";

export function TransferPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [from, setFrom] = createSignal<number | null>(null);
  const [to, setTo] = createSignal<number | null>(null);
  const [amount, setAmount] = createSignal("");
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  // What the selects show is exactly what is sent: both read these, and the default "to" is never the "from" account.
  const fromId = () => from() ?? session.accounts[0]?.accountId ?? null;
  const toId = () => to() ?? session.accounts.find((account) => account.accountId !== fromId())?.accountId ?? null;
  // One key per request: a retry of the same request after a network error reuses it (no double transfer); a changed
  // request or one after a decline gets a new key, since the server keeps a decline under its key.
  let attempt: { key: string; request: string } | null = null;
  const keyFor = (request: string) => {
    if (!attempt || attempt.request !== request) attempt = { key: crypto.randomUUID(), request };
    return attempt.key;
  };

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const fromAccountId = fromId();
    const toAccountId = toId();
    const text = amount().trim().replace(",", ".");
    if (!fromAccountId || !toAccountId || !/^\d+(\.\d{1,2})?$/.test(text)) return setMessage({ ok: false, text: t().error });
    if (fromAccountId === toAccountId) return setMessage({ ok: false, text: t().transferSameAccount });
    const amountOre = Math.round(Number(text) * 100);
    setBusy(true);
    try {
      const idempotencyKey = keyFor(JSON.stringify([fromAccountId, toAccountId, amountOre]));
      const result = await trpc.transfers.create.mutate({ fromAccountId, toAccountId, amountOre, idempotencyKey });
      attempt = null;
      if (result.ok) {
        setMessage({ ok: true, text: t().transferDone });
        setAmount("");
        await session.loadAccounts();
      } else setMessage({ ok: false, text: result.reason === "insufficient_funds" ? t().insufficientFunds : result.reason === "same_account" ? t().transferSameAccount : t().error });
    } catch {
      setMessage({ ok: false, text: t().error });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>{t().transfer}</h1>
      <Show when={session.accounts.length >= 2} fallback={<p class="notice">{t().transferNeedsTwo}</p>}>
        <form class="card-panel" novalidate onSubmit={submit}>
          <label for="transfer-from">{t().transferFrom}</label>
          <select id="transfer-from" onChange={(event) => setFrom(Number(event.currentTarget.value))}>
            <For each={session.accounts}>
              {(account) => (
                <option value={account.accountId} selected={account.accountId === fromId()}>
                  {accountLabel(account)} - {account.cardNumber} ({formatOre(account.balanceOre)})
                </option>
              )}
            </For>
          </select>
          <label for="transfer-to">{t().transferTo}</label>
          <select id="transfer-to" onChange={(event) => setTo(Number(event.currentTarget.value))}>
            <For each={session.accounts}>
              {(account) => (
                <option value={account.accountId} selected={account.accountId === toId()}>
                  {accountLabel(account)} - {account.cardNumber}
                </option>
              )}
            </For>
          </select>
          <label for="transfer-amount">{t().amount}</label>
          <input id="transfer-amount" inputmode="decimal" value={amount()} onInput={(event) => setAmount(event.currentTarget.value)} />
          <button type="submit" disabled={busy()}>{t().transfer}</button>
        </form>
      </Show>
      <Show when={message()}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>
    </section>
  );
}
