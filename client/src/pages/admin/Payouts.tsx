// Udbetalinger: payout requests newest first with their request date and message, a filter for the pending ones, the bank
// CSV, and marking them paid or rejected (administrators).
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime, formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { ConfirmDialog } from "../../components/ConfirmDialog.tsx";
import { Result, type Outcome, failureText, ListState, rowsOf } from "./shared.tsx";

type Payout = Awaited<ReturnType<typeof trpc.backoffice.payouts.query>>[number];

export function Payouts() {
  const [filter, setFilter] = createSignal<"pending" | "all">("all");
  const [payouts, { refetch }] = createResource(filter, (status) => trpc.backoffice.payouts.query({ status }));
  // Newest first: the request that just came in is the one staff look for.
  const newestFirst = () => [...rowsOf(payouts)].sort((x, y) => y.createdAt - x.createdAt || y.payoutId - x.payoutId);
  const [result, setResult] = createSignal<Outcome>(null);
  // The decision asks in an in-app dialog: "paid" to confirm, "reject" with a required reason; busy while it is sent.
  const [deciding, setDeciding] = createSignal<{ payout: Payout; status: "paid" | "rejected" } | null>(null);
  const [reason, setReason] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [dialogError, setDialogError] = createSignal<string | null>(null);
  function ask(payout: Payout, status: "paid" | "rejected") {
    setReason("");
    setDialogError(null);
    setDeciding({ payout, status });
  }
  async function decide() {
    const open = deciding();
    if (!open || busy()) return;
    const why = reason().trim();
    if (open.status === "rejected" && !why) return setDialogError(a().rejectReasonRequired);
    setBusy(true);
    try {
      await trpc.backoffice.decidePayout.mutate(open.status === "rejected" ? { payoutId: open.payout.payoutId, status: "rejected", reason: why } : { payoutId: open.payout.payoutId, status: "paid" });
      setResult({ ok: true, text: a().decided });
      setDeciding(null);
    } catch (error) {
      setDialogError(failureText(error));
    } finally {
      setBusy(false);
      void refetch();
    }
  }
  const who = (payout: Payout) => payout.cardholder ?? payout.name;
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
      <div class="filters">
        <div>
          <label for="payout-filter">{a().show}</label>
          <select id="payout-filter" value={filter()} onChange={(event) => setFilter(event.currentTarget.value as "pending" | "all")}>
            <option value="all">{a().allPayouts}</option>
            <option value="pending">{a().pendingPayouts}</option>
          </select>
        </div>
        <button type="button" class="secondary" onClick={exportCsv}>{a().exportCsv}</button>
      </div>
      <Result value={result()} />
      <div class="table-scroll">
        <table class="compact">
          <thead><tr><th scope="col">{a().requested}</th><th scope="col">{a().cardholder}</th><th scope="col">{a().account}</th><th scope="col">{a().payoutMessage}</th><th scope="col" class="number">{a().amount}</th><th scope="col">{a().status}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={newestFirst()}>
              {(payout) => (
                <tr data-testid={`payout-${payout.payoutId}`}>
                  <td class="nowrap">{formatDateTime(payout.createdAt)}</td>
                  <td>{payout.cardholder ?? payout.name}</td>
                  <td class="nowrap">{payout.registrationNumber} {payout.bankAccountNumber}</td>
                  <td>{payout.message ?? ""}</td>
                  <td class="number">{formatOre(payout.amountOre)}</td>
                  <td>{a().payoutStatus[payout.status]}</td>
                  <td class="actions">
                    <Show when={payout.status === "pending"}>
                      <button type="button" onClick={() => ask(payout, "paid")} aria-label={a().markPaidLabel(payout.payoutId)}>{a().markPaid}</button>
                      <button type="button" class="danger" onClick={() => ask(payout, "rejected")} aria-label={a().rejectLabel(payout.payoutId)}>{a().reject}</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <ListState of={payouts} empty={rowsOf(payouts).length === 0} emptyText={a().noPayouts} />
      <Show when={deciding()}>
        {(open) => (
          <ConfirmDialog
            role={open().status === "rejected" ? "dialog" : "alertdialog"}
            form={open().status === "rejected"}
            title={open().status === "rejected" ? a().rejectTitle : a().markPaidTitle}
            message={open().status === "rejected" ? a().rejectPrompt(who(open().payout), formatOre(open().payout.amountOre)) : a().markPaidConfirm(who(open().payout), formatOre(open().payout.amountOre))}
            confirmLabel={open().status === "rejected" ? a().rejectTitle : a().markPaidTitle}
            danger={open().status === "rejected"}
            busy={busy()}
            error={dialogError()}
            onCancel={() => setDeciding(null)}
            onConfirm={() => void decide()}
          >
            <Show when={open().status === "rejected"}>
              <div class="dialog-fields">
                <label for="reject-reason">{a().rejectReason}</label>
                <input id="reject-reason" maxLength={500} value={reason()} onInput={(event) => setReason(event.currentTarget.value)} />
              </div>
            </Show>
          </ConfirmDialog>
        )}
      </Show>
    </section>
  );
}
