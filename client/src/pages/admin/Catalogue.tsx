// Katalog: the chosen canteen's products (create, edit, reprice, deactivate), its week menus with a portion limit per day,
// week by week with weekday names, and its order cut-off.
import { createMemo, createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre, parseKroner } from "../../format.ts";
import { language } from "../../language.ts";
import { a } from "../../admin-i18n.ts";
import { ConfirmDialog } from "../../components/ConfirmDialog.tsx";
import { ProductPhotoCell } from "./ProductPhotoCell.tsx";
import { type Me, Result, type Outcome, failureText, ListState, rowsOf, canteenOf, CanteenPicker, formKey } from "./shared.tsx";

type Product = Awaited<ReturnType<typeof trpc.backoffice.products.query>>[number];
interface ProductFields {
  name: string;
  category: string;
  price: string;
  allergens: string;
  description: string;
  /** The product's own portion limit per day, whole portions; empty for none. Ticking it onto a day uses it. */
  portionLimit: string;
  active: boolean;
}

const emptyFields = (): ProductFields => ({ name: "", category: "Dagens ret", price: "", allergens: "", description: "", portionLimit: "", active: true });
const fieldsOf = (product: Product): ProductFields => ({
  name: product.name,
  category: product.category,
  price: (product.priceOre / 100).toFixed(2).replace(".", ","),
  allergens: product.allergens ?? "",
  description: product.description ?? "",
  portionLimit: product.portionLimit === null ? "" : String(product.portionLimit),
  active: product.active,
});

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

/** The form's fields → what saveProduct takes, or a message for the field at fault. */
function productInput(fields: ProductFields): { ok: true; priceOre: number; portionLimit: number | null } | { ok: false; text: string } {
  if (!fields.name.trim()) return { ok: false, text: a().productNameRequired };
  const priceOre = parseKroner(fields.price);
  if (priceOre === null) return { ok: false, text: a().badPrice };
  const limit = fields.portionLimit.trim();
  if (limit !== "" && !/^\d{1,5}$/.test(limit)) return { ok: false, text: a().badLimit };
  return { ok: true, priceOre, portionLimit: limit === "" ? null : Number(limit) };
}

function ProductForm(props: { idPrefix: string; fields: ProductFields; onChange: (fields: ProductFields) => void; withActive?: boolean }) {
  const input = (key: "name" | "category" | "price" | "allergens" | "description" | "portionLimit", label: string, extra: { inputmode?: "decimal" | "numeric" } = {}) => (
    <>
      <label for={`${props.idPrefix}-${key}`}>{label}</label>
      <input id={`${props.idPrefix}-${key}`} {...extra} value={props.fields[key]} onInput={(event) => props.onChange({ ...props.fields, [key]: event.currentTarget.value })} />
    </>
  );
  return (
    <>
      {input("name", a().name)}
      {input("category", a().category)}
      {input("price", a().price, { inputmode: "decimal" })}
      {input("allergens", a().allergens)}
      {input("description", a().productDescription)}
      {input("portionLimit", a().productPortionLimit, { inputmode: "numeric" })}
      <Show when={props.withActive}>
        <label class="checkbox">
          <input type="checkbox" checked={props.fields.active} onChange={(event) => props.onChange({ ...props.fields, active: event.currentTarget.checked })} />
          {a().productActiveLabel}
        </label>
      </Show>
    </>
  );
}

export function Catalogue(props: { me: Me }) {
  const canteen = () => canteenOf(props.me);
  const canteenId = () => canteen().canteenId;
  const [allProducts, { refetch }] = createResource(canteenId, (id) => trpc.backoffice.products.query({ canteenId: id }));
  const products = () => rowsOf(allProducts).filter((product) => product.canteenId === canteenId());
  const [result, setResult] = createSignal<Outcome>(null);
  /** Each product's last photo answer, by product id (kept here: a refresh of the list redraws the rows). */
  const [photoResults, setPhotoResults] = createSignal<Record<number, Outcome>>({});

  // Nyt produkt: busy while saving (a double click saves once), emptied after a save, kept with a message after a refusal.
  const [newFields, setNewFields] = createSignal(emptyFields());
  const [creating, setCreating] = createSignal(false);
  // One key per form fill (and canteen): a double click or a retry after a lost answer creates one product.
  const productKey = formKey(() => [canteenId(), newFields()]);
  async function create(event: SubmitEvent) {
    event.preventDefault();
    if (creating()) return;
    const fields = newFields();
    const checked = productInput(fields);
    if (!checked.ok) return setResult({ ok: false, text: checked.text });
    setCreating(true);
    try {
      await trpc.backoffice.saveProduct.mutate({
        canteenId: canteenId(),
        name: fields.name.trim(),
        category: fields.category.trim() || "Dagens ret",
        priceOre: checked.priceOre,
        ...(fields.allergens.trim() ? { allergens: fields.allergens.trim() } : {}),
        ...(fields.description.trim() ? { description: fields.description.trim() } : {}),
        portionLimit: checked.portionLimit,
        active: true,
        idempotencyKey: productKey.key(),
      });
      productKey.next();
      setResult({ ok: true, text: a().productSaved });
      setNewFields(emptyFields());
      void refetch();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setCreating(false);
    }
  }

  // Redigér (name, price, allergens, active) in a dialog; Deaktivér asks first, Aktivér does not.
  const [editing, setEditing] = createSignal<{ product: Product; fields: ProductFields } | null>(null);
  const [deactivating, setDeactivating] = createSignal<Product | null>(null);
  const [dialogBusy, setDialogBusy] = createSignal(false);
  const [dialogError, setDialogError] = createSignal<string | null>(null);
  async function save(product: Product, fields: ProductFields, success: string): Promise<boolean> {
    const checked = productInput(fields);
    if (!checked.ok) {
      setDialogError(checked.text);
      return false;
    }
    setDialogBusy(true);
    setDialogError(null);
    try {
      await trpc.backoffice.saveProduct.mutate({
        productId: product.productId,
        canteenId: product.canteenId,
        name: fields.name.trim(),
        category: fields.category.trim() || product.category,
        priceOre: checked.priceOre,
        ...(fields.allergens.trim() ? { allergens: fields.allergens.trim() } : {}),
        ...(fields.description.trim() ? { description: fields.description.trim() } : {}),
        portionLimit: checked.portionLimit,
        active: fields.active,
        // Required by the procedure; it only matters when creating, so an edit draws a fresh one.
        idempotencyKey: crypto.randomUUID(),
      });
      setResult({ ok: true, text: success });
      return true;
    } catch (error) {
      setDialogError(failureText(error));
      return false;
    } finally {
      setDialogBusy(false);
      void refetch();
    }
  }
  function openEdit(product: Product) {
    setDialogError(null);
    setEditing({ product, fields: fieldsOf(product) });
  }
  /** On or off sale: off sale leaves the menus, the webshop and the tills, and stays in the catalogue. */
  async function setActive(product: Product, active: boolean): Promise<boolean> {
    setDialogBusy(true);
    setDialogError(null);
    try {
      await trpc.backoffice.setProductActive.mutate({ productId: product.productId, active });
      setResult({ ok: true, text: active ? a().productActivated(product.name) : a().productDeactivated(product.name) });
      return true;
    } catch (error) {
      setDialogError(failureText(error));
      if (active) setResult({ ok: false, text: failureText(error) });
      return false;
    } finally {
      setDialogBusy(false);
      void refetch();
      void refetchWeek();
    }
  }
  const activate = (product: Product) => setActive(product, true);

  // The week shown: Monday to Sunday, moved a week at a time; days before today are shown but cannot be changed.
  const [monday, setMonday] = createSignal(mondayOf(today()));
  const days = createMemo(() => Array.from({ length: 7 }, (_, offset) => addDays(monday(), offset)));
  const [week, { refetch: refetchWeek }] = createResource(
    () => ({ canteenId: canteenId(), days: days() }),
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
      await trpc.backoffice.setMenuItem.mutate({ canteenId: canteenId(), deliveryDay: day, productId: product.productId, offered, ...(quantityLimit !== undefined ? { quantityLimit } : {}) });
      setResult({ ok: true, text: a().menuSaved });
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setSavingCell(null);
      // Refetched either way, so a refused change does not leave a cell showing what was never saved.
      void refetchWeek();
    }
  }
  function limitFieldChanged(day: string, product: Product, text: string) {
    const trimmed = text.trim();
    if (trimmed !== "" && !/^\d{1,5}$/.test(trimmed)) return setResult({ ok: false, text: a().badLimit });
    const limit = trimmed === "" ? null : Number(trimmed);
    if ((itemOn(day, product.productId)?.quantityLimit ?? null) !== limit) void setItem(day, product, true, limit);
  }

  const [cutoff, setCutoff] = createSignal<string | null>(null);
  const cutoffValue = () => cutoff() ?? canteen().orderCutoffTime;
  const [savingCutoff, setSavingCutoff] = createSignal(false);
  async function saveCutoff(event: SubmitEvent) {
    event.preventDefault();
    if (savingCutoff()) return;
    setSavingCutoff(true);
    try {
      await trpc.backoffice.setOrderCutoff.mutate({ canteenId: canteenId(), time: cutoffValue() });
      setResult({ ok: true, text: a().cutoffSaved });
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setSavingCutoff(false);
    }
  }

  return (
    <section class="catalogue">
      <h2>{a().catalogue}</h2>
      <CanteenPicker me={props.me} id="catalogue-canteen" />
      <Result value={result()} />

      <h3>{a().productsTitle}</h3>
      <ListState of={allProducts} empty={products().length === 0} emptyText={a().noProducts} />
      <Show when={products().length > 0}>
        <div class="table-scroll">
          <table class="compact" aria-label={a().productsTitle}>
            <thead>
              <tr>
                <th scope="col">{a().name}</th>
                <th scope="col">{a().category}</th>
                <th scope="col" class="number">{a().price}</th>
                <th scope="col">{a().allergens}</th>
                <th scope="col" class="number">{a().portionColumn}</th>
                <th scope="col">{a().status}</th>
                <th scope="col">{a().photoColumn}</th>
                <th scope="col">{a().action}</th>
              </tr>
            </thead>
            <tbody>
              <For each={products()}>
                {(product) => (
                  <tr class={product.active ? undefined : "inactive"} data-testid={`product-${product.productId}`}>
                    <th scope="row">{product.name}</th>
                    <td>{product.category}</td>
                    <td class="number">{formatOre(product.priceOre)}</td>
                    <td>{product.allergens ?? ""}</td>
                    <td class="number">{product.portionLimit ?? "–"}</td>
                    <td>{product.active ? a().productActive : a().productInactive}</td>
                    <td>
                      <ProductPhotoCell
                        product={product}
                        onChanged={() => void refetch()}
                        result={photoResults()[product.productId] ?? null}
                        onResult={(outcome) => setPhotoResults({ ...photoResults(), [product.productId]: outcome })}
                      />
                    </td>
                    <td class="actions">
                      <button type="button" class="secondary" aria-label={a().editProduct(product.name)} onClick={() => openEdit(product)}>{a().edit}</button>
                      <Show
                        when={product.active}
                        fallback={<button type="button" class="secondary" aria-label={a().activateProduct(product.name)} onClick={() => void activate(product)}>{a().activate}</button>}
                      >
                        <button type="button" class="danger" aria-label={a().deactivateProduct(product.name)} onClick={() => { setDialogError(null); setDeactivating(product); }}>{a().deactivate}</button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>

      <form class="card-panel" onSubmit={create} novalidate aria-label={a().newProduct}>
        <h3>{a().newProduct}</h3>
        <ProductForm idPrefix="product" fields={newFields()} onChange={setNewFields} />
        <button type="submit" disabled={creating()} aria-busy={creating() ? "true" : undefined}>{creating() ? a().saving : a().saveProduct}</button>
      </form>

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
            <For each={products().filter((product) => product.active)}>
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

      <form class="card-panel" onSubmit={saveCutoff} aria-label={a().cutoff}>
        <label for="cutoff">{a().cutoff}</label>
        <input id="cutoff" type="time" value={cutoffValue()} onInput={(event) => setCutoff(event.currentTarget.value)} />
        <button type="submit" disabled={savingCutoff()}>{savingCutoff() ? a().saving : a().saveCutoff}</button>
      </form>

      <Show when={editing()}>
        {(open) => (
          <ConfirmDialog
            role="dialog"
            form
            title={a().editProduct(open().product.name)}
            confirmLabel={a().save}
            busy={dialogBusy()}
            error={dialogError()}
            onCancel={() => setEditing(null)}
            onConfirm={async () => {
              if (await save(open().product, open().fields, a().productSaved)) setEditing(null);
            }}
          >
            <div class="dialog-fields">
              <ProductForm idPrefix="edit-product" fields={open().fields} onChange={(fields) => setEditing({ product: open().product, fields })} withActive />
            </div>
          </ConfirmDialog>
        )}
      </Show>
      <Show when={deactivating()}>
        {(product) => (
          <ConfirmDialog
            title={a().deactivateProduct(product().name)}
            message={a().deactivateConfirm(product().name)}
            confirmLabel={a().deactivate}
            danger
            busy={dialogBusy()}
            error={dialogError()}
            onCancel={() => setDeactivating(null)}
            onConfirm={async () => {
              if (await setActive(product(), false)) setDeactivating(null);
            }}
          />
        )}
      </Show>
    </section>
  );
}
