// The answer to a sale filling the screen (Godkendt, Afvist, Afventer), and the queued sales staff must follow up.
import { For, Show } from "solid-js";
import { language } from "../language.ts";
import { formatDateTime, formatOre } from "../format.ts";
import { tt } from "./i18n.ts";
import type { SaleAnswer, Till, TillHolder } from "./state.ts";
import type { QueuedSale } from "./queue.ts";

/** A sale's answer as shown: with the holder's photo and name when the server has them. */
export type Shown = SaleAnswer & { holder: TillHolder | null; cardNumber: string };

export function AnswerPanel(props: { answer: Shown; offlineLimitOre: number; onNext: () => void; onRetry: () => void }) {
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

export function FollowUp(props: { till: Till }) {
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
