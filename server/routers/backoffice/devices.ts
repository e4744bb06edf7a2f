// Back-office procedures for POS terminals and kitchen screens (administrators only).
import * as z from "zod";
import { lineText } from "../../../common/text.ts";
import { adminProcedure } from "../../trpc.ts";
import { hashApiKey } from "../../auth/terminal.ts";
import { createDevice, listDevices, newSecret, revokeDevice } from "../../services/backoffice/devices.ts";
import { oncePerSubmission } from "../../services/backoffice/submissions.ts";
import { formKeySchema, notFound } from "./shared.ts";

export const deviceProcedures = {
  devices: adminProcedure.query(({ ctx }) => ctx.services.store.read((tx) => listDevices(tx, ctx.actor))),

  /**
   * A POS terminal or kitchen screen; its key/token is in this answer only and stored hashed. Idempotent per form fill:
   * a repeat with the same `idempotencyKey` returns the same device and key, so no active key is left that nobody saw.
   */
  createDevice: adminProcedure
    .input(z.strictObject({ kind: z.enum(["terminal", "screen"]), canteenId: z.number().int().positive(), name: lineText(60, { min: 1 }), idempotencyKey: formKeySchema }))
    .mutation(async ({ ctx, input }) => {
      const secret = newSecret(input.kind === "terminal" ? "pos" : "screen");
      const created = await ctx.services.store.write((tx) =>
        oncePerSubmission<{ id: number; secret: string }, { ok: false }>(tx, ctx.actor, "createDevice", input, () => {
          const id = createDevice(tx, ctx.actor, input.kind, input.canteenId, input.name, hashApiKey(secret));
          return id ? { ok: true as const, answer: { id, secret } } : { ok: false as const };
        }),
      );
      if (!created.ok) throw notFound("Canteen");
      return created.answer;
    }),

  revokeDevice: adminProcedure.input(z.strictObject({ kind: z.enum(["terminal", "screen"]), id: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await ctx.services.store.write((tx) => revokeDevice(tx, ctx.actor, input.kind, input.id)))) throw notFound("Device");
    if (input.kind === "screen") ctx.services.bus.publish("screenRevoked", input.id, { screenId: input.id });
    return { ok: true as const };
  }),
};
