// Rapporter: the daily report of sales, deposits, payouts and outstanding balances, with a CSV of sales by product.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { language } from "../../i18n.ts";
import { ListState } from "./shared.tsx";

export function Reports() {
  const [day, setDay] = createSignal(new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date()));
  const [report] = createResource(day, (value) => trpc.backoffice.report.query({ day: value }));
  const shownReport = () => (report.error ? undefined : report());
  const max = () => Math.max(1, ...(shownReport()?.salesByProduct.map((row) => row.amountOre) ?? [1]));
  return (
    <section>
      <h2>{a().reports}</h2>
      <label for="report-day">{a().day}</label>
      <input id="report-day" type="date" value={day()} onInput={(event) => setDay(event.currentTarget.value)} />
      <ListState of={report} empty={shownReport()?.salesByProduct.length === 0} emptyText={a().noSales} />
      <Show when={shownReport()}>
        {(shown) => (
          <>
            <dl class="totals">
              <For each={shown().salesByCanteen}>{(row) => <><dt>{a().sales(row.canteen)}</dt><dd>{formatOre(row.salesOre)} ({row.count})</dd></>}</For>
              {/* Every movement of the day on its own line, each a sum of the day's ledger transfers (server/services/backoffice/reports.ts). */}
              <For each={shown().lines.filter((line) => line.key !== "sales")}>{(line) => <><dt>{language() === "en" ? line.label.en : line.label.da}</dt><dd>{formatOre(line.amountOre)} ({line.count})</dd></>}</For>
              <dt>{a().liability}</dt><dd>{formatOre(shown().liabilityOre)}</dd>
              <dt>ledger:check</dt><dd class={shown().ledger.ok ? "success" : "error"}>{shown().ledger.ok ? "OK" : shown().ledger.violations.join("; ")}</dd>
            </dl>
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
            <a class="button-link" download={`salg-${day()}.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(shown().csv)}`}>{a().downloadCsv}</a>
          </>
        )}
      </Show>
    </section>
  );
}
