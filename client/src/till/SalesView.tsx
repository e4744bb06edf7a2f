// Dagens salg: this till's sales since midnight with totals, and refunds in full or in part.
import { batch, createEffect, createResource, createSignal, For, Match, on, Show, Switch } from "solid-js";
import { language } from "../language.ts";
import { formatDateTime, formatOre, parseKroner } from "../format.ts";
import { createIdempotencyKeys } from "../idempotency.ts";
import { tt } from "./i18n.ts";
import { failureKind } from "./api.ts";
import type { Till } from "./state.ts";

type Day = Awaited<ReturnType<Till["client"]["till"]["salesToday"]["query"]>>;

export function SalesView(props: { till: Till }) {
  const [sales, { refetch }] = createResource(() => props.till.client.till.salesToday.query());
  const [refunding, setRefunding] = createSignal<string | null>(null);
  const [amountText, setAmountText] = createSignal("");
  const [result, setResult] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = createSignal(false);
  const keys = createIdempotencyKeys();
  // Coming back online shows the sales that were just sent.
  createEffect(on(props.till.online, (online) => online && void refetch(), { defer: true }));
  createEffect(on(() => props.till.pending().length, () => void refetch(), { defer: true }));

  async function refund(saleId: string, remainingOre: number) {
    const text = amountText().trim();
    const amountOre = text === "" ? remainingOre : parseKroner(text);
    if (amountOre === null || amountOre < 1 || amountOre > remainingOre) {
      setResult({ ok: false, text: tt().refundInvalid(formatOre(remainingOre)) });
      return;
    }
    const request = { saleId, amountOre };
    setBusy(true);
    try {
      const answer = await props.till.client.till.refund.mutate({ refundId: keys.keyFor(request), ...request });
      keys.settle();
      if (answer.status === "approved") {
        setResult({ ok: true, text: tt().refundDone(formatOre(answer.amountOre), answer.balanceOre === null ? "–" : formatOre(answer.balanceOre)) });
        setRefunding(null);
      } else {
        setResult({ ok: false, text: tt().refundDeclined(answer.message ? (language() === "en" ? answer.message.en : answer.message.da) : (answer.reason ?? "")) });
      }
      void refetch();
    } catch (error) {
      // The same refund id is kept for the retry: a refund whose answer was lost is never paid twice.
      const kind = failureKind(error);
      setResult({ ok: false, text: kind === "network" ? tt().noServer : kind === "unavailable" ? tt().storageUnavailable : tt().failed });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="till-sales" aria-labelledby="till-sales-title">
      <h2 id="till-sales-title">{tt().salesToday}</h2>
      <Show when={result()}>
        {(shown) => (
          <p role={shown().ok ? "status" : "alert"} class={`till-notice ${shown().ok ? "success" : "error"}`}>
            {shown().text}
          </p>
        )}
      </Show>
      <Show when={props.till.queue().some((sale) => sale.state === "pending")}>
        <h3>{tt().queuedTitle}</h3>
        <ul class="till-queue-list">
          <For each={props.till.pending()}>
            {(sale) => (
              <li>
                {formatDateTime(sale.createdAt)} · ••••{sale.cardNumber.slice(-4)} · {formatOre(sale.amountOre)} · <strong>{tt().pending}</strong>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <Switch>
        <Match when={sales.error}>
          <p role="alert" class="till-notice error">
            {tt().loadFailed}
          </p>
        </Match>
        <Match when={sales.loading && !sales.latest}>
          <p role="status">{tt().loading}</p>
        </Match>
        <Match when={sales.latest}>
          {(day) => (
            <>
              <SalesTotals totals={day().totals} />
              <Show when={day().sales.length > 0} fallback={<p>{tt().noSales}</p>}>
                <table class="till-sales-table">
                  <thead>
                    <tr>
                      <th scope="col">{tt().time}</th>
                      <th scope="col">{tt().items}</th>
                      <th scope="col">{tt().card}</th>
                      <th scope="col">{tt().amount}</th>
                      <th scope="col">{tt().refunded}</th>
                      <th scope="col">{tt().status}</th>
                      <th scope="col">
                        <span class="visually-hidden">{tt().refund}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={day().sales}>
                      {(sale) => (
                        <SaleRow
                          sale={sale}
                          refunding={refunding() === sale.saleId}
                          amountText={amountText()}
                          busy={busy()}
                          onAmountText={setAmountText}
                          onOpen={() => {
                            batch(() => {
                              setRefunding(sale.saleId);
                              setAmountText("");
                              setResult(null);
                            });
                          }}
                          onClose={() => setRefunding(null)}
                          onRefund={(remainingOre) => void refund(sale.saleId, remainingOre)}
                        />
                      )}
                    </For>
                  </tbody>
                </table>
              </Show>
            </>
          )}
        </Match>
      </Switch>
    </section>
  );
}

/** Sold, refunded, net and declined today at this till. */
function SalesTotals(props: { totals: Day["totals"] }) {
  return (
    <dl class="till-totals" aria-label={tt().totals}>
      <div>
        <dt>{tt().salesCount}</dt>
        <dd data-testid="total-count">{props.totals.approvedCount}</dd>
      </div>
      <div>
        <dt>{tt().total}</dt>
        <dd data-testid="total-sold">{formatOre(props.totals.approvedOre)}</dd>
      </div>
      <div>
        <dt>{tt().refunded}</dt>
        <dd data-testid="total-refunded">{formatOre(props.totals.refundedOre)}</dd>
      </div>
      <div>
        <dt>{tt().net}</dt>
        <dd data-testid="total-net">{formatOre(props.totals.netOre)}</dd>
      </div>
      <div>
        <dt>{tt().declinedCount}</dt>
        <dd>{props.totals.declinedCount}</dd>
      </div>
    </dl>
  );
}

/** What the refund button says: the whole remainder for an empty field, "…" for text that is not an amount. */
function refundLabel(text: string, remainingOre: number): string {
  if (text.trim() === "") return formatOre(remainingOre);
  const typedOre = parseKroner(text);
  return typedOre === null ? "…" : formatOre(typedOre);
}

/** One sale of today, with its refund form below it while open. */
function SaleRow(props: {
  sale: Day["sales"][number];
  refunding: boolean;
  amountText: string;
  busy: boolean;
  onAmountText: (text: string) => void;
  onOpen: () => void;
  onClose: () => void;
  onRefund: (remainingOre: number) => void;
}) {
  const remaining = () => props.sale.amountOre - props.sale.refundedOre;
  const description = props.sale.items.map((item) => (item.quantity > 1 ? `${item.quantity} × ${item.name}` : item.name)).join(", ");
  return (
    <>
      <tr data-sale-id={props.sale.saleId}>
        <td>{formatDateTime(props.sale.createdAt)}</td>
        <td>{description || "–"}</td>
        <td>••••{props.sale.cardLast4}</td>
        <td>{formatOre(props.sale.amountOre)}</td>
        <td>{props.sale.refundedOre > 0 ? formatOre(props.sale.refundedOre) : ""}</td>
        <td>
          {props.sale.status === "approved"
            ? tt().statusApproved
            : `${tt().statusDeclined}: ${props.sale.message ? (language() === "en" ? props.sale.message.en : props.sale.message.da) : ""}`}
        </td>
        <td>
          <Show when={props.sale.status === "approved" && remaining() > 0}>
            <button
              type="button"
              class="till-secondary"
              aria-label={`${tt().refund} ${description || formatOre(props.sale.amountOre)} ${formatDateTime(props.sale.createdAt)}`}
              onClick={() => props.onOpen()}
            >
              {tt().refund}
            </button>
          </Show>
        </td>
      </tr>
      <Show when={props.refunding}>
        <tr class="till-refund-row">
          <td colSpan={7}>
            <form
              class="till-refund-form"
              onSubmit={(event) => {
                event.preventDefault();
                props.onRefund(remaining());
              }}
            >
              <label for="till-refund-amount">{tt().refundAmount}</label>
              <input
                id="till-refund-amount"
                inputmode="decimal"
                placeholder={`${tt().refundAll}: ${formatOre(remaining())}`}
                value={props.amountText}
                onInput={(event) => props.onAmountText(event.currentTarget.value)}
                ref={(element) => queueMicrotask(() => element.focus())}
                onKeyDown={(event) => {
                  if (event.key === "Escape") props.onClose();
                }}
              />
              <button type="submit" class="till-primary" disabled={props.busy}>
                {tt().refundConfirm(refundLabel(props.amountText, remaining()))}
              </button>
              <button type="button" class="till-secondary" onClick={() => props.onClose()}>
                {tt().cancel}
              </button>
            </form>
          </td>
        </tr>
      </Show>
    </>
  );
}
