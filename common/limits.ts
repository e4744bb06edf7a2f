// Shared bounds and input schemas (zod), imported by both the server and the client so both validate alike.
import * as z from "zod";
import { itemName } from "./text.ts";
import { MAX_AMOUNT_ORE } from "./money.ts";

// The money units live in money.ts, which the browser imports without pulling zod into every page.
export { MAX_AMOUNT_ORE, ORE_PER_KRONE } from "./money.ts";
// The batch bound lives in wire.ts, which the browser imports without pulling zod into every page.
export { MAX_BATCH_SIZE } from "./wire.ts";
/** Card numbers are 8–19 digits, like the 14-digit numbers printed on the demo cards. */
export const CARD_NUMBER_PATTERN = /^[0-9]{8,19}$/;

export const cardNumberSchema = z
  .string({ error: "Card number must be text" })
  .trim()
  .regex(CARD_NUMBER_PATTERN, { error: "Card number must be 8–19 digits" });

export const amountOreSchema = z
  .number({ error: "Amount must be a number of øre" })
  .int({ error: "Amount must be a whole number of øre" })
  .min(1, { error: "Amount must be at least 1 øre" })
  .max(MAX_AMOUNT_ORE, { error: `Amount must be at most ${MAX_AMOUNT_ORE} øre` });

/** Idempotency keys chosen by clients (a till's sale id): a UUID or another opaque token. */
export const idempotencyKeySchema = z
  .string({ error: "Id must be text" })
  .min(8, { error: "Id must be at least 8 characters" })
  .max(100, { error: "Id must be at most 100 characters" })
  .regex(/^[A-Za-z0-9_.:-]+$/, { error: "Id may only hold letters, digits and - _ . :" });

export const saleItemSchema = z.strictObject({
  // Printed on statements and in report CSVs; a till's item name is checked like any other name (one regex test).
  name: itemName,
  quantity: z.number().int().min(1).max(1000),
  unitPriceOre: z.number().int().min(0).max(MAX_AMOUNT_ORE),
});

export const saleInputSchema = z
  .strictObject({
    saleId: idempotencyKeySchema,
    cardNumber: cardNumberSchema,
    amountOre: amountOreSchema,
    items: z.array(saleItemSchema).max(100).optional(),
  })
  .refine((sale) => !sale.items || sale.items.reduce((sum, item) => sum + item.quantity * item.unitPriceOre, 0) === sale.amountOre, {
    error: "The items must add up to amountOre",
    path: ["items"],
  });

export const refundInputSchema = z.strictObject({
  refundId: idempotencyKeySchema,
  saleId: idempotencyKeySchema,
  /** Omitted: refund whatever of the sale is not refunded yet. */
  amountOre: amountOreSchema.optional(),
});

export const balanceInputSchema = z.strictObject({ cardNumber: cardNumberSchema });

export type SaleInput = z.infer<typeof saleInputSchema>;
export type RefundInput = z.infer<typeof refundInputSchema>;
