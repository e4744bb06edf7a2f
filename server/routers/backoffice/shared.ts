// Helpers every back-office router shares: the not-found error, the day format, hashing of one-time codes and the form key.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { idempotencyKeySchema } from "../../../common/limits.ts";
import { sendQuietly, type Mailer, type MailMessage } from "../../mail/mailer.ts";

export const hashCode = (code: string) => Bun.password.hash(code, { algorithm: "argon2id" });
export const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "Dato skal være ÅÅÅÅ-MM-DD / Date must be YYYY-MM-DD" });
export const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });

/**
 * The key of one form fill (a random UUID the browser draws when the form is opened or edited). Every back-office
 * create takes one: a double click or a retry after a lost answer returns the first answer and creates nothing more.
 * At least 16 characters, because the first answer (one-time codes, device keys) is sealed under it.
 */
export const formKeySchema = idempotencyKeySchema.min(16, { error: "Formularens nøgle skal være mindst 16 tegn / The form key must be at least 16 characters" });

/** Sends notices after the commit; a mail failure never undoes or fails the change itself. */
export async function sendNotices(mailer: Mailer, messages: readonly MailMessage[]): Promise<void> {
  await Promise.all(messages.map((message) => sendQuietly(mailer, message)));
}
