// Webshop: Udlevering (delivery day), products by category with the basket icon, Kurv/Tjek ud with comments and Fjern, Ordrer live.
import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createResource, createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { sentence, t, weekdayName } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { copenhagenClock, copenhagenDay, formatDateTime, formatDay, formatOre } from "../format.ts";
import { AccountSelect, accountHolderName, useChosenAccount } from "../accounts.tsx";
import { confirmDialog } from "../components/ConfirmDialog.tsx";
import { ProductPhoto } from "../product-photo.tsx";

interface BasketLine {
  productId: number;
  name: string;
  priceOre: number;
  quantity: number;
  comment: string;
}

interface Basket {
  canteenId: number | null;
  deliveryDay: string | null;
  lines: BasketLine[];
  /** One key per basket: paying twice (double click, retry) makes one order. */
  idempotencyKey: string;
}

const STORAGE_KEY = "kantinekort.basket";
/** The most of one product in one order (the server's checkout takes 1–50 per line). */
const MAX_QUANTITY = 50;

function emptyBasket(): Basket {
  return { canteenId: null, deliveryDay: null, lines: [], idempotencyKey: crypto.randomUUID() };
}

/** The basket survives a reload: it lives in localStorage, per signed-in user. */
const [basket, setBasket] = createStore<Basket>(emptyBasket());
function storageKey(): string {
  return `${STORAGE_KEY}.${session.me()?.userId ?? "anonymous"}`;
}
function loadBasket(): void {
  try {
    const stored = JSON.parse(localStorage.getItem(storageKey()) ?? "null") as Basket | null;
    setBasket(stored && Array.isArray(stored.lines) ? stored : emptyBasket());
  } catch {
    setBasket(emptyBasket());
  }
}
function saveBasket(): void {
  localStorage.setItem(storageKey(), JSON.stringify(basket));
}

/** "09:30" → "09.30", as Danish clock times are written. */
export function formatClock(time: string): string {
  return time.replace(":", ".");
}

/** Any change to the basket makes its payment a new one: a key sent with other lines would be refused as a conflict. */
function basketChanged(): void {
  setBasket("idempotencyKey", crypto.randomUUID());
  saveBasket();
}

/** The basket icon of the guide, drawn inline so it shows without an emoji font. */
function BasketIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path fill="currentColor" d="M7 18a2 2 0 1 0 0 4 2 2 0 0 0 0-4zm10 0a2 2 0 1 0 0 4 2 2 0 0 0 0-4zM5.2 4l.6 3H21l-2 8H7.4L4.4 2H1v2h3.2zM8.1 13h9.3l1.2-4H7.3l.8 4z" />
    </svg>
  );
}

/** Kurv, Ordrer, Tjek ud as in the guide; plain links, so at most one is marked as the current page. */
function ShopNav(props: { current?: "orders" | "checkout" }) {
  const count = () => basket.lines.reduce((sum, line) => sum + line.quantity, 0);
  return (
    <nav class="shop-nav" aria-label="Webshop">
      <a href="/webshop/tjek-ud" class="button-link"><BasketIcon /> {t().basket} ({count()})</a>
      <a href="/webshop/ordrer" class={props.current === "orders" ? "button-link current" : "button-link"} aria-current={props.current === "orders" ? "page" : undefined}>{t().orders}</a>
      <a href="/webshop/tjek-ud" class={props.current === "checkout" ? "button-link current" : "button-link"} aria-current={props.current === "checkout" ? "page" : undefined}>{t().checkout} ›</a>
    </nav>
  );
}

export function WebshopPage() {
  onMount(() => {
    loadBasket();
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [days] = createResource(() => trpc.webshop.days.query());
  const [day, setDay] = createSignal<string | null>(null);
  const canteen = () => days()?.[0];
  createEffect(() => {
    const first = canteen()?.days[0];
    if (day() === null && first) setDay(basket.deliveryDay && canteen()!.days.includes(basket.deliveryDay) ? basket.deliveryDay : first);
  });
  const [menu, { refetch }] = createResource(
    () => (canteen() && day() ? { canteenId: canteen()!.canteenId, deliveryDay: day()! } : null),
    (input) => trpc.webshop.menu.query(input),
  );
  // The menu as a store reconciled by product: a refresh (after "Læg i kurven") updates what is left in place instead
  // of rebuilding every row, so a click on the next product's basket button during the refresh is never lost.
  const [products, setProducts] = createStore<Array<NonNullable<ReturnType<typeof menu>>[number]>>([]);
  createEffect(() => {
    const latest = menu.error ? [] : menu();
    if (latest) setProducts(reconcile(latest, { key: "productId" }));
  });
  const categories = createMemo(() => [...new Set(products.map((product) => product.category))]);
  const [notice, setNotice] = createSignal<string | null>(null);

  function add(product: { productId: number; name: string; priceOre: number }) {
    if (basket.deliveryDay !== day() || basket.canteenId !== canteen()!.canteenId) setBasket({ ...emptyBasket(), canteenId: canteen()!.canteenId, deliveryDay: day() });
    const index = basket.lines.findIndex((line) => line.productId === product.productId);
    if (index >= 0) setBasket("lines", index, "quantity", (quantity) => Math.min(MAX_QUANTITY, quantity + 1));
    else setBasket("lines", basket.lines.length, { productId: product.productId, name: product.name, priceOre: product.priceOre, quantity: 1, comment: "" });
    basketChanged();
    setNotice(t().added(product.name));
    void refetch();
  }

  return (
    <section>
      <h1>{t().shopTitle(session.me()?.name ?? "")}</h1>
      <ShopNav />
      <Show when={days.loading}><p role="status">{t().loading}</p></Show>
      <Show when={days() && !canteen()?.days.length}><p>{t().noDays}</p></Show>
      <Show when={canteen()?.days.length}>
        <label for="delivery-day">{t().delivery}</label>
        <select id="delivery-day" value={day() ?? ""} aria-describedby="order-cutoff" onChange={(event) => setDay(event.currentTarget.value)}>
          <For each={canteen()!.days}>{(option) => <option value={option}>{formatDay(option)}</option>}</For>
        </select>
        {/* The cut-off of the chosen day: orders (and cancellations) are taken until then, on the day itself. */}
        <Show when={day() && canteen()?.cutoffTime}>
          <p id="order-cutoff" class="cutoff" data-testid="order-cutoff">
            {t().orderBy(formatClock(canteen()!.cutoffTime!), weekdayName(day()!), formatDay(day()!))}
          </p>
        </Show>
      </Show>
      <Show when={notice()}><p role="status" class="success">{notice()}</p></Show>
      <For each={categories()}>
        {(category) => (
          <section class="category">
            <h2>{category}</h2>
            <ul class="product-list">
              <For each={products.filter((product) => product.category === category)}>
                {(product) => (
                  <li class="product">
                    <ProductPhoto productId={product.productId} photoVersion={product.photoVersion} sizes="104px" />
                    <div class="product-text">
                      <strong>{product.name}</strong>
                      <Show when={product.description}><p>{product.description}</p></Show>
                      <Show when={product.allergens}><small>{t().allergens}: {product.allergens}</small></Show>
                      <p class="price">{formatOre(product.priceOre)}</p>
                      <Show when={product.remaining !== null}>
                        <small>{product.remaining === 0 ? t().soldOut : t().left(product.remaining!)}</small>
                      </Show>
                    </div>
                    <button type="button" aria-label={t().addToBasket(product.name)} disabled={product.remaining === 0} onClick={() => add(product)}>
                      <BasketIcon />
                    </button>
                  </li>
                )}
              </For>
            </ul>
          </section>
        )}
      </For>
    </section>
  );
}

export function CheckoutPage() {
  const navigate = useNavigate();
  onMount(() => {
    loadBasket();
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const total = () => basket.lines.reduce((sum, line) => sum + line.priceOre * line.quantity, 0);
  // The account paid from: the user's own first; a guardian may choose a child's.
  const chosen = useChosenAccount();
  const account = chosen.account;
  function chooseAccount(id: number) {
    chosen.setAccountId(id);
    // Another account makes it another payment: a retry key from the old account must not be reused for it.
    setBasket("idempotencyKey", crypto.randomUUID());
    saveBasket();
  }

  function remove(productId: number) {
    setBasket("lines", (lines) => lines.filter((line) => line.productId !== productId));
    basketChanged();
  }
  /** The steppers: one more or one fewer, between 1 and the most one line may hold (Fjern takes a line away). */
  function step(index: number, by: number) {
    const next = Math.max(1, Math.min(MAX_QUANTITY, basket.lines[index]!.quantity + by));
    if (next === basket.lines[index]!.quantity) return;
    setBasket("lines", index, "quantity", next);
    basketChanged();
  }
  // What the card holds against what the basket costs: a basket that costs more says how much is missing.
  const balanceOre = () => account()?.balanceOre ?? 0;
  const missingOre = () => Math.max(0, total() - balanceOre());

  async function pay() {
    setError(null);
    const paying = account();
    if (!paying || !basket.canteenId || !basket.deliveryDay || basket.lines.length === 0) return;
    setBusy(true);
    try {
      const result = await trpc.webshop.checkout.mutate({
        accountId: paying.accountId,
        canteenId: basket.canteenId,
        deliveryDay: basket.deliveryDay,
        lines: basket.lines.map((line) => ({ productId: line.productId, quantity: line.quantity, ...(line.comment.trim() ? { comment: line.comment.trim() } : {}) })),
        idempotencyKey: basket.idempotencyKey,
      });
      if (result.ok) {
        setBasket(emptyBasket());
        saveBasket();
        navigate(`/webshop/ordrer?ny=${encodeURIComponent(result.order.orderNumber)}`);
      } else {
        setError(t().checkoutDeclined[result.reason] ?? t().error);
        // A declined basket may be changed and paid again: that is a new payment.
        setBasket("idempotencyKey", crypto.randomUUID());
        saveBasket();
      }
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setError(t().error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section>
      <h1>{t().checkout}</h1>
      <ShopNav current="checkout" />
      {/* The customer is whoever holds the account paid from: a child's name when a guardian pays from the child's card. */}
      <p>{t().customer}: {accountHolderName(account())}</p>
      <Show when={session.accounts.length > 1}>
        <AccountSelect id="checkout-account" label={t().payFrom} value={account()?.accountId ?? null} onChange={chooseAccount} withBalance />
      </Show>
      <Show when={basket.lines.length > 0} fallback={<p>{t().emptyBasket} <A href="/webshop">{t().webshop}</A></p>}>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">{t().product}</th>
                <th scope="col" class="number">{t().price}</th>
                <th scope="col" class="number">{t().quantity}</th>
                <th scope="col">{t().date}</th>
                <th scope="col" class="number">{t().lineTotal}</th>
                <th scope="col">{t().comment}</th>
                <th scope="col"><span class="visually-hidden">{t().remove}</span></th>
              </tr>
            </thead>
            <tbody>
              <For each={basket.lines}>
                {(line, index) => (
                  <tr>
                    <td>{line.name}</td>
                    <td class="number">{formatOre(line.priceOre)}</td>
                    <td class="number">
                      <div class="stepper" role="group" aria-label={`${t().quantity} ${line.name}`}>
                        <button type="button" class="secondary" aria-label={t().fewer(line.name)} disabled={line.quantity <= 1 || busy()} onClick={() => step(index(), -1)}>−</button>
                        <output aria-live="polite" data-testid={`quantity-${line.productId}`}>{line.quantity}</output>
                        <button type="button" class="secondary" aria-label={t().more(line.name)} disabled={line.quantity >= MAX_QUANTITY || busy()} onClick={() => step(index(), 1)}>+</button>
                      </div>
                    </td>
                    <td>{formatDay(basket.deliveryDay!)}</td>
                    <td class="number">{formatOre(line.priceOre * line.quantity)}</td>
                    <td>
                      <input
                        aria-label={`${t().comment} ${line.name}`}
                        value={line.comment}
                        maxLength={200}
                        onInput={(event) => {
                          setBasket("lines", index(), "comment", event.currentTarget.value);
                          basketChanged();
                        }}
                      />
                    </td>
                    <td>
                      <button type="button" class="secondary" aria-label={`${t().remove} ${line.name}`} onClick={() => remove(line.productId)}>
                        {t().remove} ✕
                      </button>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
        <p class="total">
          {t().total}: <strong data-testid="checkout-total">{formatOre(total())}</strong>
        </p>
        <Show when={account()}>
          <p class="checkout-balance">
            {t().balance}: <strong data-testid="checkout-balance">{formatOre(balanceOre())}</strong>
          </p>
        </Show>
        <Show when={account() && missingOre() > 0}>
          <p role="alert" class="error" data-testid="checkout-missing">
            {t().missing(formatOre(missingOre()))} <A href={`/indbetal?konto=${account()!.accountId}`}>{t().depositMissing}</A>
          </p>
        </Show>
        <Show when={error()}><p role="alert" class="error">{error()}</p></Show>
        <button type="button" disabled={busy() || missingOre() > 0} onClick={pay}>{busy() ? t().loading : t().pay}</button>
      </Show>
    </section>
  );
}

export function OrdersPage() {
  const [orders, { refetch }] = createResource(() => trpc.orders.list.query());
  const [params] = useSearchParams();
  const placed = () => (typeof params.ny === "string" ? params.ny : null);
  const onOrder = () => void refetch();
  window.addEventListener("kantinekort:order", onOrder);
  onCleanup(() => window.removeEventListener("kantinekort:order", onOrder));
  const [cancelError, setCancelError] = createSignal<string | null>(null);
  async function cancel(orderId: number) {
    if (!(await confirmDialog({ title: t().cancelOrder, message: t().cancelOrderConfirm, confirmLabel: t().cancelOrder, danger: true }))) return;
    setCancelError(null);
    try {
      const result = await trpc.orders.cancel.mutate({ orderId });
      if (!result.ok) setCancelError(t().cancelOrderFailed);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setCancelError(t().error);
    }
    // Refreshed either way: a refused cancel usually means the kitchen has started, which the list should show.
    await Promise.all([refetch(), session.loadAccounts()]).catch(() => undefined);
  }
  return (
    <section>
      <h1>{t().orders}</h1>
      <ShopNav current="orders" />
      <Show when={placed()}>{(number) => <p role="status" class="success">{t().orderPlaced(number())}</p>}</Show>
      <Show when={cancelError()}><p role="alert" class="error">{cancelError()}</p></Show>
      <Show when={orders.loading && !orders()}><p role="status">{t().loading}</p></Show>
      <Show when={orders() && orders()!.length === 0}><p>{t().noOrders}</p></Show>
      <ul class="order-list">
        <For each={orders()}>
          {(order) => (
            <li class="order-card" data-testid={`order-${order.orderNumber}`}>
              <h2>
                {order.orderNumber} · {t().delivery} {formatDay(order.deliveryDay)}
              </h2>
              <p>
                {t().status}: <strong class={`order-status status-${order.status}`} aria-live="polite">{t().orderStatus[order.status]}</strong>
              </p>
              <ul>
                <For each={order.lines}>
                  {(line) => (
                    <li>
                      {line.quantity} × {line.name} ({formatOre(line.lineTotalOre)}){line.comment ? ` – ${line.comment}` : ""}
                    </li>
                  )}
                </For>
              </ul>
              <p>
                {t().total}: {formatOre(order.totalOre)} · <small>{formatDateTime(order.createdAt)}</small>
              </p>
              <Show when={order.cancellable}>
                <p class="cancellable-until">{sentence(t().cancellableUntil(copenhagenClock(order.cancellableUntil), weekdayName(copenhagenDay(order.cancellableUntil)), formatDay(copenhagenDay(order.cancellableUntil))))}</p>
                <button type="button" class="danger" onClick={() => cancel(order.orderId)}>{t().cancelOrder}</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
