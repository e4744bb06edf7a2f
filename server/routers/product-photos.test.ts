// Product photos over real HTTP (issue 25): upload re-encoded to WebP at each width with no metadata, shown by the shop
// and the till, public and immutably cached per version; a bad upload (a renamed text file, 30 MB) is refused and changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import sharp from "sharp";
import { createCanteen, PortalClient, startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { db } from "../../db/query.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";
import { PRODUCT_PHOTO_WIDTHS_PX, productPhotoUrl } from "../../common/product-photos.ts";

let server: TestServer;
let staff: PortalClient;
let canteenId: number;
const DEMO_TERMINAL_KEY = "demo-terminal-key-kantinen-0001";
const formKey = () => crypto.randomUUID();

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  staff = new PortalClient(server.url);
  expect((await staff.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "Kantine2026!" })).data).toMatchObject({ ok: true });
  canteenId = ((await staff.query("backoffice.me")).data as { canteens: Array<{ canteenId: number }> }).canteens[0]!.canteenId;
});
afterAll(async () => {
  await server.close();
});

/** A camera-like JPEG: 1600 × 1200, with EXIF (a GPS position, a camera model) that must never reach the shop. */
async function cameraJpeg(): Promise<Buffer> {
  return sharp({ create: { width: 1600, height: 1200, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .jpeg({ quality: 80 })
    .withExif({ IFD0: { Make: "PhoneCo", Model: "Secret 9" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "55/1 40/1 0/1" } })
    .toBuffer();
}
const dataUrl = (mime: string, bytes: Buffer) => `data:${mime};base64,${bytes.toString("base64")}`;

async function newProduct(name: string): Promise<number> {
  const created = await staff.mutate("backoffice.saveProduct", { canteenId, name, category: "Dagens ret", priceOre: 3_200, active: true, idempotencyKey: formKey() });
  expect(created.error).toBeUndefined();
  return created.data.productId as number;
}

/** An upload as the browser sends it, read as text: a body over MAX_BODY_BYTES is answered 413 in plain words, not JSON. */
async function rawUpload(productId: number, photo: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${server.url}/trpc/backoffice.uploadProductPhoto`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", cookie: staff.cookie! },
    body: JSON.stringify({ productId, dataUrl: photo }),
  });
  return { status: response.status, text: await response.text() };
}

/** Everything a photo upload could change: the photo rows, the product's version, and the usual tables. */
function snapshot(productId: number) {
  return {
    ...server.services.store.read((tx) => ({
      photos: tx.all(db.selectFrom("product_photos").select(["product_id", "width_px", "bytes"]).orderBy("product_id").orderBy("width_px")).map((row) => `${row.product_id}:${row.width_px}:${row.bytes.byteLength}`),
      version: tx.first(db.selectFrom("products").select("photo_version").where("id", "=", productId))!.photo_version,
    })),
    counts: tableCounts(server.services.store),
  };
}

describe("an upload", () => {
  test("is stored as WebP at each width, stripped of EXIF, and shown by the catalogue, the shop and the till", async () => {
    const productId = await newProduct("Lasagne med foto");
    const uploaded = await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: dataUrl("image/jpeg", await cameraJpeg()) });
    expect(uploaded.error).toBeUndefined();
    expect(uploaded.data).toEqual({ productId, photoVersion: 1 });

    for (const widthPx of PRODUCT_PHOTO_WIDTHS_PX) {
      // Public: no session, as the till's <img> and the shop's list load it.
      const response = await fetch(`${server.url}${productPhotoUrl(productId, 1, widthPx)}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("image/webp");
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      const metadata = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(metadata.format).toBe("webp");
      expect(metadata.width).toBe(widthPx);
      expect(metadata.height).toBe(Math.round((widthPx * 1200) / 1600));
      expect(metadata.exif).toBeUndefined();
    }

    const products = (await staff.query("backoffice.products", { canteenId })).data as Array<{ productId: number; photoVersion: number | null }>;
    expect(products.find((product) => product.productId === productId)?.photoVersion).toBe(1);

    const tomorrow = addDays(copenhagenDate(Date.now()), 1);
    expect((await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: tomorrow, productId, offered: true })).error).toBeUndefined();
    const cardholder = new PortalClient(server.url);
    await cardholder.login("12345678901234", "482913");
    const menu = (await cardholder.query("webshop.menu", { canteenId, deliveryDay: tomorrow })).data as Array<{ productId: number; photoVersion: number | null }>;
    expect(menu.find((product) => product.productId === productId)?.photoVersion).toBe(1);
    expect(menu.filter((product) => product.productId !== productId).every((product) => product.photoVersion === null)).toBe(true);

    const till = await fetch(`${server.url}/trpc/till.catalogue`, { headers: { authorization: `Bearer ${DEMO_TERMINAL_KEY}` } });
    const catalogue = ((await till.json()) as { result: { data: Array<{ id: number; photoVersion: number | null }> } }).result.data;
    expect(catalogue.find((product) => product.id === productId)?.photoVersion).toBe(1);
  });

  test("a new upload is a new address; the old address still answers, briefly cached; removing shows the placeholder", async () => {
    const productId = await newProduct("Suppe med foto");
    const png = await sharp({ create: { width: 300, height: 300, channels: 4, background: { r: 0, g: 128, b: 0, alpha: 0.5 } } }).png().toBuffer();
    expect((await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: dataUrl("image/png", png) })).data).toEqual({ productId, photoVersion: 1 });
    // A small original is never enlarged: the 640 entry of a 300 px photo is 300 px wide.
    const small = await sharp(Buffer.from(await (await fetch(`${server.url}${productPhotoUrl(productId, 1, 640)}`)).arrayBuffer())).metadata();
    expect([small.width, small.height, small.format]).toEqual([300, 300, "webp"]);
    expect((await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: dataUrl("image/jpeg", await cameraJpeg()) })).data).toEqual({ productId, photoVersion: 2 });
    const old = await fetch(`${server.url}${productPhotoUrl(productId, 1, 320)}`);
    expect(old.status).toBe(200);
    expect(old.headers.get("cache-control")).toBe("public, max-age=60");
    const v2 = await sharp(Buffer.from(await (await fetch(`${server.url}${productPhotoUrl(productId, 2, 640)}`)).arrayBuffer())).metadata();
    expect(v2.width).toBe(640);

    expect((await staff.mutate("backoffice.removeProductPhoto", { productId })).data).toEqual({ ok: true });
    expect(snapshot(productId).version).toBeNull();
    expect((await fetch(`${server.url}${productPhotoUrl(productId, 2, 320)}`)).status).toBe(404);
    expect(snapshot(productId).photos.filter((row) => row.startsWith(`${productId}:`))).toEqual([]);
  });
});

describe("a bad upload gets a clear error and changes nothing", () => {
  test("a text file renamed .jpg, HTML behind a PNG signature, an unsupported format, an empty file", async () => {
    const productId = await newProduct("Salat uden foto");
    const before = snapshot(productId);
    const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: "#fff" } }).gif().toBuffer();
    const uploads = [
      dataUrl("image/jpeg", Buffer.from("Dagens ret: lasagne\nPris: 32 kr.\n")),
      dataUrl("image/png", Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("<html><script>alert(1)</script></html>")])),
      dataUrl("image/gif", gif),
      "data:image/jpeg;base64,",
      "not a data url",
    ];
    for (const upload of uploads) {
      const answer = await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: upload });
      expect(answer.status, upload.slice(0, 30)).toBe(400);
      expect(answer.error?.data.code).toBe("BAD_REQUEST");
      expect(answer.error?.data.issues?.find((issue) => issue.path === "dataUrl")?.message).toBe(
        "Filen kan ikke læses som et JPEG-, PNG- eller WebP-billede / The file cannot be read as a JPEG, PNG or WebP image",
      );
    }
    expect(snapshot(productId)).toEqual(before);
  });

  test("a 30 MB image is refused (over the request limit) and a 900 kB one is too large; the product keeps its photo", async () => {
    const productId = await newProduct("Burger med foto");
    expect((await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: dataUrl("image/jpeg", await cameraJpeg()) })).data.photoVersion).toBe(1);
    const before = snapshot(productId);
    // 30 MB: a JPEG's first bytes and then noise, as big as a camera's RAW-ish export.
    const huge = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(30_000_000, 7)]);
    const answer = await rawUpload(productId, dataUrl("image/jpeg", huge));
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(/for stor|too large/i);
    // 900 kB is 1.2 MB as base64: over the request limit too, so the same 413; what passes the limit is checked again.
    const large = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(900_000, 7)]);
    expect((await rawUpload(productId, dataUrl("image/jpeg", large))).status).toBe(413);
    const justOver = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(705_000, 7)]);
    const refused = await staff.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: dataUrl("image/jpeg", justOver) });
    expect(refused.status).toBe(400);
    expect(refused.error?.data.issues?.find((issue) => issue.path === "dataUrl")?.message).toMatch(/^Billedet er for stort/);
    expect(snapshot(productId)).toEqual(before);
  });

  test("another school's product, a cardholder and no session are refused; nothing is stored", async () => {
    const productId = await newProduct("Pasta med foto");
    const jpeg = dataUrl("image/jpeg", await sharp({ create: { width: 64, height: 64, channels: 3, background: "#c00" } }).jpeg().toBuffer());
    const otherSchool = await createCanteen(server.services.store, "Anden kantine");
    const elsewhere = await server.services.store.write(
      (tx) => tx.run(db.insertInto("products").values({ canteen_id: otherSchool.canteenId, name: "Fremmed", description: null, category: "X", price_ore: 100, allergens: null, created_at: 0 })).lastInsertRowid,
    );
    const before = snapshot(productId);
    expect((await staff.mutate("backoffice.uploadProductPhoto", { productId: elsewhere, dataUrl: jpeg })).error?.data.code).toBe("NOT_FOUND");
    expect((await staff.mutate("backoffice.removeProductPhoto", { productId: elsewhere })).error?.data.code).toBe("NOT_FOUND");
    const cardholder = new PortalClient(server.url);
    await cardholder.login("12345678901234", "482913");
    expect((await cardholder.mutate("backoffice.uploadProductPhoto", { productId, dataUrl: jpeg })).error?.data.code).toBe("FORBIDDEN");
    expect((await new PortalClient(server.url).mutate("backoffice.uploadProductPhoto", { productId, dataUrl: jpeg })).error?.data.code).toBe("UNAUTHORIZED");
    expect(snapshot(productId)).toEqual(before);
    expect(server.services.store.read((tx) => tx.first(db.selectFrom("product_photos").select((eb) => eb.fn.countAll<number>().as("n")).where("product_id", "=", elsewhere))!.n)).toBe(0);
  });
});
