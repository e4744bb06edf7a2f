// Product photos: staff replace or remove a product's photo (stored re-encoded at PRODUCT_PHOTO_WIDTHS_PX); anyone reads one.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { PRODUCT_PHOTO_WIDTHS_PX } from "../../../common/product-photos.ts";
import type { EncodedImage } from "../../images.ts";
import { audit, type Actor } from "./shared.ts";

/** The product, if it belongs to one of the staff member's canteens (another school's product is as unknown as none). */
function ownProduct(tx: Tx, actor: Actor, productId: number): { name: string; photoVersion: number | null } | null {
  const row = tx.first(
    db
      .selectFrom("products as p")
      .innerJoin("canteens as c", "c.id", "p.canteen_id")
      .select(["p.name", "p.photo_version"])
      .where("p.id", "=", productId)
      .where("c.tenant_id", "=", actor.tenantId),
  );
  return row ? { name: row.name, photoVersion: row.photo_version } : null;
}

/**
 * Replaces a product's photo with the given widths (already re-encoded; one per PRODUCT_PHOTO_WIDTHS_PX, in that order)
 * and answers the new version, or null when the product is not the staff member's.
 */
export function saveProductPhoto(tx: WriteTx, actor: Actor, productId: number, images: readonly EncodedImage[], nowMs: number = Date.now()): number | null {
  if (images.length !== PRODUCT_PHOTO_WIDTHS_PX.length) throw new Error(`a product photo needs ${PRODUCT_PHOTO_WIDTHS_PX.length} widths, got ${images.length}`);
  for (const image of images) if (image.mime !== "image/webp" || image.bytes.byteLength === 0) throw new Error("a product photo is stored as re-encoded WebP only");
  const product = ownProduct(tx, actor, productId);
  if (!product) return null;
  const version = (product.photoVersion ?? 0) + 1;
  tx.run(db.deleteFrom("product_photos").where("product_id", "=", productId));
  PRODUCT_PHOTO_WIDTHS_PX.forEach((widthPx, index) => {
    const image = images[index]!;
    tx.run(db.insertInto("product_photos").values({ product_id: productId, width_px: widthPx, height_px: image.heightPx, mime: "image/webp", bytes: image.bytes }));
  });
  tx.run(db.updateTable("products").set({ photo_version: version }).where("id", "=", productId));
  audit(tx, actor, "product.update", `product:${productId}`, { name: product.name, photo: "uploaded" }, nowMs);
  return version;
}

/** Removes a product's photo (the shop and the tills show the placeholder); false when the product is not the staff member's. */
export function removeProductPhoto(tx: WriteTx, actor: Actor, productId: number, nowMs: number = Date.now()): boolean {
  const product = ownProduct(tx, actor, productId);
  if (!product) return false;
  if (product.photoVersion === null) return true;
  tx.run(db.deleteFrom("product_photos").where("product_id", "=", productId));
  tx.run(db.updateTable("products").set({ photo_version: null }).where("id", "=", productId));
  audit(tx, actor, "product.update", `product:${productId}`, { name: product.name, photo: "removed" }, nowMs);
  return true;
}

export interface StoredProductPhoto {
  bytes: Uint8Array;
  mime: "image/webp";
  /** The product's photo version now: an address with an older one still gets the current photo, but is not cached for long. */
  version: number;
}

/** A product's photo at one of the stored widths, or null (no such product, no photo, no such width). */
export function readProductPhoto(tx: Tx, productId: number, widthPx: number): StoredProductPhoto | null {
  const row = tx.first(
    db
      .selectFrom("product_photos as f")
      .innerJoin("products as p", "p.id", "f.product_id")
      .select(["f.bytes", "p.photo_version"])
      .where("f.product_id", "=", productId)
      .where("f.width_px", "=", widthPx),
  );
  return row && row.photo_version !== null ? { bytes: row.bytes, mime: "image/webp", version: row.photo_version } : null;
}
