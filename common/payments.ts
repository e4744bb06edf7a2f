// Shared rules and input schemas for money in and out (Indbetal, Auto-optank, Udbetal, Overfør), used by client and server.
import * as z from "zod";
import { idempotencyKeySchema, ORE_PER_KRONE } from "./limits.ts";
import { lineText, personName } from "./text.ts";

/**
 * Deposits (and Auto-optank top-ups) are whole kroner between these bounds (the guide: "beløbet skal være i hele
 * danske kroner"), sent as øre like every amount on the wire.
 */
export const DEPOSIT_ORE_MIN = 2_000;
export const DEPOSIT_ORE_MAX = 500_000;
/** Auto-optank: a top-up is tried when a purchase leaves the balance below this. */
export const AUTO_TOP_UP_THRESHOLD_ORE = 5_000;
/** Auto-optank only takes effect once this much has been deposited on the account in total. */
export const AUTO_TOP_UP_MIN_DEPOSITED_ORE = 10_000;
/** After this many failed top-ups in a row the agreement is paused. */
export const AUTO_TOP_UP_MAX_FAILURES = 3;

/** An amount in øre that is a whole number of kroner between two bounds, with messages in kroner (da / en). */
function wholeKronerOreSchema(minOre: number, maxOre: number) {
  const kroner = (ore: number) => `${ore / ORE_PER_KRONE} kr.`;
  return z
    .number({ error: "Beløbet skal være et tal i øre / The amount must be a number of øre" })
    .int({ error: "Beløbet skal være et helt antal øre / The amount must be a whole number of øre" })
    .multipleOf(ORE_PER_KRONE, { error: "Beløbet skal være i hele kroner / The amount must be whole kroner" })
    .min(minOre, { error: `Mindst ${kroner(minOre)} / At least ${kroner(minOre)}` })
    .max(maxOre, { error: `Højst ${kroner(maxOre)} / At most ${kroner(maxOre)}` });
}

/** Indbetal's and Auto-optank's amount: integer øre, whole kroner, DEPOSIT_ORE_MIN–DEPOSIT_ORE_MAX. */
export const depositAmountOreSchema = wholeKronerOreSchema(DEPOSIT_ORE_MIN, DEPOSIT_ORE_MAX);

const acceptedTermsSchema = z.literal(true, { error: "Betalingsbetingelserne skal accepteres / The payment terms must be accepted" });
const emailSchema = z.email({ error: "Ugyldig e-mail / Invalid e-mail" }).max(200);

export const depositInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  amountOre: depositAmountOreSchema,
  receiptEmail: emailSchema,
  acceptedTerms: acceptedTermsSchema,
  idempotencyKey: idempotencyKeySchema,
});

/** Auto-optank → Opdater: a new amount or receipt e-mail for the agreement (the saved card stays). */
export const autoTopUpUpdateInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  amountOre: depositAmountOreSchema,
  receiptEmail: emailSchema,
});

export const autoTopUpInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  amountOre: depositAmountOreSchema,
  receiptEmail: emailSchema,
  acceptedTerms: acceptedTermsSchema,
  idempotencyKey: idempotencyKeySchema,
});

export const payoutInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  name: personName,
  registrationNumber: z.string().regex(/^\d{4}$/, { error: "Registreringsnummer er 4 cifre / Registration number is 4 digits" }),
  bankAccountNumber: z.string().regex(/^\d{1,10}$/, { error: "Kontonummer er op til 10 cifre / Account number is up to 10 digits" }),
  message: lineText(140).optional(),
  amountOre: z.number().int().min(1).max(10_000_000),
  idempotencyKey: idempotencyKeySchema,
});

export const transferInputSchema = z.strictObject({
  fromAccountId: z.number().int().positive(),
  toAccountId: z.number().int().positive(),
  amountOre: z.number().int().min(1).max(10_000_000),
  idempotencyKey: idempotencyKeySchema,
});

/** A low-balance alert: the payer is told when a purchase leaves the balance under this (whole kroner, in øre). */
export const LOW_BALANCE_ORE_MIN = 100;
export const LOW_BALANCE_ORE_MAX = 100_000;

export const lowBalanceInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  thresholdOre: wholeKronerOreSchema(LOW_BALANCE_ORE_MIN, LOW_BALANCE_ORE_MAX),
  email: emailSchema,
});

const limitOreSchema = z.number().int().min(0).max(10_000_000).nullable();

/** Maks. forbrug of one card account, set by its payer (the holder, or a guardian for a child's card). */
export const accountLimitsInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  limits: z.strictObject({ dailyOre: limitOreSchema, weeklyOre: limitOreSchema, monthlyOre: limitOreSchema }),
});
