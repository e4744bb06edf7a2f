// Udbetalinger: payout requests, the bank CSV, and marking them paid or rejected (administrators).
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { Result, type Outcome, failureText, attempt, ListState, rowsOf } from "./shared.tsx";

export function Payouts() {
  const [payouts, { refetch }] = createResource(() => trpc.backoffice.payouts.query({ status: "all" }));
  const [result, setResult] = createSignal<Outcome>(null);
  async function decide(payout: { payoutId: number; cardholder: string | null; name: string; amountOre: number }, status: "paid" | "rejected") {
    const who = payout.cardholder ?? payout.name;
    const amount = formatOre(payout.amountOre);
    if (status === "rejected") {
      // The prompt names the payout and what happens, so answering it is the confirmation; cancelling changes nothing.
      const reason = window.prompt(a().rejectPrompt(who, amount));
      if (!reason) return;
      await attempt(setResult, () => trpc.backoffice.decidePayout.mutate({ payoutId: payout.payoutId, status, reason }), a().decided);
    } else {
      if (!window.confirm(a().markPaidConfirm(who, amount))) return;
      await attempt(setResult, () => trpc.backoffice.decidePayout.mutate({ payoutId: payout.payoutId, status }), a().decided);
    }
    void refetch();
  }
  async function exportCsv() {
    try {
      const csv = await trpc.backoffice.payoutsCsv.query();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      link.download = "udbetalinger.csv";
      link.click();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    }
  }
  return (
    <section>
      <h2>{a().payouts}</h2>
      <button type="button" class="secondary" onClick={exportCsv}>{a().exportCsv}</button>
      <Result value={result()} />
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">{a().cardholder}</th><th scope="col">{a().account}</th><th scope="col" class="number">{a().amount}</th><th scope="col">{a().status}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={rowsOf(payouts)}>
              {(payout) => (
                <tr>
                  <td>{payout.cardholder ?? payout.name}</td>
                  <td>{payout.registrationNumber} {payout.bankAccountNumber}</td>
                  <td class="number">{formatOre(payout.amountOre)}</td>
                  <td>{a().payoutStatus[payout.status]}</td>
                  <td class="actions">
                    <Show when={payout.status === "pending"}>
                      <button type="button" onClick={() => decide(payout, "paid")} aria-label={a().markPaidLabel(payout.payoutId)}>{a().markPaid}</button>
                      <button type="button" class="danger" onClick={() => decide(payout, "rejected")} aria-label={a().rejectLabel(payout.payoutId)}>{a().reject}</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <ListState of={payouts} empty={rowsOf(payouts).length === 0} emptyText={a().noPayouts} />
    </section>
  );
}
