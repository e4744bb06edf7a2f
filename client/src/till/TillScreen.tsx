// The paired till: header (views, online state, queue), and the view shown: Salg, Dagens salg or Afhentning.
import { batch, createMemo, createSignal, For, Match, onCleanup, onMount, Show, Switch } from "solid-js";
import { formatOre } from "../format.ts";
import { ProductPhoto } from "../product-photo.tsx";
import { tt } from "./i18n.ts";
import { createCheckout } from "./checkout.ts";
import { listenForTillKeys } from "./keys.ts";
import { useOfflineShell } from "./offline-shell.ts";
import type { Till, TillProduct } from "./state.ts";
import { AnswerPanel, FollowUp, type Shown } from "./AnswerPanel.tsx";
import { BasketPanel } from "./BasketPanel.tsx";
import { basketItems, basketTotalOre, changeLine, shortcutLetters, tillKeyAction, type BasketLine, type TillView } from "./basket.ts";
import { LanguageSwitch } from "./LanguageSwitch.tsx";
import { PickupView } from "./PickupView.tsx";
import { SalesView } from "./SalesView.tsx";

type View = TillView;

export function TillScreen(props: { till: Till; onUnpair: () => void }) {
  const till = props.till;
  const offlineReady = useOfflineShell();
  const [view, setView] = createSignal<View>("sell");
  // Kept here, not in the picker: the chosen category survives an answer and a visit to the other views.
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
  const shortcuts = createMemo(() => shortcutLetters(products()));
  const totalOre = () => basketTotalOre(basket());

  function add(product: TillProduct, change = 1) {
    setNotice(null);
    setBasket((lines) => changeLine(lines, product, change));
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
    const items = basketItems(lines);
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

  /** Shortcut keys (till/basket.ts decides what a key means); true when the key was the till's. */
  function onKey(event: KeyboardEvent): boolean {
    const action = tillKeyAction(event, { answerShown: answer() !== null, view: view(), digits: digits(), basket: basket(), products: products(), shortcuts: shortcuts() });
    if (action?.kind === "view") setView(action.view);
    else if (action?.kind === "nextCustomer") nextCustomer();
    else if (action?.kind === "clearDigits") setDigits("");
    else if (action?.kind === "clearBasket") setBasket([]);
    else if (action?.kind === "change") add(action.product, action.change);
    return action !== null;
  }

  onMount(() => {
    const stop = listenForTillKeys({ digits, setDigits, onCard, onKey });
    onCleanup(stop);
  });

  return (
    <div class="till" data-online={till.online() ? "true" : "false"} data-offline-ready={offlineReady() ? "true" : "false"}>
      <TillHeader till={till} view={view()} onView={setView} offlineReady={offlineReady()} onUnpair={props.onUnpair} />
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
              <ProductPicker till={till} shortcuts={shortcuts()} category={category()} onCategory={setCategory} onAdd={add} />
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

/** The header: canteen and till, the three views (Alt+1/2/3), online state, waiting sales, language and unpairing. */
function TillHeader(props: { till: Till; view: View; onView: (view: View) => void; offlineReady: boolean; onUnpair: () => void }) {
  return (
    <header class="till-header">
      <div class="till-title">
        <strong>{props.till.config()?.canteenName ?? tt().title}</strong>
        <span>{props.till.config()?.terminalName ?? ""}</span>
      </div>
      <nav class="till-views" aria-label={tt().title}>
        <For each={[["sell", tt().sell, "1"], ["sales", tt().salesToday, "2"], ["pickup", tt().pickup, "3"]] as const}>
          {([name, label, key]) => (
            <button type="button" classList={{ active: props.view === name }} aria-pressed={props.view === name} onClick={() => props.onView(name)} title={`Alt+${key}`}>
              {label}
            </button>
          )}
        </For>
      </nav>
      <div class="till-status">
        <span role="status" aria-live="polite" class={`till-online ${props.till.online() ? "on" : "off"}`} data-testid="till-online">
          {props.till.online() ? tt().online : tt().offline}
        </span>
        <Show when={props.till.pending().length > 0}>
          <span class="till-pending" data-testid="till-pending">
            {tt().pendingCount(props.till.pending().length)}
          </span>
        </Show>
        <Show when={props.offlineReady}>
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
  );
}

/** Categories and product buttons (a letter key each); a press adds one to the basket. */
function ProductPicker(props: { till: Till; shortcuts: Map<number, string>; category: string | null; onCategory: (category: string | null) => void; onAdd: (product: TillProduct) => void }) {
  const category = () => props.category;
  const setCategory = (name: string | null) => props.onCategory(name);
  const products = () => props.till.catalogue() ?? [];
  const categories = createMemo(() => [...new Set(products().map((product) => product.category))]);
  const shown = () => (category() === null ? products() : products().filter((product) => product.category === category()));
  return (
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
      <Show when={props.till.catalogue() !== null} fallback={<p role="status">{props.till.online() ? tt().loading : tt().loadFailed}</p>}>
        <Show when={products().length > 0} fallback={<p>{tt().noProducts}</p>}>
          <div class="till-product-grid" role="group" aria-label={tt().products}>
            <For each={shown()}>
              {(product) => (
                <button type="button" class="till-product" onClick={() => props.onAdd(product)}>
                  <ProductPhoto productId={product.id} photoVersion={product.photoVersion} sizes="(min-width: 1024px) 160px, 128px" class="till-product-photo" />
                  <span class="till-product-name">{product.name}</span>
                  <span class="till-product-price">{formatOre(product.priceOre)}</span>
                  <Show when={props.shortcuts.get(product.id)}>{(letter) => <kbd aria-hidden="true">{letter().toUpperCase()}</kbd>}</Show>
                </button>
              )}
            </For>
          </div>
        </Show>
      </Show>
      <p class="till-help">{tt().shortcutsHelp}</p>
    </section>
  );
}
