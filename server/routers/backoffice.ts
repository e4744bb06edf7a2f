// Back office for canteen staff and administrators: cards, devices, catalogue and menus, payouts, support, reports, corrections.
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { amountOreSchema, idempotencyKeySchema } from "../../common/limits.ts";
import { emailSchema, passwordSchema } from "../../common/portal.ts";
import { adminProcedure, portalPublicProcedure, router, staffProcedure, type Context } from "../trpc.ts";
import { hashPassword } from "../services/auth.ts";
import { announceSessionsEnded, createSession, deleteSession, findSession, generateSessionToken, readCookie, SESSION_COOKIE, sessionCookie, clearedSessionCookie } from "../auth/session.ts";
import { lockoutSeconds, markLoginSucceeded, reserveLoginAttempt } from "../auth/login-limit.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { publishTransfers } from "../ledger/events.ts";
import { decidePayout } from "../services/payments.ts";
import {
  audit,
  canteensOfTenant,
  createStaffUser,
  disableStaff,
  listStaff,
  setStaffRole,
  type CardChangeRefusal,
  type StaffChangeRefusal,
  cardholderFieldsSchema,
  closeSupportCase,
  createDevice,
  dailyReport,
  importClassList,
  issueCard,
  listAudit,
  listDevices,
  listPayoutRequests,
  listProducts,
  listSupportCases,
  menuWeek,
  newSecret,
  newVerificationCode,
  parseClassList,
  payoutBelongsToTenant,
  postCorrection,
  replaceCard,
  revokeDevice,
  saveProduct,
  searchCardholders,
  setCardStatus,
  setMenuItem,
  setOrderCutoff,
  updateCardholderSchooling,
  linkGuardian,
  unlinkGuardian,
  type GuardianRefusal,
} from "../services/backoffice.ts";
import { kroner, spreadsheetSafe, toCsv } from "../csv.ts";
import { cardNumberSchema } from "../../common/limits.ts";

const dummyHash = Bun.password.hash("not-a-real-staff-password-0", { algorithm: "argon2id" });
const hashCode = (code: string) => Bun.password.hash(code, { algorithm: "argon2id" });
const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: "Dato skal være ÅÅÅÅ-MM-DD / Date must be YYYY-MM-DD" });
const notFound = (what: string) => new TRPCError({ code: "NOT_FOUND", message: `${what} not found` });

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

function staffRefused(refusal: StaffChangeRefusal): TRPCError {
  if (refusal.reason === "staff_not_found") return notFound("Staff member");
  return new TRPCError({ code: "CONFLICT", message: "own_account: Du kan ikke ændre din egen konto / You cannot change your own account" });
}

function guardianRefused(refusal: GuardianRefusal): TRPCError {
  if (refusal.reason === "cardholder_not_found") return notFound("Cardholder");
  if (refusal.reason === "guardian_not_found") return notFound("Guardian card");
  return new TRPCError({ code: "CONFLICT", message: "own_guardian: En kortholder kan ikke være sin egen værge / A cardholder cannot be their own guardian" });
}

function signIn(ctx: Context, userId: number) {
  const token = generateSessionToken();
  return ctx.services.store
    .write((tx) => createSession(tx, token, userId))
    .then((session) => ctx.resHeaders?.append("set-cookie", sessionCookie(token, session.expiresAt, ctx.secure ?? false)));
}

export const backofficeRouter = router({
  /** Staff sign in with e-mail and password; the same rate limits as cardholders. */
  login: portalPublicProcedure.input(z.strictObject({ email: emailSchema, password: z.string().min(1).max(200) })).mutation(async ({ ctx, input }) => {
    const { store } = ctx.services;
    const username = `staff:${input.email.toLowerCase()}`;
    const reservation = await store.write((tx) => reserveLoginAttempt(tx, username, ctx.clientAddress));
    if (reservation.attemptId === null) return { ok: false as const, reason: "locked" as const, retryAfterSeconds: reservation.lockedSeconds };
    const staff = store.read(
      (tx) =>
        tx.sqlite.query("SELECT id, role, name, password_hash FROM users WHERE lower(email) = lower(?) AND role IN ('staff', 'admin') AND disabled_at IS NULL").get(input.email) as {
          id: number;
          role: "staff" | "admin";
          name: string | null;
          password_hash: string | null;
        } | null,
    );
    const valid = staff?.password_hash ? await Bun.password.verify(input.password, staff.password_hash) : (await Bun.password.verify(input.password, await dummyHash)) && false;
    console.info(`staff login ${valid ? "succeeded" : "failed"} from ${ctx.clientAddress ?? "?"}`);
    if (!valid || !staff) {
      const locked = store.read((tx) => lockoutSeconds(tx, username, ctx.clientAddress));
      return locked > 0 ? { ok: false as const, reason: "locked" as const, retryAfterSeconds: locked } : { ok: false as const, reason: "invalid_credentials" as const };
    }
    await store.write((tx) => markLoginSucceeded(tx, reservation.attemptId!));
    const old = readCookie(ctx.headers.get("cookie"), SESSION_COOKIE);
    if (old) {
      const found = store.read((tx) => findSession(tx, old));
      if (found) await store.write((tx) => deleteSession(tx, found.session.id));
    }
    await signIn(ctx, staff.id);
    return { ok: true as const, staff: { userId: staff.id, name: staff.name, role: staff.role } };
  }),

  logout: staffProcedure.mutation(async ({ ctx }) => {
    await ctx.services.store.write((tx) => deleteSession(tx, ctx.session.id));
    ctx.resHeaders?.append("set-cookie", clearedSessionCookie(ctx.secure ?? false));
    return { ok: true as const };
  }),

  me: staffProcedure.query(({ ctx }) => ({ userId: ctx.actor.userId, email: ctx.actor.label, role: ctx.actor.role, canteens: ctx.services.store.read((tx) => canteensOfTenant(tx, ctx.actor.tenantId)) })),

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

  /** Makes another cardholder of the school (found by card number) a guardian who may act on this cardholder's accounts. */
  linkGuardian: staffProcedure.input(z.strictObject({ userId: z.number().int().positive(), guardianCardNumber: cardNumberSchema })).mutation(async ({ ctx, input }) => {
    const linked = await ctx.services.store.write((tx) => linkGuardian(tx, ctx.actor, input.userId, input.guardianCardNumber));
    if (!linked.ok) throw guardianRefused(linked);
    // The guardian's open portal streams start carrying the child's accounts now, not at their next sign-in.
    ctx.services.bus.publish("accessChanged", linked.guardian.userId, { userId: linked.guardian.userId });
    return { ok: true as const, guardian: linked.guardian };
  }),

  unlinkGuardian: staffProcedure.input(z.strictObject({ userId: z.number().int().positive(), guardianUserId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => unlinkGuardian(tx, ctx.actor, input.userId, input.guardianUserId)))) throw notFound("Guardian link");
    // The guardian's open portal streams stop carrying the child's accounts at once.
    ctx.services.bus.publish("accessChanged", input.guardianUserId, { userId: input.guardianUserId });
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

  devices: adminProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listDevices(tx, ctx.actor))),

  /** A POS terminal or kitchen screen; its key/token is in this answer only and stored hashed. */
  createDevice: adminProcedure
    .input(z.strictObject({ kind: z.enum(["terminal", "screen"]), canteenId: z.number().int().positive(), name: z.string().trim().min(1).max(60) }))
    .mutation(async ({ ctx, input }) => {
      const secret = newSecret(input.kind === "terminal" ? "pos" : "screen");
      const id = await ctx.services.store.write((tx) => createDevice(tx, ctx.actor, input.kind, input.canteenId, input.name, hashApiKey(secret)));
      if (!id) throw notFound("Canteen");
      return { id, secret };
    }),

  revokeDevice: adminProcedure.input(z.strictObject({ kind: z.enum(["terminal", "screen"]), id: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => revokeDevice(tx, ctx.actor, input.kind, input.id)))) throw notFound("Device");
    if (input.kind === "screen") ctx.services.bus.publish("screenRevoked", input.id, { screenId: input.id });
    return { ok: true as const };
  }),

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
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const id = await ctx.services.store.write((tx) => saveProduct(tx, ctx.actor, input));
      if (!id) throw notFound("Product");
      return { productId: id };
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

  payouts: adminProcedure.input(z.strictObject({ status: z.enum(["pending", "all"]) })).query(({ ctx, input }) => ctx.services.store.read((tx) => listPayoutRequests(tx, ctx.actor, input.status))),

  /** The pending payouts as a CSV for the bank. */
  payoutsCsv: adminProcedure.query(({ ctx }) => {
    const rows = ctx.services.store.read((tx) => listPayoutRequests(tx, ctx.actor, "pending"));
    // Name and message are typed by the cardholder; the bank file is opened in a spreadsheet.
    return toCsv(
      ["Id", "Navn", "Reg.nr.", "Kontonummer", "Beløb", "Besked"],
      rows.map((row) => [row.payoutId, spreadsheetSafe(row.name), row.registrationNumber, row.bankAccountNumber, kroner(row.amountOre), row.message === null ? null : spreadsheetSafe(row.message)]),
    );
  }),

  decidePayout: adminProcedure
    .input(z.discriminatedUnion("status", [z.strictObject({ payoutId: z.number().int().positive(), status: z.literal("paid") }), z.strictObject({ payoutId: z.number().int().positive(), status: z.literal("rejected"), reason: z.string().trim().min(3).max(200) })]))
    .mutation(async ({ ctx, input }) => {
      const decided = await ctx.services.store.write((tx) => {
        if (!payoutBelongsToTenant(tx, ctx.actor, input.payoutId)) return null;
        // decidePayout hands back a payout that is no longer pending unchanged; that is no decision and must not be audited.
        const current = tx.sqlite.query("SELECT status FROM payouts WHERE id = ?").get(input.payoutId) as { status: string };
        if (current.status !== "pending") return "already_decided" as const;
        const result = decidePayout(tx, input.payoutId, input.status === "paid" ? { status: "paid" } : { status: "rejected", reason: input.reason });
        if (result) audit(tx, ctx.actor, `payout.${input.status}`, `payout:${input.payoutId}`, input.status === "rejected" ? { reason: input.reason } : {});
        return result;
      });
      if (!decided) throw notFound("Payout");
      if (decided === "already_decided") throw new TRPCError({ code: "CONFLICT", message: "already_decided: Udbetalingen er allerede afgjort / The payout has already been decided" });
      publishTransfers(ctx.services.bus, decided.transfers);
      return { payout: decided.payout };
    }),

  supportCases: staffProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listSupportCases(tx, ctx.actor))),

  replySupport: staffProcedure.input(z.strictObject({ caseId: z.number().int().positive(), message: z.string().trim().min(2).max(5_000) })).mutation(async ({ ctx, input }) => {
    const supportCase = ctx.services.store.read((tx) => listSupportCases(tx, ctx.actor).find((candidate) => candidate.caseId === input.caseId));
    if (!supportCase) throw notFound("Support case");
    if (supportCase.status === "closed") throw new TRPCError({ code: "CONFLICT", message: "case_closed: Sagen er lukket / The case is closed" });
    // The reply is audited only once the mailer has taken it; a failed send is an error the staff member sees and can retry.
    try {
      await ctx.services.mailer.send({ to: supportCase.email, subject: `Svar på supportsag ${supportCase.caseNumber}`, text: input.message });
    } catch (error) {
      console.error(`support reply mail failed (case ${supportCase.caseNumber}):`, error instanceof Error ? error.message : error);
      throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: "mail_failed: Svaret kunne ikke sendes; prøv igen / The reply could not be sent; try again" });
    }
    await ctx.services.store.write((tx) => audit(tx, ctx.actor, "support.reply", `support:${input.caseId}`, { length: input.message.length }));
    return { ok: true as const };
  }),

  closeSupport: staffProcedure.input(z.strictObject({ caseId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => closeSupportCase(tx, ctx.actor, input.caseId)))) throw notFound("Support case");
    return { ok: true as const };
  }),

  report: staffProcedure.input(z.strictObject({ day: daySchema })).query(({ ctx, input }) => {
    const report = ctx.services.store.read((tx) => dailyReport(tx, ctx.actor.tenantId, input.day));
    const csv = toCsv(["Produkt", "Antal", "Beløb"], report.salesByProduct.map((row) => [spreadsheetSafe(row.product), row.quantity, kroner(row.amountOre)]));
    return { ...report, csv };
  }),

  /** A correcting transfer with a mandatory reason; administrators only. */
  correct: adminProcedure
    .input(z.strictObject({ accountId: z.number().int().positive(), amountOre: amountOreSchema, direction: z.enum(["credit", "debit"]), reason: z.string().trim().min(5).max(200), idempotencyKey: idempotencyKeySchema }))
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.services.store.write((tx) => postCorrection(tx, ctx.actor, input));
      if (!result.ok) {
        if (result.reason === "account_not_found") throw notFound("Account");
        return { ok: false as const, reason: result.reason };
      }
      publishTransfers(ctx.services.bus, [result.transfer]);
      return { ok: true as const };
    }),

  audit: adminProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listAudit(tx, ctx.actor.tenantId))),

  staffMembers: adminProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listStaff(tx, ctx.actor.tenantId))),

  /** A new staff member or administrator of the administrator's own tenant, with an initial password they should change. */
  createStaff: adminProcedure
    .input(z.strictObject({ email: emailSchema, name: z.string().trim().min(1, { error: "Navn skal udfyldes / Name is required" }).max(100), role: z.enum(["staff", "admin"]), password: passwordSchema }))
    .mutation(async ({ ctx, input }) => {
      const passwordHash = await hashPassword(input.password);
      const created = await ctx.services.store.write((tx) => createStaffUser(tx, ctx.actor, ctx.actor.tenantId, input, passwordHash));
      if (!created.ok) throw new TRPCError({ code: "CONFLICT", message: "email_taken: E-mailen bruges allerede / The e-mail is already in use" });
      return { userId: created.userId };
    }),

  setStaffRole: adminProcedure.input(z.strictObject({ userId: z.number().int().positive(), role: z.enum(["staff", "admin"]) })).mutation(async ({ ctx, input }) => {
    const changed = await ctx.services.store.write((tx) => setStaffRole(tx, ctx.actor, input.userId, input.role));
    if (!changed.ok) throw staffRefused(changed);
    return { ok: true as const };
  }),

  disableStaff: adminProcedure.input(z.strictObject({ userId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    const changed = await ctx.services.store.write((tx) => disableStaff(tx, ctx.actor, input.userId));
    if (!changed.ok) throw staffRefused(changed);
    return { ok: true as const };
  }),
});

