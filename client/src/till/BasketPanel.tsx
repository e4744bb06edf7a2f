// The basket beside the products: lines with − and +, the total, the card prompt and the typed card number.
import { For, Show, type JSX } from "solid-js";
import { formatOre } from "../format.ts";
import { tt } from "./i18n.ts";
import type { TillProduct } from "./state.ts";
import type { BasketLine } from "./basket.ts";


export function BasketPanel(props: {
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
