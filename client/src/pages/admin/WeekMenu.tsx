// Katalog → Ugemenu: the canteen's products offered per day, Monday to Sunday, a week at a time, with a portion
// limit per day; days before today are shown but cannot be changed.
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { language } from "../../language.ts";
import { a } from "../../admin-i18n.ts";
import { failureText, type Outcome } from "./shared.tsx";
import type { Product } from "./ProductForm.tsx";

const DAY_MS = 86_400_000;
/** Today in Copenhagen, "2026-12-02". */
const today = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date());
/** A calendar day moved by whole days (noon UTC keeps daylight-saving changes out of it). */
function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T12:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
/** The Monday of the week a day falls in. */
function mondayOf(day: string): string {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((weekday + 6) % 7));
}
/** ISO week number. */
function weekNumber(day: string): number {
  const date = new Date(`${day}T12:00:00Z`);
  const thursday = new Date(date.getTime() + (3 - ((date.getUTCDay() + 6) % 7)) * DAY_MS);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return Math.floor((thursday.getTime() - yearStart) / DAY_MS / 7) + 1;
}
const locale = () => (language() === "en" ? "en-GB" : "da-DK");
const weekdayShort = (day: string) => new Intl.DateTimeFormat(locale(), { weekday: "short", timeZone: "UTC" }).format(new Date(`${day}T12:00:00Z`)).replace(/\.$/, "");
const weekdayLong = (day: string) => new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" }).format(new Date(`${day}T12:00:00Z`));
const dayMonth = (day: string) => `${day.slice(8, 10)}-${day.slice(5, 7)}`;

export function WeekMenu(props: { canteenId: number; products: Product[]; onResult: (outcome: Outcome) => void; onRefetch: (refetch: () => void) => void }) {
  // The week shown: Monday to Sunday, moved a week at a time; days before today are shown but cannot be changed.
  const [monday, setMonday] = createSignal(mondayOf(today()));
  const days = createMemo(() => Array.from({ length: 7 }, (_, offset) => addDays(monday(), offset)));
  const [week, { refetch: refetchWeek }] = createResource(
    () => ({ canteenId: props.canteenId, days: days() }),
    (input) => trpc.backoffice.menuWeek.query(input),
  );
  const itemOn = (day: string, productId: number) => (week.error ? undefined : week()?.find((entry) => entry.day === day)?.items.find((item) => item.productId === productId));
  const [savingCell, setSavingCell] = createSignal<string | null>(null);
  /**
   * One menu cell: offered or not, and its portion limit. Ticked without a limit the server keeps the day's limit, or
   * gives a newly ticked product its own portion limit; a limit typed in the cell is sent as it is.
   */
  async function setItem(day: string, product: Product, offered: boolean, quantityLimit?: number | null) {
    const cell = `${day}:${product.productId}`;
    setSavingCell(cell);
    try {
      await trpc.backoffice.setMenuItem.mutate({ canteenId: props.canteenId, deliveryDay: day, productId: product.productId, offered, ...(quantityLimit !== undefined ? { quantityLimit } : {}) });
      props.onResult({ ok: true, text: a().menuSaved });
    } catch (error) {
      props.onResult({ ok: false, text: failureText(error) });
    } finally {
      setSavingCell(null);
      // Refetched either way, so a refused change does not leave a cell showing what was never saved.
      void refetchWeek();
    }
  }
  function limitFieldChanged(day: string, product: Product, text: string) {
    const trimmed = text.trim();
    if (trimmed !== "" && !/^\d{1,5}$/.test(trimmed)) return props.onResult({ ok: false, text: a().badLimit });
    const limit = trimmed === "" ? null : Number(trimmed);
    if ((itemOn(day, product.productId)?.quantityLimit ?? null) !== limit) void setItem(day, product, true, limit);
  }
  props.onRefetch(() => void refetchWeek());

  return (
    <>
      <h3 id="week-menu-title">{a().weekMenu}</h3>
      <div class="week-nav" role="group" aria-label={a().weekNavigation}>
        <button type="button" class="secondary" onClick={() => setMonday(addDays(monday(), -7))}>‹ {a().previousWeek}</button>
        <strong data-testid="week-label">{a().weekLabel(weekNumber(monday()), dayMonth(monday()), dayMonth(addDays(monday(), 6)))}</strong>
        <button type="button" class="secondary" disabled={monday() === mondayOf(today())} onClick={() => setMonday(mondayOf(today()))}>{a().thisWeek}</button>
        <button type="button" class="secondary" onClick={() => setMonday(addDays(monday(), 7))}>{a().nextWeek} ›</button>
      </div>
      <p class="hint">{a().portionHint}</p>
      <Show when={week.error}><p role="alert" class="error">{a().loadFailed}</p></Show>
      <div class="table-scroll">
        <table class="week-menu compact" aria-labelledby="week-menu-title">
          <thead>
            <tr>
              <th scope="col">{a().product}</th>
              <For each={days()}>
                {(day) => (
                  <th scope="col" class={day === today() ? "today" : undefined}>
                    <abbr title={weekdayLong(day)}>{weekdayShort(day)}</abbr> {dayMonth(day)}
                  </th>
                )}
              </For>
            </tr>
          </thead>
          <tbody>
            <For each={props.products}>
              {(product) => (
                <tr>
                  <th scope="row">
                    {product.name} ({formatOre(product.priceOre)})
                    <Show when={product.portionLimit !== null}><small>{a().defaultLimit(product.portionLimit!)}</small></Show>
                  </th>
                  <For each={days()}>
                    {(day) => {
                      const item = () => itemOn(day, product.productId);
                      const past = () => day < today();
                      const busy = () => savingCell() === `${day}:${product.productId}`;
                      const label = `${product.name} ${weekdayLong(day)} ${dayMonth(day)}`;
                      return (
                        <td class={item() ? "offered" : undefined}>
                          <input
                            type="checkbox"
                            aria-label={label}
                            checked={Boolean(item())}
                            disabled={past() || busy()}
                            onChange={(event) => void setItem(day, product, event.currentTarget.checked)}
                          />
                          <Show when={item()}>
                            <input
                              class="portion-limit"
                              inputmode="numeric"
                              aria-label={a().portionLimitLabel(label)}
                              placeholder="∞"
                              value={item()!.quantityLimit ?? ""}
                              disabled={past() || busy()}
                              onChange={(event) => limitFieldChanged(day, product, event.currentTarget.value)}
                            />
                            <Show when={item()!.ordered > 0}>
                              <small class="ordered" title={a().orderedTitle}>{a().ordered(item()!.ordered)}</small>
                            </Show>
                          </Show>
                        </td>
                      );
                    }}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </>
  );
}
