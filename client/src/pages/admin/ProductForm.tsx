// A product's fields in the catalogue (Nyt produkt and Redigér): the form, and its text → what saveProduct takes.
import { Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { parseKroner } from "../../format.ts";
import { a } from "../../admin-i18n.ts";

export type Product = Awaited<ReturnType<typeof trpc.backoffice.products.query>>[number];
export interface ProductFields {
  name: string;
  category: string;
  price: string;
  allergens: string;
  description: string;
  /** The product's own portion limit per day, whole portions; empty for none. Ticking it onto a day uses it. */
  portionLimit: string;
  active: boolean;
}

export const emptyFields = (): ProductFields => ({ name: "", category: "Dagens ret", price: "", allergens: "", description: "", portionLimit: "", active: true });
export const fieldsOf = (product: Product): ProductFields => ({
  name: product.name,
  category: product.category,
  price: (product.priceOre / 100).toFixed(2).replace(".", ","),
  allergens: product.allergens ?? "",
  description: product.description ?? "",
  portionLimit: product.portionLimit === null ? "" : String(product.portionLimit),
  active: product.active,
});

/** The form's fields → what saveProduct takes, or a message for the field at fault. */
export function productInput(fields: ProductFields): { ok: true; priceOre: number; portionLimit: number | null } | { ok: false; text: string } {
  if (!fields.name.trim()) return { ok: false, text: a().productNameRequired };
  const priceOre = parseKroner(fields.price);
  if (priceOre === null) return { ok: false, text: a().badPrice };
  const limit = fields.portionLimit.trim();
  if (limit !== "" && !/^\d{1,5}$/.test(limit)) return { ok: false, text: a().badLimit };
  return { ok: true, priceOre, portionLimit: limit === "" ? null : Number(limit) };
}

export function ProductForm(props: { idPrefix: string; fields: ProductFields; onChange: (fields: ProductFields) => void; withActive?: boolean }) {
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
