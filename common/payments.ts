// Shared rules and input schemas for money in and out (Indbetal, Auto-optank, Udbetal, Overfør), used by client and server.
import * as z from "zod";
import { idempotencyKeySchema, ORE_PER_KRONE } from "./limits.ts";
import { lineText, personName } from "./text.ts";

/** Deposits are whole kroner between these bounds (the guide: "beløbet skal være i hele danske kroner"). */
export const DEPOSIT_MIN_KR = 20;
export const DEPOSIT_MAX_KR = 5_000;
/** Auto-optank: a top-up is tried when a purchase leaves the balance below this. */
export const AUTO_TOP_UP_THRESHOLD_ORE = 5_000;
/** Auto-optank only takes effect once this much has been deposited on the account in total. */
export const AUTO_TOP_UP_MIN_DEPOSITED_ORE = 10_000;
/** After this many failed top-ups in a row the agreement is paused. */
export const AUTO_TOP_UP_MAX_FAILURES = 3;

export const wholeKronerSchema = z
  .number({ error: "Beløbet skal være et tal / The amount must be a number" })
  .int({ error: "Beløbet skal være i hele kroner / The amount must be whole kroner" })
  .min(DEPOSIT_MIN_KR, { error: `Mindst ${DEPOSIT_MIN_KR} kr. / At least ${DEPOSIT_MIN_KR} kr.` })
  .max(DEPOSIT_MAX_KR, { error: `Højst ${DEPOSIT_MAX_KR} kr. / At most ${DEPOSIT_MAX_KR} kr.` });

const acceptedTermsSchema = z.literal(true, { error: "Betalingsbetingelserne skal accepteres / The payment terms must be accepted" });
const emailSchema = z.email({ error: "Ugyldig e-mail / Invalid e-mail" }).max(200);

export const depositInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  amountKr: wholeKronerSchema,
  receiptEmail: emailSchema,
  acceptedTerms: acceptedTermsSchema,
  idempotencyKey: idempotencyKeySchema,
});

export const autoTopUpInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  amountKr: wholeKronerSchema,
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

export function kronerToOre(kroner: number): number {
  return kroner * ORE_PER_KRONE;
}

/** A low-balance alert: the payer is told when a purchase leaves the balance under this many whole kroner. */
export const LOW_BALANCE_MIN_KR = 1;
export const LOW_BALANCE_MAX_KR = 1_000;

export const lowBalanceInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  thresholdKr: z
    .number({ error: "Beløbet skal være et tal / The amount must be a number" })
    .int({ error: "Beløbet skal være i hele kroner / The amount must be whole kroner" })
    .min(LOW_BALANCE_MIN_KR, { error: `Mindst ${LOW_BALANCE_MIN_KR} kr. / At least ${LOW_BALANCE_MIN_KR} kr.` })
    .max(LOW_BALANCE_MAX_KR, { error: `Højst ${LOW_BALANCE_MAX_KR} kr. / At most ${LOW_BALANCE_MAX_KR} kr.` }),
  email: emailSchema,
});

const limitOreSchema = z.number().int().min(0).max(10_000_000).nullable();

/** Maks. forbrug of one card account, set by its payer (the holder, or a guardian for a child's card). */
export const accountLimitsInputSchema = z.strictObject({
  accountId: z.number().int().positive(),
  limits: z.strictObject({ dailyOre: limitOreSchema, weeklyOre: limitOreSchema, monthlyOre: limitOreSchema }),
});
