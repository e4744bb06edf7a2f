// Shared input schemas for the cardholder portal (login, Brugerinfo, password, support), used by client and server.
import * as z from "zod";
import { cardNumberSchema, MAX_AMOUNT_ORE } from "./limits.ts";
import { freeText, lineText, personName } from "./text.ts";

export const PASSWORD_MIN_LENGTH = 8;

export const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH, { error: `Mindst ${PASSWORD_MIN_LENGTH} tegn / At least ${PASSWORD_MIN_LENGTH} characters` })
  .max(200)
  .refine((value) => /[A-Za-zÆØÅæøå]/.test(value) && /\d/.test(value), { error: "Skal indeholde både bogstaver og tal / Must contain letters and digits" });

export const loginInputSchema = z.strictObject({
  cardNumber: cardNumberSchema,
  password: z.string().min(1, { error: "Adgangskode skal udfyldes / Password is required" }).max(200),
});

const repeatMatches = (value: { newPassword: string; repeatPassword: string }) => value.newPassword === value.repeatPassword;
const repeatError = { error: "Adgangskoderne er ikke ens / The passwords do not match", path: ["repeatPassword"] };

export const changePasswordInputSchema = z
  .strictObject({ currentPassword: z.string().min(1).max(200), newPassword: passwordSchema, repeatPassword: z.string().max(200) })
  .refine(repeatMatches, repeatError);

export const resetPasswordInputSchema = z
  .strictObject({ token: z.string().min(10).max(200), newPassword: passwordSchema, repeatPassword: z.string().max(200) })
  .refine(repeatMatches, repeatError);

export const emailSchema = z.email({ error: "Ugyldig e-mail / Invalid e-mail" }).max(200);

/** DDMMYY with a day 1–31 and a month 1–12 (the century is not in the number, so the exact day count is not checked). */
export function plausibleCprDate(value: string): boolean {
  const digits = value.replace(/\D/g, "");
  const day = Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  return day >= 1 && day <= 31 && month >= 1 && month <= 12;
}

const optionalText = (max: number) => lineText(max).nullable().optional();
const limitSchema = z.number().int().min(0).max(MAX_AMOUNT_ORE).nullable();

export const profileUpdateSchema = z.strictObject({
  name: personName,
  email: emailSchema,
  /** Omitted keeps the stored CPR; a value replaces it. */
  cpr: z
    .string()
    .trim()
    .regex(/^\d{6}-?\d{4}$/, { error: "CPR-nummer skal være DDMMÅÅ-XXXX / CPR must be DDMMYY-XXXX" })
    // The first six digits are a date; a day or month that cannot exist is a typing error worth flagging on the field.
    .refine((value) => !/^\d{6}-?\d{4}$/.test(value) || plausibleCprDate(value), { error: "CPR-nummeret er ikke gyldigt / The CPR number is not valid" })
    .optional(),
  address: optionalText(200),
  postalCode: z.string().trim().regex(/^(\d{4})?$/, { error: "Postnummer er 4 cifre / Postal code is 4 digits" }).nullable().optional(),
  city: optionalText(100),
  phone: z.string().trim().regex(/^(\+?[\d ]{8,15})?$/, { error: "Ugyldigt telefonnummer / Invalid phone number" }).nullable().optional(),
  limits: z.strictObject({ dailyOre: limitSchema, weeklyOre: limitSchema, monthlyOre: limitSchema }),
});

export const supportInputSchema = z.strictObject({
  name: personName,
  email: emailSchema,
  phone: lineText(20).optional(),
  accountId: z.number().int().positive(),
  description: freeText(5000, { min: 5, minError: "Beskriv problemet (mindst 5 tegn) / Describe the problem (at least 5 characters)" }),
});

export const MAX_PHOTO_BYTES = 300_000;
export const photoInputSchema = z.strictObject({ dataUrl: z.string().max(Math.ceil((MAX_PHOTO_BYTES * 4) / 3) + 100, { error: "Billedet er for stort (højst 300 kB) / The photo is too large (300 kB at most)" }) });

export const statementMonthSchema = z.strictObject({ accountId: z.number().int().positive(), year: z.number().int().min(2000).max(2100), month: z.number().int().min(1).max(12) });
