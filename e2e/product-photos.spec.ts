// Product photos (issue 25) in real browsers: a bad upload in Katalog (a renamed text file, a 30 MB image) gets a clear
// error and changes nothing; a good one appears in the webshop and at the till with srcset and lazy loading.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import sharp from "sharp";
import { DEMO_KEY, signIn } from "./helpers.ts";

const CSRF = { "x-kantinekort-csrf": "1" };

async function adminSignIn(page: Page): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("admin@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Admin2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
}

const tomorrow = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date(Date.now() + 86_400_000));

/** A product of the demo canteen, on tomorrow's menu, made through the back office's own procedures. */
async function productOnTomorrowsMenu(request: APIRequestContext, name: string): Promise<{ productId: number; canteenId: number }> {
  const me = (await (await request.get("/trpc/backoffice.me")).json()).result.data as { canteens: Array<{ canteenId: number }> };
  const canteenId = me.canteens[0]!.canteenId;
  const saved = await request.post("/trpc/backoffice.saveProduct", { headers: CSRF, data: { canteenId, name, category: "Dagens ret", priceOre: 3_900, active: true, idempotencyKey: crypto.randomUUID() } });
  const productId = (await saved.json()).result.data.productId as number;
  expect((await request.post("/trpc/backoffice.setMenuItem", { headers: CSRF, data: { canteenId, deliveryDay: tomorrow(), productId, offered: true } })).status()).toBe(200);
  return { productId, canteenId };
}

async function photoVersionOf(request: APIRequestContext, canteenId: number, productId: number): Promise<number | null> {
  const products = (await (await request.get(`/trpc/backoffice.products?input=${encodeURIComponent(JSON.stringify({ canteenId }))}`)).json()).result.data as Array<{ productId: number; photoVersion: number | null }>;
  return products.find((product) => product.productId === productId)!.photoVersion;
}

test("Katalog: a renamed text file and a 30 MB image are refused with a clear error; a photo then shows in the webshop and at the till", async ({ page, browser }) => {
  test.setTimeout(60_000);
  await adminSignIn(page);
  const name = `Fotoret ${Date.now() % 100_000}`;
  const { productId, canteenId } = await productOnTomorrowsMenu(page.request, name);
  await page.getByRole("button", { name: "Katalog og menuer" }).click();
  const row = page.getByTestId(`product-${productId}`);
  await expect(row).toContainText("Intet foto");
  const chooser = row.getByLabel(`Vælg foto af ${name}`);

  // A text file renamed .jpg: the browser cannot decode it, so nothing is sent, and the row says so.
  await chooser.setInputFiles({ name: "dagens-ret.jpg", mimeType: "image/jpeg", buffer: Buffer.from("Dagens ret: lasagne\nPris: 39 kr.\n") });
  await expect(row.getByRole("alert")).toHaveText("Filen kan ikke læses som et billede. Intet er ændret.");
  // 30 MB: refused before it is even read.
  await chooser.setInputFiles({ name: "kamera.jpg", mimeType: "image/jpeg", buffer: Buffer.alloc(30_000_000, 0xff) });
  await expect(row.getByRole("alert")).toHaveText("Billedet er for stort: højst 20 MB. Intet er ændret.");
  // A file of another type (a GIF) is refused by its type.
  await chooser.setInputFiles({ name: "animation.gif", mimeType: "image/gif", buffer: await sharp({ create: { width: 8, height: 8, channels: 3, background: "#fff" } }).gif().toBuffer() });
  await expect(row.getByRole("alert")).toHaveText("Vælg et JPEG-, PNG- eller WebP-billede.");
  expect(await photoVersionOf(page.request, canteenId, productId)).toBeNull();
  await expect(row).toContainText("Intet foto");

  // A camera photo (2400 × 1800 JPEG) is shrunk in the browser, re-encoded by the server and shown in the row.
  const photo = await sharp({ create: { width: 2400, height: 1800, channels: 3, background: { r: 180, g: 90, b: 30 } } }).jpeg({ quality: 90 }).toBuffer();
  await chooser.setInputFiles({ name: "lasagne.jpg", mimeType: "image/jpeg", buffer: photo });
  await expect(row.getByRole("status")).toHaveText(`Foto af ${name} er gemt.`);
  await expect(row.getByRole("img", { name: `Foto af ${name}` })).toBeVisible();
  expect(await photoVersionOf(page.request, canteenId, productId)).toBe(1);

  // The webshop: the product's photo with srcset and lazy loading; another product without one has the placeholder.
  const shopContext = await browser.newContext();
  const shop = await shopContext.newPage();
  await signIn(shop, "12345678901234", "482913");
  await expect(shop).toHaveURL(/\/konti$/);
  await shop.goto("/webshop");
  const [year, month, day] = tomorrow().split("-");
  await shop.getByLabel("Udlevering").selectOption({ label: `${day}-${month}-${year}` });
  const item = shop.locator("li.product").filter({ hasText: name });
  const image = item.getByTestId("product-photo");
  await expect(image).toBeVisible();
  await expect(image).toHaveAttribute("loading", "lazy");
  await expect(image).toHaveAttribute("srcset", new RegExp(`/product-photos/${productId}-1-160\\.webp 160w, .*-320\\.webp 320w, .*-640\\.webp 640w`));
  await expect.poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth)).toBeGreaterThan(0);
  await expect(shop.locator("li.product").filter({ hasText: "Frugt" }).getByTestId("product-photo-placeholder")).toBeVisible();
  await shopContext.close();

  // The till: the tile shows the photo above the name and still sells with one touch.
  const tillContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const till = await tillContext.newPage();
  await till.goto("/kasse");
  await till.getByLabel("Terminalnøgle").fill(DEMO_KEY);
  await till.getByRole("button", { name: "Par kassen" }).click();
  await expect(till.getByTestId("till-online")).toHaveText("Online");
  const tile = till.getByRole("button", { name: new RegExp(name) });
  const tileImage = tile.getByTestId("product-photo");
  await expect(tileImage).toHaveAttribute("srcset", /-160\.webp 160w/);
  await expect.poll(() => tileImage.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth)).toBeGreaterThan(0);
  await tile.click();
  await expect(till.getByTestId("till-total")).toHaveText("39,00 kr.");
  await tillContext.close();
});
