// The kitchen screen: a wall TV read from three metres, no keyboard. Live queue by status, counts to prepare, big text,
// a new-order cue that stays until acknowledged (with sound once the screen has been touched), cancelled orders marked.
import { createEffect, createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { kt as t } from "../kitchen-i18n.ts";
import { errorCode, trpc } from "../trpc.ts";
import { formatDay } from "../format.ts";
import { KITCHEN_CANCELLED_SHOWN_MS } from "../../../common/orders.ts";

type Queue = Awaited<ReturnType<typeof trpc.kitchen.queue.query>>;
type Order = Queue["orders"][number];

const TIME_ZONE = "Europe/Copenhagen";
const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: TIME_ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
// The screen hangs in a Danish kitchen whatever the browser's own time zone is: every time it shows is Copenhagen's.
const clockFormat = new Intl.DateTimeFormat("da-DK", { timeZone: TIME_ZONE, hour: "2-digit", minute: "2-digit" });
const dateFormat = new Intl.DateTimeFormat("da-DK", { timeZone: TIME_ZONE, day: "2-digit", month: "2-digit" });

function copenhagenDay(ms: number): string {
  return dayFormat.format(new Date(ms));
}

function todayInCopenhagen(): string {
  return copenhagenDay(Date.now());
}

/** When the order came in: the time of day, with the date in front when it was not today. */
function orderTime(createdAt: number, nowMs: number): string {
  const time = clockFormat.format(new Date(createdAt));
  return copenhagenDay(createdAt) === copenhagenDay(nowMs) ? time : `${dateFormat.format(new Date(createdAt))} ${time}`;
}

/** How long an order has waited, in whole minutes; never negative when the screen's clock is a little behind the server's. */
function waitedMinutes(createdAt: number, nowMs: number): number {
  return Math.max(0, Math.floor((nowMs - createdAt) / 60_000));
}

/**
 * The chosen day is kept in the browser, so a reload (a power cut, a staff member pressing F5) shows the same day
 * again. A stored day that has passed means today.
 */
const DAY_STORAGE_KEY = "kantinekort.kitchen.day";
function storedDay(today: string): string {
  const stored = localStorage.getItem(DAY_STORAGE_KEY);
  return stored && /^\d{4}-\d{2}-\d{2}$/.test(stored) && stored >= today ? stored : today;
}

/**
 * One audio context for the screen's life, made at the first beep: a context per order would pile up on a screen that
 * runs for days (browsers cap how many may exist). Browsers may keep it muted until the screen has been touched once.
 */
let audio: AudioContext | null = null;

/**
 * Browsers only play sound after the page has been touched once. The first touch (or key) makes the audio context
 * inside that gesture, which unlocks it for the rest of the screen's life; until then the screen says it is muted.
 */
function unlockAudio(): boolean {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") void audio.resume().catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** Two short beeps for a new order. */
function beep(): void {
  if (!audio) return;
  try {
    for (const [offset, frequency] of [[0, 880], [0.25, 1175]] as const) {
      const oscillator = audio.createOscillator();
      oscillator.frequency.value = frequency;
      oscillator.connect(audio.destination);
      oscillator.start(audio.currentTime + offset);
      oscillator.stop(audio.currentTime + offset + 0.18);
    }
  } catch {
    // No audio available: the visual cue still shows.
  }
}

function SignIn(props: { onDone: () => void }) {
  const [token, setToken] = createSignal("");
  const [wrong, setWrong] = createSignal(false);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const result = await trpc.kitchen.login.mutate({ token: token().trim() }).catch(() => ({ ok: false as const }));
    if (result.ok) props.onDone();
    else setWrong(true);
  }
  return (
    <form class="card-panel kitchen-signin" onSubmit={submit} novalidate>
      <h1>{t().kitchenTitle}</h1>
      <label for="kitchen-token">{t().kitchenToken}</label>
      <input id="kitchen-token" type="password" value={token()} onInput={(event) => setToken(event.currentTarget.value)} />
      <Show when={wrong()}><p role="alert" class="error">{t().kitchenWrongToken}</p></Show>
      <button type="submit">{t().kitchenSignIn}</button>
    </form>
  );
}

export function KitchenPage() {
  const [day, setDaySignal] = createSignal(storedDay(todayInCopenhagen()));
  const setDay = (next: string) => {
    localStorage.setItem(DAY_STORAGE_KEY, next);
    setDaySignal(next);
  };
  const [queue, { refetch }] = createResource(day, async (deliveryDay) => {
    try {
      return await trpc.kitchen.queue.query({ deliveryDay });
    } catch (error) {
      if (errorCode(error) === "UNAUTHORIZED") return null;
      throw error;
    }
  });
  const [orders, setOrders] = createStore<Order[]>([]);
  // New orders that nobody has acknowledged yet: the cue stays until someone presses "Set".
  const [unseen, setUnseen] = createSignal<string[]>([]);
  const [soundOn, setSoundOn] = createSignal(false);
  const [clock, setClock] = createSignal(new Date());
  const onFirstTouch = () => {
    if (unlockAudio()) setSoundOn(true);
    document.removeEventListener("pointerdown", onFirstTouch, true);
    document.removeEventListener("keydown", onFirstTouch, true);
  };
  document.addEventListener("pointerdown", onFirstTouch, true);
  document.addEventListener("keydown", onFirstTouch, true);
  const [pickup, setPickup] = createSignal("");
  const [pickupResult, setPickupResult] = createSignal<string | null>(null);
  // A wall screen runs for days without a reload: at midnight (Copenhagen) a screen showing today moves on to the
  // new today, with a fresh queue and stream; one showing tomorrow is then showing today and stays.
  // The day buttons compare against this signal, not a value read once at render, so after midnight "I dag" and
  // "I morgen" mean the new today and tomorrow.
  const [today, setToday] = createSignal(todayInCopenhagen());
  const tomorrowOf = (day: string) => {
    const [year, month, date] = day.split("-").map(Number) as [number, number, number];
    return new Date(Date.UTC(year, month - 1, date + 1)).toISOString().slice(0, 10);
  };
  const timer = setInterval(() => {
    setClock(new Date());
    // A cancelled order has been shown long enough: it leaves the screen now.
    const expired = (order: Order) => order.status === "cancelled" && Date.now() - order.updatedAt >= KITCHEN_CANCELLED_SHOWN_MS;
    if (orders.some(expired)) setOrders((list) => list.filter((order) => !expired(order)));
    const now = todayInCopenhagen();
    if (now === today()) return;
    if (day() === today()) setDay(now);
    setToday(now);
  }, 1_000);
  let stream: { unsubscribe(): void } | null = null;
  onCleanup(() => {
    clearInterval(timer);
    stream?.unsubscribe();
    document.removeEventListener("pointerdown", onFirstTouch, true);
    document.removeEventListener("keydown", onFirstTouch, true);
  });

  // Each loaded queue starts one live stream for its day; tRPC resumes it from the last event id after a drop.
  const start = (loaded: Queue) => {
    setOrders(reconcile(loaded.orders));
    setUnseen([]);
    stream?.unsubscribe();
    stream = trpc.kitchen.onQueue.subscribe(
      { deliveryDay: loaded.deliveryDay, lastEventId: String(loaded.lastSeq) },
      {
        onData: (envelope) => {
          const order = envelope.data.order;
          const index = orders.findIndex((candidate) => candidate.orderId === order.orderId);
          // A cancelled order stays, marked Annulleret, until KITCHEN_CANCELLED_SHOWN_MS has passed.
          if (order.status === "cancelled") setUnseen((list) => list.filter((number) => number !== order.orderNumber));
          if (index >= 0) setOrders(index, reconcile(order));
          else if (order.status !== "cancelled") {
            setOrders(orders.length, order);
            setUnseen((list) => [...list, order.orderNumber]);
            if (soundOn()) beep();
          }
        },
      },
    );
  };

  // Every newly loaded queue (first load, another day) replaces the list and the stream.
  createEffect(() => {
    const loaded = queue();
    if (loaded) start(loaded);
  });

  const counts = () => {
    const totals = new Map<string, number>();
    // "Skal laves" is what is still to be made: orders already Klar are done.
    for (const order of orders) if (order.status === "received" || order.status === "in_progress") for (const line of order.lines) totals.set(line.name, (totals.get(line.name) ?? 0) + line.quantity);
    return [...totals].sort((a, b) => b[1] - a[1]);
  };

  const [actionError, setActionError] = createSignal<string | null>(null);

  async function move(order: Order, to: "in_progress" | "ready" | "delivered") {
    setActionError(null);
    try {
      const result = await trpc.kitchen.advance.mutate({ orderId: order.orderId, to });
      if (result.ok) return;
    } catch {
      // Shown below; the refreshed queue tells the kitchen where the order really is.
    }
    setActionError(t().kitchenMoveFailed);
    void refetch();
  }

  async function handOut(event: SubmitEvent) {
    event.preventDefault();
    const value = pickup().trim();
    try {
      const result = await trpc.kitchen.deliver.mutate(/^O-/i.test(value) ? { orderNumber: value.toUpperCase() } : { cardNumber: value });
      setPickupResult(t().delivered(result.delivered.join(", ")));
      setPickup("");
    } catch {
      setPickupResult(t().error);
    }
  }

  // Only a received order can be cancelled, so a cancelled one stays where the kitchen last saw it: in Modtaget.
  const inColumn = (order: Order, status: "received" | "in_progress" | "ready") => order.status === status || (status === "received" && order.status === "cancelled");
  const column = (status: "received" | "in_progress" | "ready", action: { label: string; to: "in_progress" | "ready" | "delivered" }) => (
    <section class={`kitchen-column column-${status}`} aria-label={t().orderStatus[status]}>
      <h2>{t().orderStatus[status]} ({orders.filter((order) => order.status === status).length})</h2>
      <For each={orders.filter((order) => inColumn(order, status))}>
        {(order) => (
          <article
            class="kitchen-order"
            classList={{ unseen: unseen().includes(order.orderNumber), cancelled: order.status === "cancelled" }}
            aria-label={order.orderNumber}
          >
            <div class="order-head">
              <h3 class="order-number">{order.orderNumber}</h3>
              <p class="order-time">
                <time dateTime={new Date(order.createdAt).toISOString()}>{orderTime(order.createdAt, clock().getTime())}</time>
                <Show when={order.status !== "cancelled"}>
                  {" · "}
                  <span class="waited">{t().kitchenWaited(waitedMinutes(order.createdAt, clock().getTime()))}</span>
                </Show>
              </p>
            </div>
            <Show when={order.cardholderName}><p class="order-holder">{order.cardholderName}</p></Show>
            <Show when={order.status === "cancelled"}><p class="cancelled-label" role="status">{t().orderStatus.cancelled}</p></Show>
            <ul class="order-lines">
              <For each={order.lines}>
                {(line) => (
                  <li>
                    <span class="order-line">{line.quantity} × {line.name}</span>
                    {/* Comments are often allergies: they must be impossible to miss from across the kitchen. */}
                    <Show when={line.comment}><strong class="comment"><span aria-hidden="true">⚠ </span>{line.comment}</strong></Show>
                  </li>
                )}
              </For>
            </ul>
            <Show when={order.status !== "cancelled"}>
              <button type="button" class="big" onClick={() => move(order, action.to)}>{action.label}</button>
            </Show>
          </article>
        )}
      </For>
    </section>
  );

  return (
    <div class="kitchen" classList={{ flash: unseen().length > 0 }} data-sound={soundOn() ? "on" : "muted"}>
      <Show when={queue.state === "ready" && queue() === null}>
        <SignIn onDone={() => void refetch()} />
      </Show>
      <Show when={queue()}>
        {(loaded) => {
          return (
            <>
              <header class="kitchen-header">
                <h1>{loaded().screen.canteenName} · {formatDay(loaded().deliveryDay)}</h1>
                <div class="day-switch" role="group" aria-label={t().delivery}>
                  <button type="button" class={day() === today() ? "big active" : "big secondary"} onClick={() => setDay(today())}>{t().today}</button>
                  <button type="button" class={day() === tomorrowOf(today()) ? "big active" : "big secondary"} onClick={() => setDay(tomorrowOf(today()))}>{t().tomorrow}</button>
                </div>
                <time class="clock" aria-label={t().kitchenClock}>{clockFormat.format(clock())}</time>
              </header>
              <Show when={!soundOn()}><p class="sound-muted" role="status">{t().kitchenMuted}</p></Show>
              <Show when={unseen().length > 0}>
                <div class="new-order" role="alert">
                  <span>{t().newOrders(unseen().join(", "))}</span>
                  <button type="button" class="big" onClick={() => setUnseen([])}>{t().acknowledge}</button>
                </div>
              </Show>
              <Show when={actionError()}><p role="alert" class="error">{actionError()}</p></Show>
              <section class="prep" aria-label={t().toPrepare}>
                <h2>{t().toPrepare}</h2>
                <ul>
                  <For each={counts()}>{([name, quantity]) => <li>{quantity} × {name}</li>}</For>
                </ul>
              </section>
              <div class="kitchen-columns">
                {column("received", { label: t().startOrder, to: "in_progress" })}
                {column("in_progress", { label: t().markReady, to: "ready" })}
                {column("ready", { label: t().markDelivered, to: "delivered" })}
              </div>
              <form class="pickup" onSubmit={handOut}>
                <label for="pickup">{t().pickup}</label>
                <input id="pickup" value={pickup()} onInput={(event) => setPickup(event.currentTarget.value)} />
                <button type="submit" class="big">{t().pickupButton}</button>
                <Show when={pickupResult()}><p role="status">{pickupResult()}</p></Show>
              </form>
            </>
          );
        }}
      </Show>
    </div>
  );
}
