// Rapporter: the daily report, one line per kind of money movement (each the sum of the day's ledger transfers, so it
// reconciles with the ledger), sales by canteen and product with a chart, outstanding balances, and a CSV of sales.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { language } from "../../i18n.ts";
import { ListState } from "./shared.tsx";

export function Reports() {
  const [day, setDay] = createSignal(new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date()));
  const [report, { refetch }] = createResource(day, (value) => trpc.backoffice.report.query({ day: value }));
  const shownReport = () => (report.error ? undefined : report());
  const max = () => Math.max(1, ...(shownReport()?.salesByProduct.map((row) => row.amountOre) ?? [1]));
  return (
    <section>
      <h2>{a().reports}</h2>
      <div class="filters">
        <div>
          <label for="report-day">{a().day}</label>
          <input id="report-day" type="date" value={day()} onInput={(event) => setDay(event.currentTarget.value)} />
        </div>
        <button type="button" class="secondary" disabled={report.loading} onClick={() => void refetch()}>{a().refresh}</button>
      </div>
      <ListState of={report} empty={false} emptyText="" />
      <Show when={shownReport()}>
        {(shown) => (
          <>
            <div class="table-scroll">
              <table class="compact report-lines" aria-label={a().reportLines}>
                <thead>
                  <tr>
                    <th scope="col">{a().reportLine}</th>
                    <th scope="col" class="number">{a().reportCount}</th>
                    <th scope="col" class="number">{a().amount}</th>
                  </tr>
                </thead>
                <tbody>
                  {/* Every movement of the day on its own line, each a sum of the day's ledger transfers. */}
                  <For each={shown().lines}>
                    {(line) => (
                      <tr data-line={line.key}>
                        <th scope="row">{language() === "en" ? line.label.en : line.label.da}</th>
                        <td class="number" data-testid={`report-count-${line.key}`}>{line.count}</td>
                        <td class="number" data-testid={`report-amount-${line.key}`}>{formatOre(line.amountOre)}</td>
                      </tr>
                    )}
                  </For>
                  <For each={shown().salesByCanteen}>
                    {(row) => (
                      <tr class="sub">
                        <th scope="row">{a().sales(row.canteen)}</th>
                        <td class="number">{row.count}</td>
                        <td class="number">{formatOre(row.salesOre)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <dl class="totals">
              <dt>{a().payoutsPending}</dt><dd data-testid="report-payouts-pending">{formatOre(shown().payoutsPendingOre)}</dd>
              <dt>{a().liability}</dt><dd data-testid="report-liability">{formatOre(shown().liabilityOre)}</dd>
              <dt>{a().ledgerCheck}</dt>
              <dd data-testid="report-ledger" class={shown().verification === null ? "" : shown().verification!.ok ? "success" : "error"}>
                {shown().verification === null ? a().ledgerPending : shown().verification!.ok ? `${a().ledgerOk} ${new Date(shown().verification!.verifiedAtMs).toLocaleTimeString("da-DK", { timeZone: "Europe/Copenhagen", hour: "2-digit", minute: "2-digit" })}` : a().ledgerBroken}
              </dd>
              {/* The chain head sealed by the day's end: a printed report shows any later rewrite of the ledger's history. */}
              <dt>{a().chainHead}</dt>
              <dd data-testid="report-chain-head">
                {shown().chainHead === null ? a().chainHeadNone : <><code class="chain-head">{shown().chainHead!.head}</code> {a().chainHeadThrough(shown().chainHead!.throughSeq, new Date(shown().chainHead!.sealedAtMs).toLocaleString("da-DK", { timeZone: "Europe/Copenhagen" }))}</>}
              </dd>
            </dl>
            <Show when={shown().salesByProduct.length > 0} fallback={<p class="hint">{a().noSales}</p>}>
              <figure aria-label={a().chart}>
                <For each={shown().salesByProduct}>
                  {(row) => (
                    <div class="bar-row">
                      <span>{row.product} ({row.quantity})</span>
                      <span class="bar" style={{ width: `${(row.amountOre / max()) * 100}%` }} />
                      <span>{formatOre(row.amountOre)}</span>
                    </div>
                  )}
                </For>
              </figure>
            </Show>
            <a class="button-link" download={`salg-${day()}.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(shown().csv)}`}>{a().downloadCsv}</a>
          </>
        )}
      </Show>
    </section>
  );
}
