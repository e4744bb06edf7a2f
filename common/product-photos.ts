// Product photos: the widths stored for srcset, the upload bound and the photo's address, shared by client and server (no zod).

/** Each photo is stored at these widths (WebP): a till tile and a phone's shop list use the small ones, a wide screen the large. */
export const PRODUCT_PHOTO_WIDTHS_PX = [160, 320, 640] as const;
/** The most bytes of an uploaded photo (before base64): the browser shrinks a camera photo below this before sending it. */
export const PRODUCT_PHOTO_UPLOAD_BYTES_MAX = 700_000;
/** The largest file staff may choose at all; a larger one is refused in the browser before it is read. */
export const PRODUCT_PHOTO_FILE_BYTES_MAX = 20_000_000;

/** A photo's address at one width; the version is part of it, so a new upload is a new address and caches never go stale. */
export function productPhotoUrl(productId: number, version: number, widthPx: number): string {
  return `/product-photos/${productId}-${version}-${widthPx}.webp`;
}

/** The srcset of a product's photo (every stored width), e.g. for `<img srcset sizes>`. */
export function productPhotoSrcset(productId: number, version: number): string {
  return PRODUCT_PHOTO_WIDTHS_PX.map((widthPx) => `${productPhotoUrl(productId, version, widthPx)} ${widthPx}w`).join(", ");
}

/** The path pattern the server answers: /product-photos/<product id>-<version>-<width>.webp. */
export const PRODUCT_PHOTO_PATH = /^\/product-photos\/(\d{1,12})-(\d{1,12})-(\d{1,5})\.webp$/;
