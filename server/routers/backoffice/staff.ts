// Back-office procedures for staff accounts and the audit log (administrators only).
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { personName } from "../../../common/text.ts";
import { emailSchema, passwordSchema } from "../../../common/portal.ts";
import { adminProcedure } from "../../trpc.ts";
import { hashPassword } from "../../services/auth.ts";
import { createStaffUser, disableStaff, listStaff, setStaffRole, type StaffChangeRefusal } from "../../services/backoffice/staff.ts";
import { listAuditPage } from "../../services/backoffice/audit.ts";
import { oncePerSubmission } from "../../services/backoffice/submissions.ts";
import { daySchema, formKeySchema, notFound } from "./shared.ts";

function staffRefused(refusal: StaffChangeRefusal): TRPCError {
  if (refusal.reason === "staff_not_found") return notFound("Staff member");
  return new TRPCError({ code: "CONFLICT", message: "own_account: Du kan ikke ændre din egen konto / You cannot change your own account" });
}

export const staffProcedures = {
  /**
   * The audit log, newest first, a page at a time (`nextBeforeId` asks for the next page; null on the last), filtered by
   * staff member, actions and Copenhagen days (both included). Each entry has `summary: { da, en }` in words.
   */
  audit: adminProcedure
    .input(
      z
        .strictObject({
          actorUserId: z.number().int().positive().optional(),
          actions: z.array(z.string().regex(/^[a-z]+\.[a-z]+$/)).max(40).optional(),
          from: daySchema.optional(),
          to: daySchema.optional(),
          beforeId: z.number().int().positive().optional(),
          limit: z.number().int().min(1).max(200).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => ctx.services.store.read((tx) => listAuditPage(tx, ctx.actor.tenantId, input ?? {}))),

  staffMembers: adminProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listStaff(tx, ctx.actor.tenantId))),

  /**
   * A new staff member or administrator of the administrator's own tenant, with an initial password they should change.
   * Idempotent per form fill: a repeat with the same `idempotencyKey` returns the first answer instead of "e-mail taken".
   */
  createStaff: adminProcedure
    .input(
      z.strictObject({
        email: emailSchema,
        name: personName,
        role: z.enum(["staff", "admin"]),
        password: passwordSchema,
        idempotencyKey: formKeySchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const passwordHash = await hashPassword(input.password);
      const created = await ctx.services.store.write((tx) =>
        oncePerSubmission<{ userId: number }, { ok: false; reason: "email_taken" }>(tx, ctx.actor, "createStaff", input, () => {
          const result = createStaffUser(tx, ctx.actor, ctx.actor.tenantId, input, passwordHash);
          return result.ok ? { ok: true as const, answer: { userId: result.userId } } : result;
        }),
      );
      if (!created.ok) throw new TRPCError({ code: "CONFLICT", message: "email_taken: E-mailen bruges allerede / The e-mail is already in use" });
      return created.answer;
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
};
