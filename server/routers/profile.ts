// Brugerinfo: the cardholder's own details, masked CPR, spending limits and photo.
import * as z from "zod";
import { MAX_PHOTO_BYTES, photoInputSchema, profileUpdateSchema } from "../../common/portal.ts";
import { cardholderProcedure, router } from "../trpc.ts";
import { decodePhoto, getProfile, savePhoto, updateProfile } from "../services/portal.ts";
import { TRPCError } from "@trpc/server";
import { hasGuardian } from "../services/payer.ts";

/**
 * The photo is checked as part of input validation, so a bad file is a BAD_REQUEST with a field issue on `dataUrl`
 * (like every other field error) and nothing is written. The declared type must match the file's first bytes.
 */
const photoUploadSchema = photoInputSchema.transform((input, context) => {
  const photo = decodePhoto(input.dataUrl, MAX_PHOTO_BYTES);
  if (photo.ok) return { mime: photo.mime, bytes: photo.bytes };
  context.issues.push({
    code: "custom",
    path: ["dataUrl"],
    input: input.dataUrl.slice(0, 40),
    message:
      photo.reason === "too_large"
        ? "Billedet er for stort (højst 300 kB) / The photo is too large (300 kB at most)"
        : "Kun JPEG, PNG eller WebP / Only JPEG, PNG or WebP images",
  });
  return z.NEVER;
});

export const profileRouter = router({
  get: cardholderProcedure.query(({ ctx }) => ctx.services.store.read((tx) => getProfile(tx, ctx.userId, ctx.services.cpr))),

  update: cardholderProcedure.input(profileUpdateSchema).mutation(async ({ ctx, input }) => {
    const { store, cpr } = ctx.services;
    const saved = await store.write((tx) => {
      // A child's Maks. forbrug is set by their guardian (limits.set); the child sees it and cannot change it here.
      if (hasGuardian(tx, ctx.userId)) {
        const current = getProfile(tx, ctx.userId, cpr).limits;
        const { dailyOre, weeklyOre, monthlyOre } = input.limits;
        if (current.dailyOre !== dailyOre || current.weeklyOre !== weeklyOre || current.monthlyOre !== monthlyOre) return false;
      }
      updateProfile(tx, ctx.userId, input, cpr);
      return true;
    });
    if (!saved) throw new TRPCError({ code: "FORBIDDEN", message: "Maks. forbrug bestemmes af din værge. / Your guardian sets your maximum spending." });
    return store.read((tx) => getProfile(tx, ctx.userId, cpr));
  }),

  uploadPhoto: cardholderProcedure.input(photoUploadSchema).mutation(async ({ ctx, input }) => {
    const version = await ctx.services.store.write((tx) => savePhoto(tx, ctx.userId, input.mime, input.bytes));
    return { photoUrl: `/photos/${ctx.userId}?v=${version}` };
  }),
});
