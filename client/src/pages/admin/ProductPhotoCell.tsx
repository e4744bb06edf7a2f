// Katalog's photo cell of one product: its thumbnail or "Intet foto", Vælg foto (checked and shrunk here, re-encoded by the server), Fjern foto.
import { createSignal, createUniqueId, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { a } from "../../admin-i18n.ts";
import { shrinkPhoto } from "../../photo-upload.ts";
import { PRODUCT_PHOTO_FILE_BYTES_MAX, PRODUCT_PHOTO_UPLOAD_BYTES_MAX, productPhotoUrl } from "../../../../common/product-photos.ts";
import { Result, type Outcome, failureText } from "./shared.tsx";

/** Longest side sent to the server: twice the largest stored width, so the 640 px copy is made from a sharper one. */
const UPLOAD_SIDE_PX = 1280;

/**
 * `result` and `onResult` live with the catalogue: a saved photo refreshes the product list, which draws the row anew,
 * and the row's answer must survive that.
 */
export function ProductPhotoCell(props: { product: { productId: number; name: string; photoVersion: number | null }; onChanged: () => void; result: Outcome; onResult: (outcome: Outcome) => void }) {
  const [busy, setBusy] = createSignal(false);
  const setResult = (outcome: Outcome) => props.onResult(outcome);
  const inputId = createUniqueId();

  async function choose(event: Event & { currentTarget: HTMLInputElement }) {
    const input = event.currentTarget;
    const file = input.files?.[0];
    // The same file chosen again after a refusal must fire a change event again.
    input.value = "";
    if (!file || busy()) return;
    setResult(null);
    setBusy(true);
    try {
      const shrunk = await shrinkPhoto(file, { maxSidePx: UPLOAD_SIDE_PX, fileBytesMax: PRODUCT_PHOTO_FILE_BYTES_MAX, uploadBytesMax: PRODUCT_PHOTO_UPLOAD_BYTES_MAX });
      if (!shrunk.ok) {
        const text = { wrong_type: a().photoWrongType, too_large: a().photoTooLarge(PRODUCT_PHOTO_FILE_BYTES_MAX / 1_000_000), unreadable: a().photoUnreadable }[shrunk.reason];
        return setResult({ ok: false, text });
      }
      await trpc.backoffice.uploadProductPhoto.mutate({ productId: props.product.productId, dataUrl: shrunk.dataUrl });
      setResult({ ok: true, text: a().photoSaved(props.product.name) });
      props.onChanged();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    if (busy()) return;
    setBusy(true);
    setResult(null);
    try {
      await trpc.backoffice.removeProductPhoto.mutate({ productId: props.product.productId });
      setResult({ ok: true, text: a().photoRemoved(props.product.name) });
      props.onChanged();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="product-photo-cell" aria-busy={busy() ? "true" : undefined}>
      <Show when={props.product.photoVersion} fallback={<span class="no-photo">{a().noPhoto}</span>}>
        {(version) => <img src={productPhotoUrl(props.product.productId, version(), 160)} width="64" height="48" alt={a().photoOf(props.product.name)} loading="lazy" />}
      </Show>
      <label class="button-link file-label" for={inputId} aria-label={a().choosePhotoFor(props.product.name)}>{busy() ? a().photoUploading : a().choosePhoto}</label>
      <input id={inputId} class="visually-hidden" type="file" accept="image/jpeg,image/png,image/webp" disabled={busy()} onChange={choose} />
      <Show when={props.product.photoVersion}>
        <button type="button" class="secondary" aria-label={a().removePhotoFor(props.product.name)} disabled={busy()} onClick={() => void remove()}>{a().removePhoto}</button>
      </Show>
      <Result value={props.result} />
    </div>
  );
}
