// Back-office procedures for canteens and their catalogue: products, the menu of each day and the order cut-off.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { freeText, itemName, lineText } from "../../../common/text.ts";
import { adminProcedure, staffProcedure } from "../../trpc.ts";
import { listProducts, menuWeek, saveProduct, setMenuItem, setProductActive } from "../../services/backoffice/catalogue.ts";
import { createCanteen, ownCanteen, setOrderCutoff } from "../../services/backoffice/canteens.ts";
import { oncePerSubmission } from "../../services/backoffice/submissions.ts";
import { daySchema, formKeySchema, notFound } from "./shared.ts";
import { PRODUCT_PHOTO_UPLOAD_BYTES_MAX, PRODUCT_PHOTO_WIDTHS_PX } from "../../../common/product-photos.ts";
import { reencodeImageSizes, type EncodedImage } from "../../images.ts";
import { decodePhoto } from "../../services/portal.ts";
import { removeProductPhoto, saveProductPhoto } from "../../services/backoffice/product-photos.ts";

const idSchema = z.number().int().positive();
const portionLimitSchema = z.number().int().min(0).max(10_000).nullable();

const PHOTO_TOO_LARGE = "Billedet er for stort (højst 700 kB efter formindskelse) / The photo is too large (700 kB at most after shrinking)";
const PHOTO_NOT_AN_IMAGE = "Filen kan ikke læses som et JPEG-, PNG- eller WebP-billede / The file cannot be read as a JPEG, PNG or WebP image";

/** A refused photo as a field issue on `dataUrl`, the same shape as a refusal during input validation. */
function photoRefused(reason: "too_large" | "not_an_image" | "bad_type"): TRPCError {
  const message = reason === "too_large" ? PHOTO_TOO_LARGE : PHOTO_NOT_AN_IMAGE;
  return new TRPCError({ code: "BAD_REQUEST", message, cause: new z.ZodRealError([{ code: "custom", path: ["dataUrl"], input: undefined, message }]) });
}

export const catalogueProcedures = {
  /** The products of every canteen of the school, or of one (`canteenId`). */
  products: staffProcedure.input(z.strictObject({ canteenId: idSchema.optional() }).optional()).query(({ ctx, input }) => {
    const canteenId = input?.canteenId;
    return ctx.services.store.read((tx) => {
      if (canteenId !== undefined && !ownCanteen(tx, ctx.actor, canteenId)) throw notFound("Canteen");
      return listProducts(tx, ctx.actor, canteenId);
    });
  }),

  /** Creates (no productId; once per form fill) or edits a product: name, price, category, on sale or not, portion limit per day. */
  saveProduct: staffProcedure
    .input(
      z.strictObject({
        productId: idSchema.optional(),
        canteenId: idSchema,
        name: itemName,
        description: freeText(300).optional(),
        category: lineText(60, { min: 1 }),
        priceOre: z.number().int().min(0).max(1_000_000),
        allergens: lineText(200).optional(),
        active: z.boolean(),
        /** Portions per day, the default limit when the product is ticked onto a day; null: no limit; absent on an edit: unchanged. */
        portionLimit: portionLimitSchema.optional(),
        /** The form fill's key: a new product (no productId) is created once however often the form is submitted. */
        idempotencyKey: formKeySchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { idempotencyKey: _key, ...product } = input;
      const saved = await ctx.services.store.write((tx) => {
        if (product.productId) {
          const id = saveProduct(tx, ctx.actor, product);
          return id ? { ok: true as const, answer: { productId: id } } : { ok: false as const };
        }
        return oncePerSubmission<{ productId: number }, { ok: false }>(tx, ctx.actor, "createProduct", input, () => {
          const id = saveProduct(tx, ctx.actor, product);
          return id ? { ok: true as const, answer: { productId: id } } : { ok: false as const };
        });
      });
      if (!saved.ok) throw notFound("Product");
      return saved.answer;
    }),

  /**
   * A product's photo, replaced: a data URL of a JPEG, PNG or WebP (checked by its first bytes and by decoding it),
   * stored re-encoded as WebP at each of PRODUCT_PHOTO_WIDTHS_PX with no metadata. A refused file changes nothing.
   */
  uploadProductPhoto: staffProcedure
    .input(z.strictObject({ productId: idSchema, dataUrl: z.string().max(Math.ceil((PRODUCT_PHOTO_UPLOAD_BYTES_MAX * 4) / 3) + 100, { error: PHOTO_TOO_LARGE }) }))
    .mutation(async ({ ctx, input }) => {
      const decoded = decodePhoto(input.dataUrl, PRODUCT_PHOTO_UPLOAD_BYTES_MAX);
      if (!decoded.ok) throw photoRefused(decoded.reason);
      // Decoded and re-encoded before the write (which never awaits), on libuv's threads.
      const encoded = await reencodeImageSizes(decoded.bytes, PRODUCT_PHOTO_WIDTHS_PX, { format: "webp", quality: 78, maxInputBytes: PRODUCT_PHOTO_UPLOAD_BYTES_MAX });
      const refused = encoded.find((result) => !result.ok);
      if (refused && !refused.ok) throw photoRefused(refused.reason);
      const images = encoded as EncodedImage[];
      const version = await ctx.services.store.write((tx) => saveProductPhoto(tx, ctx.actor, input.productId, images));
      if (version === null) throw notFound("Product");
      return { productId: input.productId, photoVersion: version };
    }),

  /** Removes a product's photo; the shop and the tills show the placeholder again. */
  removeProductPhoto: staffProcedure.input(z.strictObject({ productId: idSchema })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => removeProductPhoto(tx, ctx.actor, input.productId)))) throw notFound("Product");
    return { ok: true as const };
  }),

  /** Takes a product off sale (menus, webshop and tills no longer offer it) or back on; nothing else changes. */
  setProductActive: staffProcedure.input(z.strictObject({ productId: idSchema, active: z.boolean() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => setProductActive(tx, ctx.actor, input.productId, input.active)))) throw notFound("Product");
    return { ok: true as const };
  }),

  /** Each asked day with its weekday ({ da, en }), the products on its menu, their limits and how many are ordered. */
  menuWeek: staffProcedure.input(z.strictObject({ canteenId: idSchema, days: z.array(daySchema).min(1).max(14) })).query(({ ctx, input }) => {
    const week = ctx.services.store.read((tx) => menuWeek(tx, ctx.actor, input.canteenId, input.days));
    if (!week) throw notFound("Canteen");
    return week;
  }),

  /**
   * Ticks a product onto a day or off it. `quantityLimit` sets the day's limit; left out, a product already on the day
   * keeps its limit and a newly ticked one gets the product's portion limit. Answers the day's limit.
   */
  setMenuItem: staffProcedure
    .input(z.strictObject({ canteenId: idSchema, deliveryDay: daySchema, productId: idSchema, offered: z.boolean(), quantityLimit: portionLimitSchema.optional() }))
    .mutation(async ({ ctx, input }) => {
      const set = await ctx.services.store.write((tx) => setMenuItem(tx, ctx.actor, input));
      if (!set) throw notFound("Product");
      return { ok: true as const, quantityLimit: set.quantityLimit };
    }),

  setOrderCutoff: staffProcedure.input(z.strictObject({ canteenId: idSchema, time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => setOrderCutoff(tx, ctx.actor, input.canteenId, input.time)))) throw notFound("Canteen");
    return { ok: true as const };
  }),

  /** A new canteen of the school (administrators; once per form fill). Its tills, screens, products and menus choose it by id. */
  createCanteen: adminProcedure.input(z.strictObject({ name: lineText(60, { min: 1, minError: "Navn skal udfyldes / Name is required" }), idempotencyKey: formKeySchema })).mutation(async ({ ctx, input }) => {
    const created = await ctx.services.store.write((tx) =>
      oncePerSubmission<{ canteenId: number; name: string }, { ok: false; reason: "name_taken" }>(tx, ctx.actor, "createCanteen", input, () => {
        const result = createCanteen(tx, ctx.actor, input.name);
        return result.ok ? { ok: true as const, answer: { canteenId: result.canteenId, name: input.name } } : result;
      }),
    );
    if (!created.ok) throw new TRPCError({ code: "CONFLICT", message: "name_taken: Skolen har allerede en kantine med det navn / The school already has a canteen with that name" });
    return created.answer;
  }),
};
