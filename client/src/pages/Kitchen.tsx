// The kitchen screen: a wall browser with no keyboard. Live queue by status, counts to prepare, big buttons, a cue and a clock.
import { createEffect, createResource, createSignal, For, onCleanup, Show } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { t } from "../i18n.ts";
import { errorCode, trpc } from "../trpc.ts";
import { formatDay } from "./Webshop.tsx";

type Queue = Awaited<ReturnType<typeof trpc.kitchen.queue.query>>;
type Order = Queue["orders"][number];

function todayInCopenhagen(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/**
 * One audio context for the screen's life, made at the first beep: a context per order would pile up on a screen that
 * runs for days (browsers cap how many may exist). Browsers may keep it muted until the screen has been touched once.
 */
let audio: AudioContext | null = null;

/** A short beep for a new order. */
function beep(): void {
  try {
    audio ??= new AudioContext();
    if (audio.state === "suspended") void audio.resume().catch(() => undefined);
    const oscillator = audio.createOscillator();
    oscillator.frequency.value = 880;
    oscillator.connect(audio.destination);
    oscillator.start();
    oscillator.stop(audio.currentTime + 0.2);
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
  const [day, setDay] = createSignal(todayInCopenhagen());
  const [queue, { refetch }] = createResource(day, async (deliveryDay) => {
    try {
      return await trpc.kitchen.queue.query({ deliveryDay });
    } catch (error) {
      if (errorCode(error) === "UNAUTHORIZED") return null;
      throw error;
    }
  });
  const [orders, setOrders] = createStore<Order[]>([]);
  const [flash, setFlash] = createSignal(false);
  const [clock, setClock] = createSignal(new Date());
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
    const now = todayInCopenhagen();
    if (now === today()) return;
    if (day() === today()) setDay(now);
    setToday(now);
  }, 1_000);
  let stream: { unsubscribe(): void } | null = null;
  onCleanup(() => {
    clearInterval(timer);
    stream?.unsubscribe();
  });

  // Each loaded queue starts one live stream for its day; tRPC resumes it from the last event id after a drop.
  const start = (loaded: Queue) => {
    setOrders(reconcile(loaded.orders));
    stream?.unsubscribe();
    stream = trpc.kitchen.onQueue.subscribe(
      { deliveryDay: loaded.deliveryDay, lastEventId: String(loaded.lastSeq) },
      {
        onData: (envelope) => {
          const order = envelope.data.order;
          const index = orders.findIndex((candidate) => candidate.orderId === order.orderId);
          if (order.status === "cancelled") setOrders((list) => list.filter((candidate) => candidate.orderId !== order.orderId));
          else if (index >= 0) setOrders(index, reconcile(order));
          else {
            setOrders(orders.length, order);
            setFlash(true);
            setTimeout(() => setFlash(false), 2_000);
            beep();
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

  const column = (status: "received" | "in_progress" | "ready", action: { label: string; to: "in_progress" | "ready" | "delivered" }) => (
    <section class={`kitchen-column column-${status}`} aria-label={t().orderStatus[status]}>
      <h2>{t().orderStatus[status]} ({orders.filter((order) => order.status === status).length})</h2>
      <For each={orders.filter((order) => order.status === status)}>
        {(order) => (
          <article class="kitchen-order" aria-label={order.orderNumber}>
            <h3>{order.orderNumber} · {order.cardholderName ?? ""}</h3>
            <ul>
              <For each={order.lines}>
                {(line) => (
                  <li>
                    <strong>{line.quantity} × {line.name}</strong>
                    <Show when={line.comment}><em class="comment"> – {line.comment}</em></Show>
                  </li>
                )}
              </For>
            </ul>
            <button type="button" class="big" onClick={() => move(order, action.to)}>{action.label}</button>
          </article>
        )}
      </For>
    </section>
  );

  return (
    <div class={flash() ? "kitchen flash" : "kitchen"}>
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
                <time class="clock" aria-label="Klokken">{clock().toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" })}</time>
              </header>
              <Show when={flash()}><p role="status" class="new-order">{t().newOrder}!</p></Show>
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
