// Helpers every back-office router shares: the not-found error, the day format and hashing of one-time codes.
import { TRPCError } from "@trpc/server";
import * as z from "zod";

export const hashCode = (code: string) => Bun.password.hash(code, { algorithm: "argon2id" });
export const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "Dato skal være ÅÅÅÅ-MM-DD / Date must be YYYY-MM-DD" });
export const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });
