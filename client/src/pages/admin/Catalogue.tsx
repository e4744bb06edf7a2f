// Katalog: the chosen canteen's products (create, edit, reprice, deactivate), its week menus with a portion limit per day,
// week by week with weekday names, and its order cut-off.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { ConfirmDialog } from "../../components/ConfirmDialog.tsx";
import { ProductPhotoCell } from "./ProductPhotoCell.tsx";
import { emptyFields, fieldsOf, ProductForm, productInput, type Product, type ProductFields } from "./ProductForm.tsx";
import { WeekMenu } from "./WeekMenu.tsx";
import { type Me, Result, type Outcome, failureText, ListState, rowsOf, canteenOf, CanteenPicker, formKey } from "./shared.tsx";


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
  /** The week menu's own refetch: a product on or off sale leaves or joins its rows. */
  let refetchWeek = () => {};
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

      <WeekMenu canteenId={canteenId()} products={products().filter((product) => product.active)} onResult={setResult} onRefetch={(refetch) => (refetchWeek = refetch)} />

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
