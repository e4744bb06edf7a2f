// Katalog: products, the week's menu and the order cut-off of a canteen.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { type Me, Result, type Outcome, attempt, ListState, rowsOf, formKey } from "./shared.tsx";

export function Catalogue(props: { me: Me }) {
  const canteenId = props.me.canteens[0]!.canteenId;
  const [products, { refetch }] = createResource(() => trpc.backoffice.products.query());
  const days = Array.from({ length: 7 }, (_, offset) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date(Date.now() + offset * 86_400_000)));
  const [week, { refetch: refetchWeek }] = createResource(() => trpc.backoffice.menuWeek.query({ canteenId, days }));
  const [form, setForm] = createSignal({ name: "", category: "Dagens ret", price: "", allergens: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const [cutoff, setCutoff] = createSignal(props.me.canteens[0]!.orderCutoffTime);
  const productKey = formKey(form);
  async function add(event: SubmitEvent) {
    event.preventDefault();
    const priceOre = Math.round(Number(form().price.replace(",", ".")) * 100);
    if (await attempt(setResult, () => trpc.backoffice.saveProduct.mutate({ canteenId, name: form().name, category: form().category, priceOre, allergens: form().allergens || undefined, active: true, idempotencyKey: productKey.key() }), a().productSaved)) {
      productKey.next();
      void refetch();
    }
  }
  async function toggle(day: string, productId: number, offered: boolean) {
    await attempt(setResult, () => trpc.backoffice.setMenuItem.mutate({ canteenId, deliveryDay: day, productId, offered, quantityLimit: null }), a().menuSaved);
    // Refetched either way, so a refused change does not leave its checkbox showing what was never saved.
    void refetchWeek();
  }
  async function saveCutoff(event: SubmitEvent) {
    event.preventDefault();
    await attempt(setResult, () => trpc.backoffice.setOrderCutoff.mutate({ canteenId, time: cutoff() }), a().cutoffSaved);
  }
  const offeredOn = (day: string, productId: number) => Boolean(!week.error && week()?.[day]?.some((item) => item.productId === productId));
  return (
    <section>
      <h2>{a().catalogue}</h2>
      <form class="card-panel" onSubmit={add} aria-label={a().newProduct}>
        <label for="product-name">{a().name}</label>
        <input id="product-name" value={form().name} onInput={(event) => setForm({ ...form(), name: event.currentTarget.value })} />
        <label for="product-category">{a().category}</label>
        <input id="product-category" value={form().category} onInput={(event) => setForm({ ...form(), category: event.currentTarget.value })} />
        <label for="product-price">{a().price}</label>
        <input id="product-price" inputmode="decimal" value={form().price} onInput={(event) => setForm({ ...form(), price: event.currentTarget.value })} />
        <label for="product-allergens">{a().allergens}</label>
        <input id="product-allergens" value={form().allergens} onInput={(event) => setForm({ ...form(), allergens: event.currentTarget.value })} />
        <button type="submit">{a().saveProduct}</button>
      </form>
      <Result value={result()} />
      <form class="card-panel" onSubmit={saveCutoff}>
        <label for="cutoff">{a().cutoff}</label>
        <input id="cutoff" value={cutoff()} onInput={(event) => setCutoff(event.currentTarget.value)} />
        <button type="submit">{a().saveCutoff}</button>
      </form>
      <ListState of={products} empty={rowsOf(products).length === 0} emptyText={a().noProducts} />
      <Show when={week.error}><p role="alert" class="error">{a().loadFailed}</p></Show>
      <div class="table-scroll">
        <table aria-label={a().weekMenu}>
          <thead>
            <tr>
              <th scope="col">{a().product}</th>
              <For each={days}>{(day) => <th scope="col">{day.slice(5)}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <For each={rowsOf(products)}>
              {(product) => (
                <tr>
                  <th scope="row">{product.name} ({formatOre(product.priceOre)})</th>
                  <For each={days}>
                    {(day) => (
                      <td>
                        <input type="checkbox" aria-label={`${product.name} ${day}`} checked={offeredOn(day, product.productId)} onChange={(event) => toggle(day, product.productId, event.currentTarget.checked)} />
                      </td>
                    )}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}
