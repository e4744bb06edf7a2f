// Image re-encoding (issue 29, finding 10): only decodable JPEG/PNG/WebP pass, resized, with every byte of metadata gone.
import { describe, expect, test } from "vitest";
import sharp from "sharp";
import { reencodeImage, reencodeImageSizes } from "./images.ts";

/** A phone-like photo: a JPEG carrying EXIF with a GPS position (Copenhagen) and the camera's make. */
async function jpegWithGps(width = 64, height = 48): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 180, g: 40, b: 40 } } })
    .jpeg()
    .withExif({ IFD0: { Make: "KidPhone" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "55/1 40/1 34/1", GPSLongitudeRef: "E", GPSLongitude: "12/1 34/1 6/1" } })
    .toBuffer();
}

/** The EXIF GPSInfo pointer tag (0x8825) in either byte order. */
const hasGpsTag = (bytes: Uint8Array) => Buffer.from(bytes).includes(Buffer.from([0x25, 0x88])) || Buffer.from(bytes).includes(Buffer.from([0x88, 0x25]));

describe("reencodeImage", () => {
  test("a PNG signature followed by HTML is refused", async () => {
    const polyglot = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("<html><script>alert(document.cookie)</script></html>")]);
    expect(await reencodeImage(polyglot, { maxWidthPx: 512, format: "jpeg" })).toEqual({ ok: false, reason: "not_an_image" });
  });

  test("a JPEG with EXIF GPS comes back as a JPEG with no EXIF at all", async () => {
    const input = await jpegWithGps();
    // The fixture really carries what we want gone.
    expect(Buffer.from(input).includes("Exif")).toBe(true);
    expect(Buffer.from(input).includes("KidPhone")).toBe(true);
    expect(hasGpsTag((await sharp(input).metadata()).exif!)).toBe(true);
    const output = await reencodeImage(input, { maxWidthPx: 512, maxHeightPx: 512, format: "jpeg" });
    if (!output.ok) throw new Error(output.reason);
    expect(output.mime).toBe("image/jpeg");
    expect([...output.bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const bytes = Buffer.from(output.bytes);
    expect(bytes.includes("Exif")).toBe(false);
    expect(bytes.includes("KidPhone")).toBe(false);
    const metadata = await sharp(output.bytes).metadata();
    expect(metadata.exif).toBeUndefined();
    expect(metadata.xmp).toBeUndefined();
    expect({ width: metadata.width, height: metadata.height }).toEqual({ width: 64, height: 48 });
  });

  test("an oversized image is shrunk to fit, keeping its proportions; a small one is not enlarged", async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: "#3366cc" } }).png().toBuffer();
    expect(await reencodeImage(big, { maxWidthPx: 512, maxHeightPx: 512, format: "jpeg" })).toMatchObject({ ok: true, widthPx: 512, heightPx: 341 });
    const tall = await sharp({ create: { width: 1000, height: 4000, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).webp().toBuffer();
    expect(await reencodeImage(tall, { maxWidthPx: 512, maxHeightPx: 512, format: "webp" })).toMatchObject({ ok: true, mime: "image/webp", widthPx: 128, heightPx: 512 });
    expect(await reencodeImage(await jpegWithGps(20, 10), { maxWidthPx: 512, format: "jpeg" })).toMatchObject({ ok: true, widthPx: 20, heightPx: 10 });
  });

  test("a 30 MB upload is refused by its size, before any decoding", async () => {
    // A real JPEG padded to 30 MB: decoded, it would pass; refused as too large, it never reached the decoder.
    const padded = Buffer.concat([await jpegWithGps(), Buffer.alloc(30_000_000)]);
    expect(await reencodeImage(padded, { maxWidthPx: 512, format: "jpeg" })).toEqual({ ok: false, reason: "too_large" });
    // The caller's own cap is kept too.
    expect(await reencodeImage(await jpegWithGps(), { maxWidthPx: 512, format: "jpeg", maxInputBytes: 100 })).toEqual({ ok: false, reason: "too_large" });
  });

  test("formats a photo does not need (SVG, GIF), empty and cut-off files are refused", async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>');
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#fff" } }).gif().toBuffer();
    const cut = (await jpegWithGps(200, 200)).subarray(0, 400);
    for (const input of [svg, gif, Buffer.alloc(0), cut]) expect(await reencodeImage(input, { maxWidthPx: 512, format: "jpeg" })).toEqual({ ok: false, reason: "not_an_image" });
  });

  test("several widths from one decode, for product photos", async () => {
    const photo = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: "#aa8800" } }).jpeg().toBuffer();
    const sizes = await reencodeImageSizes(photo, [320, 640, 1280], { format: "webp" });
    expect(sizes.map((size) => (size.ok ? [size.widthPx, size.heightPx] : size.reason))).toEqual([
      [320, 160],
      [640, 320],
      [1280, 640],
    ]);
  });
});
