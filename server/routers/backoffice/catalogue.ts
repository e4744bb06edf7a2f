// Back-office procedures for the catalogue: products, the menu of each day and the order cut-off.
import * as z from "zod";
import { staffProcedure } from "../../trpc.ts";
import { listProducts, menuWeek, saveProduct, setMenuItem } from "../../services/backoffice/catalogue.ts";
import { setOrderCutoff } from "../../services/backoffice/canteens.ts";
import { oncePerSubmission } from "../../services/backoffice/submissions.ts";
import { daySchema, formKeySchema, notFound } from "./shared.ts";

export const catalogueProcedures = {
  products: staffProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listProducts(tx, ctx.actor))),

  saveProduct: staffProcedure
    .input(
      z.strictObject({
        productId: z.number().int().positive().optional(),
        canteenId: z.number().int().positive(),
        name: z.string().trim().min(1, { error: "Navn skal udfyldes / Name is required" }).max(100),
        description: z.string().trim().max(300).optional(),
        category: z.string().trim().min(1).max(60),
        priceOre: z.number().int().min(0).max(1_000_000),
        allergens: z.string().trim().max(200).optional(),
        active: z.boolean(),
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

  menuWeek: staffProcedure.input(z.strictObject({ canteenId: z.number().int().positive(), days: z.array(daySchema).min(1).max(14) })).query(({ ctx, input }) =>
    ctx.services.store.read((tx) => menuWeek(tx, ctx.actor, input.canteenId, input.days)),
  ),

  setMenuItem: staffProcedure
    .input(z.strictObject({ canteenId: z.number().int().positive(), deliveryDay: daySchema, productId: z.number().int().positive(), offered: z.boolean(), quantityLimit: z.number().int().min(0).max(10_000).nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.store.write((tx) => setMenuItem(tx, ctx.actor, input)))) throw notFound("Product");
      return { ok: true as const };
    }),

  setOrderCutoff: staffProcedure.input(z.strictObject({ canteenId: z.number().int().positive(), time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/) })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => setOrderCutoff(tx, ctx.actor, input.canteenId, input.time)))) throw notFound("Canteen");
    return { ok: true as const };
  }),
};
