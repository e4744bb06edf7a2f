// Kontoudtog: choose an account, months newest first; a month shows every movement with running balance, CSV and print.
import { createEffect, createResource, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { monthLabel, t } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatDateTime, formatOre } from "../format.ts";
import { AccountSelect, accountLabel, useChosenAccount } from "../accounts.tsx";

export function StatementPage() {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const chosen = useChosenAccount();
  const accountId = chosen.accountId;
  const [months, { refetch: refetchMonths }] = createResource(accountId, (id) => trpc.statement.months.query({ accountId: id }));
  const [selected, setSelected] = createSignal<{ year: number; month: number } | null>(null);
  const [detail, { refetch: refetchDetail }] = createResource(
    () => (accountId() !== null && selected() ? { accountId: accountId()!, ...selected()! } : null),
    (input) => trpc.statement.month.query(input),
  );
  // A sale while the page is open: reload what is shown.
  const onBalance = () => {
    void refetchMonths();
    if (selected()) void refetchDetail();
  };
  window.addEventListener("kantinekort:balance", onBalance);
  onCleanup(() => window.removeEventListener("kantinekort:balance", onBalance));
  const account = chosen.account;
  // A session that ended while the page was open: back to Log på rather than an error message.
  createEffect(() => {
    if (months.error) session.endIfSignedOut(months.error);
    if (detail.error) session.endIfSignedOut(detail.error);
  });

  return (
    <section>
      <h1>{t().statement} - {session.me()?.name ?? ""}</h1>
      <Show when={session.accountsState() === "error"}>
        <p role="alert" class="error">{t().error}</p>
        <button type="button" onClick={() => void session.loadAccounts()}>{t().retry}</button>
      </Show>
      <Show when={session.accountsState() === "ready" && session.accounts.length === 0}>
        <p role="status">{t().noAccounts}</p>
      </Show>
      <Show when={session.accounts.length > 1}>
        <AccountSelect id="statement-account" label={t().account} value={accountId()} onChange={(id) => { chosen.setAccountId(id); setSelected(null); }} />
      </Show>
      <Show when={account()}>
        {(shown) => (
          <p>
            {t().account} : {accountLabel(shown())} · {t().balance}: {formatOre(shown().balanceOre)}
          </p>
        )}
      </Show>
      <Show when={months.loading && !months()}><p role="status">{t().loading}</p></Show>
      <Show when={months.error}><p role="alert" class="error">{t().error}</p></Show>
      <Show when={months() && months()!.length === 0}><p>{t().noMovements}</p></Show>
      <nav aria-label={t().months}>
        <ul class="month-list">
          <For each={months()}>
            {(month) => (
              <li>
                <button type="button" class={selected()?.year === month.year && selected()?.month === month.month ? "month active" : "month"} aria-pressed={selected()?.year === month.year && selected()?.month === month.month ? "true" : "false"} onClick={() => setSelected(month)}>
                  {monthLabel(month.year, month.month)}
                </button>
              </li>
            )}
          </For>
        </ul>
      </nav>
      <Show when={detail.error}><p role="alert" class="error">{t().error}</p></Show>
      <Show when={detail()}>
        {(statement) => (
          <article class="statement">
            <h2>{monthLabel(statement().year, statement().month)}</h2>
            <div class="actions no-print">
              <a class="button-link" href={`/statement.csv?accountId=${accountId()}&year=${statement().year}&month=${statement().month}`} download="">
                {t().downloadCsv}
              </a>
              <button type="button" class="secondary" onClick={() => window.print()}>{t().print}</button>
            </div>
            <Show when={statement().lines.length === 0}><p role="status">{t().noMovementsInMonth}</p></Show>
            <div class="table-scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t().date}</th>
                    <th scope="col">{t().text}</th>
                    <th scope="col" class="number">{t().amount}</th>
                    <th scope="col" class="number">{t().balance}</th>
                  </tr>
                </thead>
                <tbody>
                  <For each={statement().lines}>
                    {(line) => (
                      <tr>
                        <td>{formatDateTime(line.createdAt)}</td>
                        <td>{line.text}</td>
                        <td class={line.amountOre < 0 ? "number negative" : "number"}>{formatOre(line.amountOre)}</td>
                        <td class="number">{formatOre(line.balanceAfterOre)}</td>
                      </tr>
                    )}
                  </For>
                </tbody>
              </table>
            </div>
            <dl class="totals">
              <dt>{t().openingBalance}</dt>
              <dd>{formatOre(statement().openingBalanceOre)}</dd>
              <dt>{t().totalIn}</dt>
              <dd>{formatOre(statement().totalInOre)}</dd>
              <dt>{t().totalOut}</dt>
              <dd>{formatOre(statement().totalOutOre)}</dd>
              <dt>{t().closingBalance}</dt>
              <dd>{formatOre(statement().closingBalanceOre)}</dd>
            </dl>
          </article>
        )}
      </Show>
    </section>
  );
}
