// Afhentning: today's webshop orders handed over by order number or card.
import { createEffect, createSignal, For, on, Show } from "solid-js";
import { formatOre } from "../format.ts";
import { tt } from "./i18n.ts";
import { failureKind } from "./api.ts";
import type { Till } from "./state.ts";

type PickupAnswer = Awaited<ReturnType<Till["client"]["till"]["pickup"]["mutate"]>>;

export function PickupView(props: { till: Till; cardRead: () => { cardNumber: string; at: number } | null }) {
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
