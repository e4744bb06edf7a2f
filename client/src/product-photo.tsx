// A product's photo in the webshop and at the till: responsive srcset, lazy, a fixed 4:3 box, and a neat placeholder
// when there is none or it cannot load (offline at the till); decoration only, so it never holds up a sale or an order.
import { createSignal, Show } from "solid-js";
import { PRODUCT_PHOTO_WIDTHS_PX, productPhotoSrcset, productPhotoUrl } from "../../common/product-photos.ts";

export function ProductPhoto(props: { productId: number; photoVersion: number | null | undefined; sizes: string; class?: string }) {
  const [failed, setFailed] = createSignal(false);
  const version = () => (failed() ? null : (props.photoVersion ?? null));
  return (
    <Show
      when={version()}
      fallback={
        <span class={`product-photo placeholder ${props.class ?? ""}`} aria-hidden="true" data-testid="product-photo-placeholder">
          <svg viewBox="0 0 24 24" width="28" height="28">
            <path fill="currentColor" d="M12 4a8 8 0 1 0 0 16 8 8 0 0 0 0-16zm0 2a6 6 0 1 1 0 12 6 6 0 0 1 0-12zm0 2.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zM2 3h1.5v6.5a1.5 1.5 0 0 1-.75 1.3V21H1.25V10.8A1.5 1.5 0 0 1 .5 9.5V3H2v5h.5V3zm19.5 0c1.1 0 2 1.8 2 4.5 0 2-.6 3.4-1.25 4V21H20.75V3z" />
          </svg>
        </span>
      }
    >
      {(current) => (
        <img
          class={`product-photo ${props.class ?? ""}`}
          src={productPhotoUrl(props.productId, current(), PRODUCT_PHOTO_WIDTHS_PX[1])}
          srcset={productPhotoSrcset(props.productId, current())}
          sizes={props.sizes}
          width="320"
          height="240"
          loading="lazy"
          decoding="async"
          alt=""
          data-testid="product-photo"
          onError={() => setFailed(true)}
        />
      )}
    </Show>
  );
}
