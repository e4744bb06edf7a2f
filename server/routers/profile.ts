// Brugerinfo: the cardholder's own details, masked CPR, spending limits and photo.
import * as z from "zod";
import { MAX_PHOTO_BYTES, photoInputSchema, profileUpdateSchema } from "../../common/portal.ts";
import { cardholderProcedure, router } from "../trpc.ts";
import { decodePhoto, getProfile, savePhoto, updateProfile } from "../services/portal.ts";
import { TRPCError } from "@trpc/server";
import { hasGuardian } from "../services/payer.ts";
import { reencodeImage } from "../images.ts";

/**
 * The longest side of a stored photo: the portal shows it at 96 px and the till somewhat larger, and the till receives
 * it as a data URL on every card it looks up, so 512 px (what the portal's own upload already sends) is plenty.
 */
const PHOTO_MAX_SIDE_PX = 512;

/**
 * The photo's data URL, size and first bytes are checked as part of input validation, so a bad file is a BAD_REQUEST
 * with a field issue on `dataUrl` (like every other field error) and nothing is written. The image itself is decoded
 * and re-encoded in the mutation (below), which refuses in the same shape.
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
    // Never stored as sent: a file can pass the signature check and carry HTML behind it, and a phone photo carries
    // its EXIF GPS position. Only the re-encoded pixels are kept, before the write (which never awaits).
    const clean = await reencodeImage(input.bytes, { maxWidthPx: PHOTO_MAX_SIDE_PX, maxHeightPx: PHOTO_MAX_SIDE_PX, format: "jpeg", maxInputBytes: MAX_PHOTO_BYTES });
    if (!clean.ok) {
      // A ZodRealError (an Error, unlike `new ZodError`) so that tRPC keeps it as the cause and the client sees the
      // same field issue on `dataUrl` as for a refusal during input validation.
      const message = clean.reason === "too_large" ? "Billedet er for stort / The photo is too large" : "Filen kan ikke læses som et JPEG-, PNG- eller WebP-billede / The file cannot be read as a JPEG, PNG or WebP image";
      throw new TRPCError({ code: "BAD_REQUEST", message, cause: new z.ZodRealError([{ code: "custom", path: ["dataUrl"], input: undefined, message }]) });
    }
    const version = await ctx.services.store.write((tx) => savePhoto(tx, ctx.userId, clean.mime, clean.bytes));
    return { photoUrl: `/photos/${ctx.userId}?v=${version}` };
  }),
});
