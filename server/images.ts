// The one place images from outside are decoded and re-encoded (cardholder photos now, product photos later), with sharp.
import sharp from "sharp";

// Decoded pixels are not kept between calls: every image is new, so the cache would only hold memory.
sharp.cache(false);

export type ImageFormat = "jpeg" | "webp";
export type ImageMime = "image/jpeg" | "image/webp";

/**
 * The formats we decode. SVG (a script-capable document), GIF, TIFF, HEIF and the rest are refused before any decoder
 * runs on them: a photo needs none of them, and each decoder is code an attacker could aim at.
 */
const ACCEPTED_INPUT = new Set(["jpeg", "png", "webp"]);

/** The most bytes any upload may have before it is decoded, whatever the caller asks for. */
export const MAX_IMAGE_INPUT_BYTES = 10_000_000;
/**
 * The most pixels a decoder may produce (about 7000 × 7000): a small, well-compressed file can claim a huge canvas
 * (a decompression bomb), and sharp refuses it from the header before allocating the pixels.
 */
const MAX_INPUT_PIXELS = 50_000_000;

export interface ReencodeOptions {
  /** The output is at most this wide; a smaller image is not enlarged. */
  maxWidthPx: number;
  /** The output is at most this high; omitted, only the width limits it (product photos at several widths). */
  maxHeightPx?: number;
  format: ImageFormat;
  /** 1–100; 82 by default, which keeps faces sharp at a fraction of the bytes. */
  quality?: number;
  /** Refuse a larger input before decoding; at most MAX_IMAGE_INPUT_BYTES, the default. */
  maxInputBytes?: number;
}

export interface EncodedImage {
  bytes: Uint8Array;
  mime: ImageMime;
  widthPx: number;
  heightPx: number;
}

export type ReencodeRefusal = "too_large" | "not_an_image";
export type ReencodeResult = ({ ok: true } & EncodedImage) | { ok: false; reason: ReencodeRefusal };

/**
 * Decodes an uploaded image and writes it anew: turned upright by its EXIF orientation, shrunk to fit the limits,
 * flattened onto white for JPEG, in sRGB, and with no metadata at all (EXIF, GPS position, XMP, ICC, comments), so
 * nothing but pixels survives; bytes that are not a JPEG, PNG or WebP image are refused and nothing is returned.
 * It never rejects: a broken file is a refusal. The work runs on libuv's threads, so the caller's event loop is free.
 */
export async function reencodeImage(input: Uint8Array, options: ReencodeOptions): Promise<ReencodeResult> {
  const [first] = await reencodeImageSizes(input, [options.maxWidthPx], options);
  return first!;
}

/**
 * The same image at several widths (e.g. 320, 640 and 1280 px for a product photo), decoded and checked once. Every
 * entry of the answer is a refusal if the input is refused.
 */
export async function reencodeImageSizes(input: Uint8Array, widthsPx: readonly number[], options: Omit<ReencodeOptions, "maxWidthPx">): Promise<ReencodeResult[]> {
  const refuse = (reason: ReencodeRefusal): ReencodeResult[] => widthsPx.map(() => ({ ok: false, reason }));
  const maxInputBytes = Math.min(options.maxInputBytes ?? MAX_IMAGE_INPUT_BYTES, MAX_IMAGE_INPUT_BYTES);
  if (input.byteLength > maxInputBytes) return refuse("too_large");
  if (input.byteLength === 0) return refuse("not_an_image");
  try {
    // failOn "error": a truncated or corrupt file is refused, not half-decoded; a mere warning (stray bytes between
    // JPEG markers, common from phones) is not worth refusing a photo for, as only the decoded pixels are kept.
    const source = sharp(input, { failOn: "error", limitInputPixels: MAX_INPUT_PIXELS, animated: false });
    const metadata = await source.metadata();
    if (!metadata.format || !ACCEPTED_INPUT.has(metadata.format)) return refuse("not_an_image");
    return await Promise.all(
      widthsPx.map(async (widthPx) => {
        let pipeline = source
          .clone()
          .rotate()
          .resize({ width: widthPx, ...(options.maxHeightPx ? { height: options.maxHeightPx } : {}), fit: "inside", withoutEnlargement: true });
        const quality = options.quality ?? 82;
        pipeline = options.format === "jpeg" ? pipeline.flatten({ background: "#ffffff" }).jpeg({ quality, mozjpeg: true }) : pipeline.webp({ quality });
        const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
        return { ok: true as const, bytes: new Uint8Array(data), mime: `image/${options.format}` as ImageMime, widthPx: info.width, heightPx: info.height };
      }),
    );
  } catch (error) {
    // A canvas over the pixel limit is too large; whatever else libvips could not read (HTML behind a PNG signature, a
    // cut-off file) is not an image to us.
    return refuse(error instanceof Error && /pixel limit/i.test(error.message) ? "too_large" : "not_an_image");
  }
}
