// The browser till (/kasse): pairing with a terminal key, selling with a card reader, refunds, webshop pickup, and sales queued offline.
import { batch, createEffect, createMemo, createResource, createSignal, For, Match, on, onCleanup, onMount, Show, Switch, untrack, type JSX } from "solid-js";
import { language, setLanguage } from "../language.ts";
import { formatDateTime, formatOre, parseKroner } from "../format.ts";
import { createIdempotencyKeys } from "../idempotency.ts";
import { tt } from "../till/i18n.ts";
import { failureKind, storedKey, storeKey, tillClient } from "../till/api.ts";
import { createCheckout } from "../till/checkout.ts";
import { clearTillCache, createTill, type SaleAnswer, type SaleItem, type Till, type TillHolder, type TillProduct } from "../till/state.ts";
import { listenForTillKeys } from "../till/keys.ts";
import { allQueued, type QueuedSale } from "../till/queue.ts";
import { ProductPhoto } from "../product-photo.tsx";
import "../till/kasse.css";

type View = "sell" | "sales" | "pickup";
const SHORTCUT_LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** The service worker keeps /kasse and its assets on the device, so a reload without a network still opens the till. */
function useOfflineShell(): () => boolean {
  const [ready, setReady] = createSignal(false);
  if (!("serviceWorker" in navigator)) return ready;
  const check = () => setReady(navigator.serviceWorker.controller !== null);
  navigator.serviceWorker.addEventListener("controllerchange", check);
  onCleanup(() => navigator.serviceWorker.removeEventListener("controllerchange", check));
  navigator.serviceWorker.register("/kasse-sw.js", { scope: "/kasse" }).then(check, () => setReady(false));
  check();
  return ready;
}

function LanguageSwitch() {
  return (
    <label class="till-language">
      <span class="visually-hidden">{tt().language}</span>
      <select value={language()} onChange={(event) => setLanguage(event.currentTarget.value as "da" | "en")} aria-label={tt().language}>
        <option value="da">Dansk</option>
        <option value="en">English</option>
      </select>
    </label>
  );
}

function PairScreen(props: { revoked: boolean; onPaired: (key: string) => void }) {
  const [key, setKey] = createSignal("");
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  // Sales still stored on this device are never hidden, not even behind the pairing screen.
  const [waiting] = createResource(() => allQueued().then((sales) => sales.length, () => 0));
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const typed = key().trim();
    if (typed.length < 16) return setError(tt().unknownKey);
    setBusy(true);
    setError(null);
    try {
      await tillClient(typed).till.config.query();
      props.onPaired(typed);
    } catch (caught) {
      setError(failureKind(caught) === "network" ? tt().noServer : tt().unknownKey);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main class="till-pair">
      <div class="till-pair-panel">
        <div class="till-pair-head">
          <h1>{tt().pairTitle}</h1>
          <LanguageSwitch />
        </div>
        <Show when={props.revoked}>
          <p role="alert" class="till-notice error">
            {tt().unpairedNotice}
          </p>
        </Show>
        <Show when={(waiting() ?? 0) > 0}>
          <p role="alert" class="till-notice error">
            {tt().storedSales(waiting() ?? 0)}
          </p>
        </Show>
        <p>{tt().pairIntro}</p>
        <form onSubmit={submit}>
          <label for="till-key">{tt().terminalKey}</label>
          <input id="till-key" type="password" autocomplete="off" spellcheck={false} value={key()} onInput={(event) => setKey(event.currentTarget.value)} autofocus />
          <Show when={error()}>
            <p role="alert" class="till-notice error">
              {error()}
            </p>
          </Show>
          <button type="submit" class="till-primary" disabled={busy()}>
            {busy() ? tt().pairing : tt().pair}
          </button>
        </form>
      </div>
    </main>
  );
}

interface BasketLine {
  product: TillProduct;
  quantity: number;
}

type Shown = SaleAnswer & { holder: TillHolder | null; cardNumber: string };

function AnswerPanel(props: { answer: Shown; offlineLimitOre: number; onNext: () => void; onRetry: () => void }) {
  const answer = () => props.answer;
  const title = () => {
    const kind = answer().kind;
    return kind === "approved" ? tt().approved : kind === "pending" ? tt().pending : tt().declined;
  };
  const detail = (): string => {
    const shown = answer();
    if (shown.kind === "approved") return shown.balanceOre === null ? "" : tt().balanceAfter(shown.balanceOre);
    if (shown.kind === "declined") return language() === "en" ? shown.message.en : shown.message.da;
    if (shown.kind === "pending") return shown.storage ? tt().storagePending : tt().pendingExplain;
    if (shown.cause === "storage_unavailable") return tt().storageUnavailable;
    if (shown.cause === "over_offline_limit") return tt().overOfflineLimit(props.offlineLimitOre);
    if (shown.cause === "offline_disabled") return tt().offlineDisabled;
    return tt().failed;
  };
  return (
    <section class={`till-answer ${answer().kind}`} role={answer().kind === "approved" ? "status" : "alert"} aria-live="assertive" data-testid="till-answer">
      <Show when={answer().holder}>
        {(holder) => (
          <div class="till-holder">
            <Show when={holder().photoDataUrl}>{(photo) => <img src={photo()} alt={tt().photoOf(holder().name ?? "")} />}</Show>
            <Show when={holder().name}>
              <p class="till-holder-name">{holder().name}</p>
            </Show>
          </div>
        )}
      </Show>
      <p class="till-answer-title">{answer().kind === "failed" ? tt().declined : title()}</p>
      <p class="till-answer-amount">
        {tt().amount}: {formatOre(answer().amountOre)}
      </p>
      <p class="till-answer-detail">{detail()}</p>
      <div class="till-answer-actions">
        <Show when={answer().kind === "failed"}>
          <button type="button" class="till-secondary" onClick={() => props.onRetry()}>
            {tt().retry}
          </button>
        </Show>
        <button type="button" class="till-primary" onClick={() => props.onNext()}>
          {tt().nextCustomer} <span class="till-hint">({tt().nextHint})</span>
        </button>
      </div>
    </section>
  );
}

function FollowUp(props: { till: Till }) {
  const items = () => props.till.queue().filter((sale) => sale.state === "declined" || sale.state === "charged");
  return (
    <Show when={items().length > 0}>
      <section class="till-follow-up" role="alert" aria-labelledby="till-follow-up-title">
        <h2 id="till-follow-up-title">{tt().followUpTitle}</h2>
        <p>{tt().followUpExplain}</p>
        <ul>
          <For each={items()}>
            {(sale: QueuedSale) => (
              <li>
                <span>
                  {formatDateTime(sale.createdAt)} · {tt().card} ••••{sale.cardNumber.slice(-4)} · {formatOre(sale.amountOre)} ·{" "}
                  <strong>
                    {sale.state === "charged" ? tt().chargedNote : `${tt().declined}: ${sale.message ? (language() === "en" ? sale.message.en : sale.message.da) : sale.reason}`}
                  </strong>
                </span>
                <button type="button" class="till-secondary" onClick={() => void props.till.acknowledge(sale)}>
                  {tt().acknowledge}
                </button>
              </li>
            )}
          </For>
        </ul>
      </section>
    </Show>
  );
}

function SalesView(props: { till: Till }) {
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
              <dl class="till-totals" aria-label={tt().totals}>
                <div>
                  <dt>{tt().salesCount}</dt>
                  <dd data-testid="total-count">{day().totals.approvedCount}</dd>
                </div>
                <div>
                  <dt>{tt().total}</dt>
                  <dd data-testid="total-sold">{formatOre(day().totals.approvedOre)}</dd>
                </div>
                <div>
                  <dt>{tt().refunded}</dt>
                  <dd data-testid="total-refunded">{formatOre(day().totals.refundedOre)}</dd>
                </div>
                <div>
                  <dt>{tt().net}</dt>
                  <dd data-testid="total-net">{formatOre(day().totals.netOre)}</dd>
                </div>
                <div>
                  <dt>{tt().declinedCount}</dt>
                  <dd>{day().totals.declinedCount}</dd>
                </div>
              </dl>
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
                      {(sale) => {
                        const remaining = () => sale.amountOre - sale.refundedOre;
                        const description = sale.items.map((item) => (item.quantity > 1 ? `${item.quantity} × ${item.name}` : item.name)).join(", ");
                        return (
                          <>
                            <tr data-sale-id={sale.saleId}>
                              <td>{formatDateTime(sale.createdAt)}</td>
                              <td>{description || "–"}</td>
                              <td>••••{sale.cardLast4}</td>
                              <td>{formatOre(sale.amountOre)}</td>
                              <td>{sale.refundedOre > 0 ? formatOre(sale.refundedOre) : ""}</td>
                              <td>
                                {sale.status === "approved"
                                  ? tt().statusApproved
                                  : `${tt().statusDeclined}: ${sale.message ? (language() === "en" ? sale.message.en : sale.message.da) : ""}`}
                              </td>
                              <td>
                                <Show when={sale.status === "approved" && remaining() > 0}>
                                  <button
                                    type="button"
                                    class="till-secondary"
                                    aria-label={`${tt().refund} ${description || formatOre(sale.amountOre)} ${formatDateTime(sale.createdAt)}`}
                                    onClick={() => {
                                      batch(() => {
                                        setRefunding(sale.saleId);
                                        setAmountText("");
                                        setResult(null);
                                      });
                                    }}
                                  >
                                    {tt().refund}
                                  </button>
                                </Show>
                              </td>
                            </tr>
                            <Show when={refunding() === sale.saleId}>
                              <tr class="till-refund-row">
                                <td colSpan={7}>
                                  <form
                                    class="till-refund-form"
                                    onSubmit={(event) => {
                                      event.preventDefault();
                                      void refund(sale.saleId, remaining());
                                    }}
                                  >
                                    <label for="till-refund-amount">{tt().refundAmount}</label>
                                    <input
                                      id="till-refund-amount"
                                      inputmode="decimal"
                                      placeholder={`${tt().refundAll}: ${formatOre(remaining())}`}
                                      value={amountText()}
                                      onInput={(event) => setAmountText(event.currentTarget.value)}
                                      ref={(element) => queueMicrotask(() => element.focus())}
                                      onKeyDown={(event) => {
                                        if (event.key === "Escape") setRefunding(null);
                                      }}
                                    />
                                    <button type="submit" class="till-primary" disabled={busy()}>
                                      {tt().refundConfirm(amountText().trim() === "" ? formatOre(remaining()) : (parseKroner(amountText()) === null ? "…" : formatOre(parseKroner(amountText())!)))}
                                    </button>
                                    <button type="button" class="till-secondary" onClick={() => setRefunding(null)}>
                                      {tt().cancel}
                                    </button>
                                  </form>
                                </td>
                              </tr>
                            </Show>
                          </>
                        );
                      }}
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

type PickupAnswer = Awaited<ReturnType<Till["client"]["till"]["pickup"]["mutate"]>>;

function PickupView(props: { till: Till; cardRead: () => { cardNumber: string; at: number } | null }) {
  const [orderNumber, setOrderNumber] = createSignal("");
  const [answer, setAnswer] = createSignal<PickupAnswer | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);

  async function pickup(lookup: { orderNumber: string } | { cardNumber: string }) {
    setBusy(true);
    setError(null);
    try {
      setAnswer(await props.till.client.till.pickup.mutate(lookup));
      // Ready for the next customer: an empty field and no focus in it, so the next card read is caught as a card.
      setOrderNumber("");
      if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    } catch (caught) {
      setAnswer(null);
      const kind = failureKind(caught);
      setError(kind === "network" ? tt().noServer : kind === "unavailable" ? tt().storageUnavailable : kind === "other" ? tt().pickupHint : tt().failed);
    } finally {
      setBusy(false);
    }
  }
  // A card read while this view is open picks up that card's orders.
  createEffect(on(props.cardRead, (read) => read && void pickup({ cardNumber: read.cardNumber }), { defer: true }));

  const orderList = (orders: PickupAnswer["delivered"]) => (
    <ul class="till-pickup-orders">
      <For each={orders}>
        {(order) => (
          <li>
            <strong>{order.orderNumber}</strong> {order.cardholderName ?? ""} · {formatOre(order.totalOre)}
            <ul>
              <For each={order.lines}>
                {(line) => (
                  <li>
                    {line.quantity} × {line.name}
                    {line.comment ? ` (${line.comment})` : ""}
                  </li>
                )}
              </For>
            </ul>
          </li>
        )}
      </For>
    </ul>
  );

  return (
    <section class="till-pickup" aria-labelledby="till-pickup-title">
      <h2 id="till-pickup-title">{tt().pickup}</h2>
      <p>{tt().pickupHint}</p>
      <form
        class="till-pickup-form"
        onSubmit={(event) => {
          event.preventDefault();
          const typed = orderNumber().trim().toUpperCase();
          // Eight digits or more is a card number typed (or read) into the field; fewer is an order number without "O-".
          if (/^\d{8,19}$/.test(typed)) void pickup({ cardNumber: typed });
          else void pickup({ orderNumber: /^\d{1,7}$/.test(typed) ? `O-${typed}` : typed });
        }}
      >
        <label for="till-order-number">{tt().orderNumber}</label>
        <input id="till-order-number" autocomplete="off" value={orderNumber()} onInput={(event) => setOrderNumber(event.currentTarget.value)} />
        <button type="submit" class="till-primary" disabled={busy() || orderNumber().trim() === ""}>
          {tt().deliver}
        </button>
      </form>
      <Show when={error()}>
        <p role="alert" class="till-notice error">
          {error()}
        </p>
      </Show>
      <Show when={answer()}>
        {(shown) => (
          <div role="status" class="till-pickup-answer">
            <Show when={shown().delivered.length > 0}>
              <h3 class="till-delivered">{tt().delivered}</h3>
              {orderList(shown().delivered)}
            </Show>
            <Show when={shown().alreadyDelivered.length > 0}>
              <h3>{tt().alreadyDelivered}</h3>
              {orderList(shown().alreadyDelivered)}
            </Show>
            <Show when={shown().delivered.length === 0 && shown().alreadyDelivered.length === 0}>
              <p class="till-notice error">{tt().nothingToDeliver}</p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}

function TillScreen(props: { till: Till; onUnpair: () => void }) {
  const till = props.till;
  const offlineReady = useOfflineShell();
  const [view, setView] = createSignal<View>("sell");
  const [category, setCategory] = createSignal<string | null>(null);
  const [basket, setBasket] = createSignal<BasketLine[]>([]);
  const [digits, setDigits] = createSignal("");
  const [manualCard, setManualCard] = createSignal("");
  const [answer, setAnswer] = createSignal<Shown | null>(null);
  const [notice, setNotice] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [cardRead, setCardRead] = createSignal<{ cardNumber: string; at: number } | null>(null);
  /** Sale ids and lost answers (till/checkout.ts): a retry of the same basket and card is never charged twice. */
  const checkout = createCheckout(till);
  let mainRef: HTMLElement | undefined;

  const products = () => till.catalogue() ?? [];
  const categories = createMemo(() => [...new Set(products().map((product) => product.category))]);
  const shortcuts = createMemo(() => new Map(products().slice(0, SHORTCUT_LETTERS.length).map((product, index) => [product.id, SHORTCUT_LETTERS[index]!])));
  const shown = () => (category() === null ? products() : products().filter((product) => product.category === category()));
  const totalOre = () => basket().reduce((sum, line) => sum + line.quantity * line.product.priceOre, 0);

  function add(product: TillProduct, change = 1) {
    setNotice(null);
    setBasket((lines) => {
      const existing = lines.find((line) => line.product.id === product.id);
      if (!existing) return change > 0 ? [...lines, { product, quantity: change }] : lines;
      return lines.map((line) => (line === existing ? { ...line, quantity: line.quantity + change } : line)).filter((line) => line.quantity > 0);
    });
  }

  function nextCustomer() {
    checkout.nextCustomer();
    batch(() => {
      setAnswer(null);
      setBasket([]);
      setDigits("");
      setManualCard("");
      setNotice(null);
    });
    mainRef?.focus();
  }

  async function pay(cardNumber: string) {
    if (busy() || answer()) return;
    if (!/^\d{8,19}$/.test(cardNumber)) return setNotice(tt().invalidCard);
    const lines = basket();
    if (lines.length === 0) return setNotice(tt().basketFirst);
    const items: SaleItem[] = lines.map((line) => ({ name: line.product.name, quantity: line.quantity, unitPriceOre: line.product.priceOre }));
    setBusy(true);
    setNotice(null);
    const holder = till.online() ? till.holder(cardNumber) : Promise.resolve(null);
    try {
      const { answer: result } = await checkout.pay(cardNumber, items);
      setAnswer({ ...result, holder: null, cardNumber });
      if (result.kind !== "failed") setBasket([]);
      setManualCard("");
      const found = await holder;
      if (found && answer()?.saleId === result.saleId) setAnswer((current) => (current ? { ...current, holder: found } : current));
    } finally {
      setBusy(false);
    }
  }

  function onCard(cardNumber: string) {
    if (view() === "pickup") setCardRead({ cardNumber, at: Date.now() });
    else if (view() === "sell") void pay(cardNumber);
  }

  function onKey(event: KeyboardEvent): boolean {
    if (event.altKey && ["1", "2", "3"].includes(event.key)) {
      setView((["sell", "sales", "pickup"] as const)[Number(event.key) - 1]!);
      return true;
    }
    if (event.altKey) return false;
    if (answer()) {
      if (event.key === "Enter" || event.key === " " || event.key === "Escape") {
        nextCustomer();
        return true;
      }
      return false;
    }
    if (view() !== "sell") return false;
    if (event.key === "Escape") {
      if (digits()) setDigits("");
      else setBasket([]);
      return true;
    }
    const last = basket()[basket().length - 1];
    if ((event.key === "+" || event.key === "-") && last) {
      add(last.product, event.key === "+" ? 1 : -1);
      return true;
    }
    if (event.key === "Backspace" && last) {
      add(last.product, -1);
      return true;
    }
    const letter = event.key.length === 1 ? event.key.toLowerCase() : "";
    if (letter && SHORTCUT_LETTERS.includes(letter)) {
      const product = products().find((candidate) => shortcuts().get(candidate.id) === letter);
      if (product) {
        add(product);
        return true;
      }
    }
    return false;
  }

  onMount(() => {
    const stop = listenForTillKeys({ digits, setDigits, onCard, onKey });
    onCleanup(stop);
  });

  const statusLabel = () => (till.online() ? tt().online : tt().offline);

  return (
    <div class="till" data-online={till.online() ? "true" : "false"} data-offline-ready={offlineReady() ? "true" : "false"}>
      <header class="till-header">
        <div class="till-title">
          <strong>{till.config()?.canteenName ?? tt().title}</strong>
          <span>{till.config()?.terminalName ?? ""}</span>
        </div>
        <nav class="till-views" aria-label={tt().title}>
          <For each={[["sell", tt().sell, "1"], ["sales", tt().salesToday, "2"], ["pickup", tt().pickup, "3"]] as const}>
            {([name, label, key]) => (
              <button type="button" classList={{ active: view() === name }} aria-pressed={view() === name} onClick={() => setView(name)} title={`Alt+${key}`}>
                {label}
              </button>
            )}
          </For>
        </nav>
        <div class="till-status">
          <span role="status" aria-live="polite" class={`till-online ${till.online() ? "on" : "off"}`} data-testid="till-online">
            {statusLabel()}
          </span>
          <Show when={till.pending().length > 0}>
            <span class="till-pending" data-testid="till-pending">
              {tt().pendingCount(till.pending().length)}
            </span>
          </Show>
          <Show when={offlineReady()}>
            <span class="till-offline-ready">{tt().offlineReady}</span>
          </Show>
          <LanguageSwitch />
          <button
            type="button"
            class="till-link"
            onClick={() => {
              if (window.confirm(tt().unpairConfirm)) props.onUnpair();
            }}
          >
            {tt().unpair}
          </button>
        </div>
      </header>
      <FollowUp till={till} />
      <main class="till-main" tabIndex={-1} ref={mainRef}>
        <Switch>
          <Match when={view() === "sales"}>
            <SalesView till={till} />
          </Match>
          <Match when={view() === "pickup"}>
            <PickupView till={till} cardRead={cardRead} />
          </Match>
          <Match when={answer()}>
            {(shownAnswer) => <AnswerPanel answer={shownAnswer()} offlineLimitOre={till.config()?.offlineMaxSaleOre ?? 0} onNext={nextCustomer} onRetry={() => {
              const previous = shownAnswer();
              setAnswer(null);
              void pay(previous.cardNumber);
            }} />}
          </Match>
          <Match when={view() === "sell"}>
            <div class="till-sell">
              <section class="till-products" aria-label={tt().sell}>
                <div class="till-categories" role="group" aria-label={tt().categories}>
                  <button type="button" classList={{ active: category() === null }} aria-pressed={category() === null} onClick={() => setCategory(null)}>
                    {tt().all}
                  </button>
                  <For each={categories()}>
                    {(name) => (
                      <button type="button" classList={{ active: category() === name }} aria-pressed={category() === name} onClick={() => setCategory(name)}>
                        {name}
                      </button>
                    )}
                  </For>
                </div>
                <Show when={till.catalogue() !== null} fallback={<p role="status">{till.online() ? tt().loading : tt().loadFailed}</p>}>
                  <Show when={products().length > 0} fallback={<p>{tt().noProducts}</p>}>
                    <div class="till-product-grid" role="group" aria-label={tt().products}>
                      <For each={shown()}>
                        {(product) => (
                          <button type="button" class="till-product" onClick={() => add(product)}>
                            <ProductPhoto productId={product.id} photoVersion={product.photoVersion} sizes="(min-width: 1024px) 160px, 128px" class="till-product-photo" />
                            <span class="till-product-name">{product.name}</span>
                            <span class="till-product-price">{formatOre(product.priceOre)}</span>
                            <Show when={shortcuts().get(product.id)}>{(letter) => <kbd aria-hidden="true">{letter().toUpperCase()}</kbd>}</Show>
                          </button>
                        )}
                      </For>
                    </div>
                  </Show>
                </Show>
                <p class="till-help">{tt().shortcutsHelp}</p>
              </section>
              <BasketPanel
                basket={basket()}
                totalOre={totalOre()}
                digits={digits()}
                manualCard={manualCard()}
                setManualCard={setManualCard}
                busy={busy()}
                notice={notice()}
                onAdd={add}
                onClear={() => setBasket([])}
                onPay={() => void pay(manualCard().trim())}
              />
            </div>
          </Match>
        </Switch>
      </main>
    </div>
  );
}

function BasketPanel(props: {
  basket: BasketLine[];
  totalOre: number;
  digits: string;
  manualCard: string;
  setManualCard: (value: string) => void;
  busy: boolean;
  notice: string | null;
  onAdd: (product: TillProduct, change: number) => void;
  onClear: () => void;
  onPay: () => void;
}): JSX.Element {
  return (
    <section class="till-basket" aria-labelledby="till-basket-title">
      <h2 id="till-basket-title">{tt().basket}</h2>
      <Show when={props.basket.length > 0} fallback={<p class="till-empty">{tt().emptyBasket}</p>}>
        <ul class="till-lines" aria-label={tt().basket}>
          <For each={props.basket}>
            {(line) => (
              <li>
                <span class="till-line-name">
                  {line.quantity} × {line.product.name}
                </span>
                <span class="till-line-total">{formatOre(line.quantity * line.product.priceOre)}</span>
                <span class="till-line-buttons">
                  <button type="button" aria-label={`${tt().less}: ${line.product.name}`} onClick={() => props.onAdd(line.product, -1)}>
                    −
                  </button>
                  <button type="button" aria-label={`${tt().more}: ${line.product.name}`} onClick={() => props.onAdd(line.product, 1)}>
                    +
                  </button>
                </span>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <p class="till-total">
        <span>{tt().total}</span> <strong data-testid="till-total">{formatOre(props.totalOre)}</strong>
      </p>
      <p class="till-card-prompt" aria-live="polite">
        {props.busy ? tt().processing : props.digits ? tt().cardRead(props.digits) : tt().cardPrompt}
      </p>
      <Show when={props.notice}>
        <p role="alert" class="till-notice error">
          {props.notice}
        </p>
      </Show>
      <form
        class="till-manual"
        onSubmit={(event) => {
          event.preventDefault();
          props.onPay();
        }}
      >
        <label for="till-card">{tt().cardNumber}</label>
        <input id="till-card" inputmode="numeric" autocomplete="off" value={props.manualCard} onInput={(event) => props.setManualCard(event.currentTarget.value.replace(/\D/g, ""))} />
        <button type="submit" class="till-primary" disabled={props.busy || props.basket.length === 0}>
          {tt().pay}
        </button>
      </form>
      <Show when={props.basket.length > 0}>
        <button type="button" class="till-secondary" onClick={() => props.onClear()}>
          {tt().clear}
        </button>
      </Show>
    </section>
  );
}

export function KassePage() {
  const [key, setKey] = createSignal(storedKey());
  const [revoked, setRevoked] = createSignal(false);
  const [till, setTill] = createSignal<Till | null>(null);

  // One till per paired key; a refused key (revoked in the back office) is forgotten on this device at once.
  createEffect(() => {
    const current = key();
    untrack(till)?.stop();
    if (!current) return setTill(null);
    setTill(
      createTill(current, () => {
        storeKey(null);
        clearTillCache();
        setRevoked(true);
        setKey(null);
      }),
    );
  });
  onCleanup(() => till()?.stop());

  return (
    <Show
      when={till()}
      fallback={
        <PairScreen
          revoked={revoked()}
          onPaired={(paired) => {
            storeKey(paired);
            setRevoked(false);
            setKey(paired);
          }}
        />
      }
    >
      {(current) => (
        <TillScreen
          till={current()}
          onUnpair={() => {
            storeKey(null);
            clearTillCache();
            setKey(null);
          }}
        />
      )}
    </Show>
  );
}
