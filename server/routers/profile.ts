// Brugerinfo: the cardholder's own details, masked CPR, spending limits and photo.
import { TRPCError } from "@trpc/server";
import { MAX_PHOTO_BYTES, photoInputSchema, profileUpdateSchema } from "../../common/portal.ts";
import { cardholderProcedure, router } from "../trpc.ts";
import { decodePhoto, getProfile, savePhoto, updateProfile } from "../services/portal.ts";

export const profileRouter = router({
  get: cardholderProcedure.query(({ ctx }) => ctx.services.store.read((tx) => getProfile(tx, ctx.userId, ctx.services.cpr))),

  update: cardholderProcedure.input(profileUpdateSchema).mutation(async ({ ctx, input }) => {
    const { store, cpr } = ctx.services;
    await store.write((tx) => updateProfile(tx, ctx.userId, input, cpr));
    return store.read((tx) => getProfile(tx, ctx.userId, cpr));
  }),

  uploadPhoto: cardholderProcedure.input(photoInputSchema).mutation(async ({ ctx, input }) => {
    const photo = decodePhoto(input.dataUrl, MAX_PHOTO_BYTES);
    if (!photo.ok) {
      throw new TRPCError({
        code: "BAD_REQUEST",
        message:
          photo.reason === "too_large"
            ? "Invalid input: dataUrl: Billedet er for stort (højst 300 kB) / The photo is too large (300 kB at most)"
            : "Invalid input: dataUrl: Kun JPEG, PNG eller WebP / Only JPEG, PNG or WebP images",
      });
    }
    const version = await ctx.services.store.write((tx) => savePhoto(tx, ctx.userId, photo.mime, photo.bytes));
    return { photoUrl: `/photos/${ctx.userId}?v=${version}` };
  }),
});
