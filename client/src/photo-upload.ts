// A photo chosen in the browser, shrunk before it is sent (a camera's 5 MB becomes a few hundred kB); the server checks and re-encodes it again.

export type ShrinkRefusal = "wrong_type" | "too_large" | "unreadable";

/** The types staff and cardholders may choose; the server accepts exactly these (checked by the file's first bytes). */
export const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"] as const;

/**
 * The file as a JPEG data URL at most `maxSidePx` on its longest side, or why not: not one of PHOTO_TYPES, larger than
 * `fileBytesMax` (refused before it is read), or not decodable as an image (a text file renamed .jpg). A result above
 * `uploadBytesMax` is tried once more at a lower quality before it counts as too large.
 */
export async function shrinkPhoto(file: File, options: { maxSidePx: number; fileBytesMax: number; uploadBytesMax?: number }): Promise<{ ok: true; dataUrl: string } | { ok: false; reason: ShrinkRefusal }> {
  if (!(PHOTO_TYPES as readonly string[]).includes(file.type)) return { ok: false, reason: "wrong_type" };
  if (file.size > options.fileBytesMax) return { ok: false, reason: "too_large" };
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return { ok: false, reason: "unreadable" };
  }
  const scale = Math.min(1, options.maxSidePx / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  for (const quality of [0.85, 0.7]) {
    const dataUrl = canvas.toDataURL("image/jpeg", quality);
    // base64 carries 3 bytes in 4 characters.
    const bytes = Math.floor(((dataUrl.length - dataUrl.indexOf(",") - 1) * 3) / 4);
    if (options.uploadBytesMax === undefined || bytes <= options.uploadBytesMax) return { ok: true, dataUrl };
  }
  return { ok: false, reason: "too_large" };
}
