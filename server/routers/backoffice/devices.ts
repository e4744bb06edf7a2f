// Back-office procedures for POS terminals and kitchen screens (administrators only).
import * as z from "zod";
import { adminProcedure } from "../../trpc.ts";
import { hashApiKey } from "../../auth/terminal.ts";
import { createDevice, listDevices, newSecret, revokeDevice } from "../../services/backoffice/devices.ts";
import { notFound } from "./shared.ts";

export const deviceProcedures = {
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
};
