// Back-office procedures for cards and cardholders: search, issue, school/class, block, replace and class-list import.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { staffProcedure } from "../../trpc.ts";
import { announceSessionsEnded } from "../../auth/session.ts";
import { cardholderFieldsSchema, issueCard, newVerificationCode, replaceCard, searchCardholders, setCardStatus, updateCardholderSchooling, type CardChangeRefusal } from "../../services/backoffice/cards.ts";
import { importClassList, parseClassList } from "../../services/backoffice/class-list.ts";
import { hashCode, notFound } from "./shared.ts";

/** At most this many argon2id hashes at once during an import, so a class list does not starve every other request of CPU. */
const IMPORT_HASH_CONCURRENCY = 4;

/** Runs `fn` over `items` with at most `limit` calls in flight, keeping the order of the results. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function cardRefused(refusal: CardChangeRefusal): TRPCError {
  if (refusal.reason === "card_not_found") return notFound("Card");
  return new TRPCError({ code: "CONFLICT", message: "card_replaced: Kortet er erstattet af et nyt kort og kan ikke ændres / The card has been replaced and can no longer be changed" });
}

export const cardProcedures = {
  searchCards: staffProcedure.input(z.strictObject({ query: z.string().max(100) })).query(({ ctx, input }) => ctx.services.store.read((tx) => searchCardholders(tx, ctx.actor.tenantId, input.query))),

  /** Creates a cardholder and a card; the verification code is in this answer only (for the printed card letter). */
  issueCard: staffProcedure.input(cardholderFieldsSchema).mutation(async ({ ctx, input }) => {
    const code = newVerificationCode();
    const codeHash = await hashCode(code);
    const issued = await ctx.services.store.write((tx) => issueCard(tx, ctx.actor, input, codeHash));
    return { ...issued, verificationCode: code };
  }),

  setSchooling: staffProcedure
    .input(z.strictObject({ userId: z.number().int().positive(), school: z.string().trim().max(100).nullable(), className: z.string().trim().max(40).nullable(), track: z.string().trim().max(40).nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.store.write((tx) => updateCardholderSchooling(tx, ctx.actor, input)))) throw notFound("Cardholder");
      return { ok: true as const };
    }),

  setCardStatus: staffProcedure.input(z.strictObject({ cardId: z.number().int().positive(), status: z.enum(["active", "blocked"]) })).mutation(async ({ ctx, input }) => {
    const changed = await ctx.services.store.write((tx) => setCardStatus(tx, ctx.actor, input.cardId, input.status));
    if (!changed.ok) throw cardRefused(changed);
    return { ok: true as const };
  }),

  replaceCard: staffProcedure.input(z.strictObject({ cardId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const code = newVerificationCode();
    const codeHash = await hashCode(code);
    const replaced = await ctx.services.store.write((tx) => replaceCard(tx, ctx.actor, input.cardId, codeHash));
    if (!replaced.ok) throw cardRefused(replaced);
    // Replacing signed the cardholder out everywhere; their open portal streams end too.
    announceSessionsEnded(ctx.services.bus, replaced.userId);
    return { cardId: replaced.cardId, cardNumber: replaced.cardNumber, verificationCode: code };
  }),

  /** Class-list CSV: a preview with per-row errors; `commit` writes every row or, on any error, nothing. */
  importCards: staffProcedure.input(z.strictObject({ csv: z.string().max(500_000), commit: z.boolean() })).mutation(async ({ ctx, input }) => {
    const parsed = parseClassList(input.csv);
    if (!parsed.ok || !input.commit) return { ok: parsed.ok, errors: parsed.ok ? [] : parsed.errors, rows: parsed.rows, issued: [] as Array<{ name: string; cardNumber: string; verificationCode: string }> };
    const codes = parsed.rows.map(() => newVerificationCode());
    const hashes = await mapLimited(codes, IMPORT_HASH_CONCURRENCY, hashCode);
    const issued = await ctx.services.store.write((tx) => importClassList(tx, ctx.actor, parsed.rows, hashes));
    return { ok: true, errors: [], rows: parsed.rows, issued: issued.map((card, index) => ({ name: parsed.rows[index]!.name, cardNumber: card.cardNumber, verificationCode: codes[index]! })) };
  }),
};
