// Back-office procedures for cards and cardholders: search, issue, school/class, block, replace and class-list import.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { lineText } from "../../../common/text.ts";
import { staffProcedure } from "../../trpc.ts";
import { announceSessionsEnded } from "../../auth/session.ts";
import {
  cardholderFieldsSchema,
  issueCard,
  newVerificationCode,
  printCardLetter,
  replaceCard,
  setCardStatus,
  updateCardholderSchooling,
  type CardChangeRefusal,
  type CodeDelivery,
  type LetterRefusal,
} from "../../services/backoffice/cards.ts";
import { cardLetterHtml, replacementCardMail } from "../../services/backoffice/card-codes.ts";
import { log } from "../../ops/logger.ts";
import { importClassList, parseClassList } from "../../services/backoffice/class-list.ts";
import { guardiansOf, notifiedAbout } from "../../services/backoffice/guardians.ts";
import { cardChangedNotice } from "../../services/backoffice/notices.ts";
import { oncePerSubmission } from "../../services/backoffice/submissions.ts";
import { formKeySchema, hashCode, notFound, sendNotices } from "./shared.ts";

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

function cardRefused(refusal: CardChangeRefusal | LetterRefusal): TRPCError {
  switch (refusal.reason) {
    case "card_not_found":
      return notFound("Card");
    case "card_blocked_by_holder":
      return new TRPCError({ code: "FORBIDDEN", message: "card_blocked_by_holder: Kortholderen har selv spærret kortet – kun en administrator kan genåbne det / The cardholder blocked the card themselves – only an administrator can reopen it" });
    case "letter_not_needed":
      return new TRPCError({ code: "CONFLICT", message: "letter_not_needed: Koden er sendt til kortholderen på e-mail; der udskrives intet brev / The code was sent to the cardholder by e-mail; no letter is printed" });
    case "letter_needs_admin":
      return new TRPCError({ code: "FORBIDDEN", message: "letter_needs_admin: Kortholderen er værge for andre kort – kun en administrator kan udskrive brevet / The cardholder is a guardian of other cards – only an administrator can print the letter" });
    case "card_replaced":
      return new TRPCError({ code: "CONFLICT", message: "card_replaced: Kortet er erstattet af et nyt kort og kan ikke ændres / The card has been replaced and can no longer be changed" });
  }
}

/** A refused attempt writes nothing (the audit log holds changes only); the ops log keeps who tried what. */
function logRefusal(actor: { userId: number; role: string }, procedure: string, cardId: number, reason: string): void {
  if (reason === "card_blocked_by_holder" || reason === "letter_needs_admin") log.warn({ actorUserId: actor.userId, role: actor.role, procedure, cardId, reason }, "back-office card change refused");
}

type IssuedCardAnswer = { userId: number; accountId: number; cardId: number; cardNumber: string; verificationCode: string };
type ImportedCard = { name: string; cardNumber: string; verificationCode: string };

export const cardProcedures = {
  /** Cardholders by name, card number, school or class, a page at a time: a full page (`limit` rows) may have a next one at `offset + limit`. */
  searchCards: staffProcedure
    .input(z.strictObject({ query: z.string().max(100), offset: z.number().int().min(0).max(1_000_000).optional(), limit: z.number().int().min(1).max(200).optional() }))
    .query(({ ctx, input }) => ctx.services.reads.run("searchCardholders", { tenantId: ctx.actor.tenantId, query: input.query, limit: input.limit ?? 50, offset: input.offset ?? 0 })),

  /** How many cards a search finds, for "1–50 af 132": counted up to 1,000, beyond that `capped` ("mere end 1.000"). */
  countCards: staffProcedure
    .input(z.strictObject({ query: z.string().max(100) }))
    .query(({ ctx, input }) => ctx.services.reads.run("countCardholders", { tenantId: ctx.actor.tenantId, query: input.query })),

  /**
   * Creates a cardholder and a card; the verification code is in this answer only (for the printed card letter).
   * Idempotent per form fill: the same `idempotencyKey` returns the first card and its code again.
   */
  issueCard: staffProcedure.input(cardholderFieldsSchema.extend({ idempotencyKey: formKeySchema })).mutation(async ({ ctx, input }) => {
    const code = newVerificationCode();
    const codeHash = await hashCode(code);
    const { idempotencyKey: _key, ...fields } = input;
    const issued = await ctx.services.store.write((tx) =>
      oncePerSubmission<IssuedCardAnswer, never>(tx, ctx.actor, "issueCard", input, () => ({ ok: true, answer: { ...issueCard(tx, ctx.actor, fields, codeHash), verificationCode: code } })),
    );
    return issued.answer;
  }),

  setSchooling: staffProcedure
    .input(z.strictObject({ userId: z.number().int().positive(), school: lineText(100).nullable(), className: lineText(40).nullable(), track: lineText(40).nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.services.store.write((tx) => updateCardholderSchooling(tx, ctx.actor, input)))) throw notFound("Cardholder");
      return { ok: true as const };
    }),

  setCardStatus: staffProcedure.input(z.strictObject({ cardId: z.number().int().positive(), status: z.enum(["active", "blocked"]) })).mutation(async ({ ctx, input }) => {
    const changed = await ctx.services.store.write((tx) => {
      const result = setCardStatus(tx, ctx.actor, input.cardId, input.status);
      if (!result.ok) return result;
      return {
        ...result,
        notify: result.changed && input.status === "active" ? notifiedAbout(tx, result.userId) : [],
        // Whose open portal pages show the card: the holder's and their guardians'.
        watchers: result.changed ? [result.userId, ...guardiansOf(tx, result.userId).map((guardian) => guardian.userId)] : [],
      };
    });
    if (!changed.ok) {
      logRefusal(ctx.actor, "setCardStatus", input.cardId, changed.reason);
      throw cardRefused(changed);
    }
    // After the commit: the card's new status reaches the holder's and the guardians' open pages at once (accounts.onBalance).
    const event = { accountId: changed.accountId, cardNumber: changed.cardNumber, status: input.status, createdAt: Date.now() };
    for (const userId of changed.watchers) ctx.services.bus.publish("cardStatus", userId, event);
    // An unblocked card can be spent again: its holder and guardians hear of it.
    await sendNotices(
      ctx.services.mailer,
      changed.notify.map((to) => cardChangedNotice(to, { kind: "unblocked", holder: changed.holder, cardNumber: changed.cardNumber, by: ctx.actor.label })),
    );
    return { ok: true as const };
  }),

  /**
   * A new card for a lost one; idempotent per form fill like issueCard (a repeat returns the same new card). The new
   * card's code is never in this answer: staff who saw it could sign in as the holder (a holder without a password logs
   * in with the card's code). It goes by e-mail to the holder and guardians; only when nobody has an e-mail does the
   * answer say "letter", and the code is made when the letter is printed (printCardLetter, audited).
   */
  replaceCard: staffProcedure.input(z.strictObject({ cardId: z.number().int().positive(), idempotencyKey: formKeySchema })).mutation(async ({ ctx, input }) => {
    const code = newVerificationCode();
    const codeHash = await hashCode(code);
    const replaced = await ctx.services.store.write((tx) =>
      oncePerSubmission(tx, ctx.actor, "replaceCard", input, () => {
        const result = replaceCard(tx, ctx.actor, input.cardId, codeHash);
        if (!result.ok) return result;
        const notify = notifiedAbout(tx, result.userId);
        const delivery: CodeDelivery = notify.length > 0 ? "email" : "letter";
        // The code stays out of the stored (sealed) answer: it is mailed from this request only, never on a replay.
        return { ok: true as const, answer: { cardId: result.cardId, cardNumber: result.cardNumber, userId: result.userId, oldCardNumber: result.oldCardNumber, holder: result.holder, delivery, notify, hasPassword: result.hasPassword } };
      }),
    );
    if (!replaced.ok) {
      logRefusal(ctx.actor, "replaceCard", input.cardId, replaced.reason);
      throw cardRefused(replaced);
    }
    const { answer } = replaced;
    if (!replaced.replayed) {
      // Replacing signed the cardholder out everywhere; their open portal streams end too. The family gets the new card (and code) by e-mail.
      announceSessionsEnded(ctx.services.bus, answer.userId);
      await sendNotices(
        ctx.services.mailer,
        answer.notify.map((to) => replacementCardMail(to, { holder: answer.holder, oldCardNumber: answer.oldCardNumber, newCardNumber: answer.cardNumber, code: answer.hasPassword ? null : code, by: ctx.actor.label })),
      );
    }
    return { cardId: answer.cardId, cardNumber: answer.cardNumber, delivery: answer.delivery };
  }),

  /**
   * "Udskriv brev": the card letter (an HTML page to print) for a holder nobody can be e-mailed about. Each print makes a
   * fresh code (only the newest letter logs in) and is audited; refused when an e-mail exists or the holder blocked the card.
   */
  printCardLetter: staffProcedure.input(z.strictObject({ cardId: z.number().int().positive(), idempotencyKey: formKeySchema })).mutation(async ({ ctx, input }) => {
    const code = newVerificationCode();
    const codeHash = await hashCode(code);
    const printed = await ctx.services.store.write((tx) =>
      oncePerSubmission(tx, ctx.actor, "printCardLetter", input, () => {
        const letter = printCardLetter(tx, ctx.actor, input.cardId, code, codeHash);
        return letter.ok ? { ok: true as const, answer: { html: cardLetterHtml(letter) } } : letter;
      }),
    );
    if (!printed.ok) {
      logRefusal(ctx.actor, "printCardLetter", input.cardId, printed.reason);
      throw cardRefused(printed);
    }
    return { html: printed.answer.html };
  }),

  /**
   * Class-list CSV: a preview with per-row errors; `commit` writes every row or, on any error, nothing. A commit is
   * idempotent per form fill: the same `idempotencyKey` returns the first import's cards and codes again.
   */
  importCards: staffProcedure.input(z.strictObject({ csv: z.string().max(500_000), commit: z.boolean(), idempotencyKey: formKeySchema })).mutation(async ({ ctx, input }) => {
    const parsed = parseClassList(input.csv);
    if (!parsed.ok || !input.commit) return { ok: parsed.ok, errors: parsed.ok ? [] : parsed.errors, rows: parsed.rows, issued: [] as ImportedCard[] };
    const codes = parsed.rows.map(() => newVerificationCode());
    const hashes = await mapLimited(codes, IMPORT_HASH_CONCURRENCY, hashCode);
    const imported = await ctx.services.store.write((tx) =>
      oncePerSubmission<ImportedCard[], never>(tx, ctx.actor, "importCards", input, () => ({
        ok: true,
        answer: importClassList(tx, ctx.actor, parsed.rows, hashes).map((card, index) => ({ name: parsed.rows[index]!.name, cardNumber: card.cardNumber, verificationCode: codes[index]! })),
      })),
    );
    return { ok: true, errors: [], rows: parsed.rows, issued: imported.answer };
  }),
};
