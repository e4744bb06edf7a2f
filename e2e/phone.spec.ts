// Phone-first and light (issue 25): each app loads only its own code, compressed; the portal installs and says when it
// is offline; the phone menu is a labelled button; the devices page's two forms answer each in itself.
import { expect, test, type Page } from "@playwright/test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEMO_KEY, signIn } from "./helpers.ts";

interface ManifestChunk {
  file: string;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
}
/** Vite's build manifest (client/vite.config.ts turns it on): which chunk holds which app. */
const buildManifest = JSON.parse(readFileSync(join(import.meta.dirname, "../client/dist/.vite/manifest.json"), "utf8")) as Record<string, ManifestChunk>;

const APPS = { portal: "src/Portal.tsx", admin: "src/pages/Admin.tsx", till: "src/pages/Kasse.tsx", kitchen: "src/pages/Kitchen.tsx" } as const;
type App = keyof typeof APPS;

/**
 * The files a chunk may bring: itself and what it imports, transitively, with their styles; with `lazy`, also what it
 * loads later (the portal's pages). The entry's own lazy imports are the four apps, so it is never followed lazily.
 */
function closure(key: string, into = new Set<string>(), lazy = false): Set<string> {
  const chunk = buildManifest[key]!;
  if (into.has(`/${chunk.file}`)) return into;
  into.add(`/${chunk.file}`);
  for (const css of chunk.css ?? []) into.add(`/${css}`);
  for (const imported of chunk.imports ?? []) closure(imported, into, lazy);
  if (lazy) for (const imported of chunk.dynamicImports ?? []) closure(imported, into, lazy);
  return into;
}

/** Everything an app may ever load: the entry (which picks the app), the app's chunk and all it reaches. */
const reach = (app: App) => closure("index.html", closure(APPS[app], new Set(), true));

/**
 * The files only the other apps reach, and none of this app's own. Loading any of them means the app downloads
 * another app's code.
 */
function othersOnly(app: App): Set<string> {
  const own = reach(app);
  const foreign = new Set<string>();
  for (const other of Object.keys(APPS) as App[]) {
    if (other === app) continue;
    for (const file of reach(other)) if (!own.has(file)) foreign.add(file);
  }
  return foreign;
}

/** Words only one app's code holds (its dictionary or its markup), to find its code in whatever chunk it landed. */
const MARKERS: Record<App, string> = { portal: "Log på med bruger", admin: "Opret kantine", till: "Par kassen", kitchen: "kitchen-column" };

interface Fetched {
  path: string;
  headers: Promise<Record<string, string>>;
  body: Promise<string>;
}

/**
 * Records every script and style the page fetches, from before the first navigation; each answer's headers and text
 * are read as it arrives (a later navigation takes the bodies away).
 */
function recordAssets(page: Page): Fetched[] {
  const seen: Fetched[] = [];
  page.on("response", (response) => {
    const path = new URL(response.url()).pathname;
    if (!path.startsWith("/assets/")) return;
    const body = response.text();
    body.catch(() => undefined);
    seen.push({ path, headers: response.allHeaders(), body });
  });
  return seen;
}

async function checkOnlyOwnCode(app: App, seen: Fetched[]): Promise<void> {
  const loaded = new Set(seen.map((entry) => entry.path));
  for (const key of Object.values(APPS)) expect(buildManifest[key], `${key} is a chunk of its own in the build`).toBeDefined();
  // The app's own chunk arrived (so the check below is about a real load), and no file only another app needs.
  expect([...loaded]).toContain(`/${buildManifest[APPS[app]]!.file}`);
  expect([...loaded].filter((path) => othersOnly(app).has(path))).toEqual([]);
  // Whatever the chunking, no script that arrived holds another app's words.
  for (const { path, body } of seen.filter((entry) => entry.path.endsWith(".js"))) {
    const text = await body;
    for (const [other, marker] of Object.entries(MARKERS)) if (other !== app) expect(text.includes(marker), `${path} holds ${other} code ("${marker}")`).toBe(false);
  }
  // Every script and style came compressed, and may be kept for a year.
  for (const { path, headers } of seen) {
    const answer = await headers;
    expect(["br", "gzip"], `${path} content-encoding`).toContain(answer["content-encoding"]);
    expect(answer["vary"], path).toMatch(/accept-encoding/i);
    expect(answer["cache-control"], path).toContain("immutable");
  }
}

test("the portal, from Log på to Konti, loads neither the back office, the till nor the kitchen screen, all compressed", async ({ page }) => {
  const seen = recordAssets(page);
  const [document] = await Promise.all([page.waitForResponse((response) => new URL(response.url()).pathname === "/log-ind"), signIn(page, "12345678901234", "482913")]);
  expect(["br", "gzip"]).toContain((await document.allHeaders())["content-encoding"]);
  await expect(page.getByLabel("Saldo Madkort")).toBeVisible();
  await checkOnlyOwnCode("portal", seen);
  // A portal page opened later comes as its own chunk, still no other app's code.
  await page.goto("/webshop");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Shop");
  expect(seen.map((entry) => entry.path)).toContain(`/${buildManifest["src/pages/Webshop.tsx"]!.file}`);
  await checkOnlyOwnCode("portal", seen);
});

test("the till at /kasse loads neither the portal, the back office nor the kitchen screen, and precaches its own chunks only", async ({ page, request }) => {
  const seen = recordAssets(page);
  await page.goto("/kasse");
  await page.getByLabel("Terminalnøgle").fill(DEMO_KEY);
  await page.getByRole("button", { name: "Par kassen" }).click();
  await expect(page.getByTestId("till-online")).toHaveText("Online");
  await checkOnlyOwnCode("till", seen);
  // The service worker's list (written by the build) holds what the till runs: its chunk, and nothing of another app.
  const list = (await (await request.get("/kasse-precache.json")).json()) as { assets: string[] };
  for (const file of reach("till")) expect(list.assets).toContain(file);
  expect(list.assets.filter((path) => othersOnly("till").has(path))).toEqual([]);
});

test("the back office and the kitchen screen load only their own code", async ({ page }) => {
  const seen = recordAssets(page);
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("admin@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Admin2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
  await checkOnlyOwnCode("admin", seen);

  const kitchen = await page.context().newPage();
  const kitchenSeen = recordAssets(kitchen);
  await kitchen.goto("/kitchen");
  await kitchen.getByLabel("Skærmens kode").fill("demo-kitchen-screen-token-0001");
  await kitchen.getByRole("button", { name: "Log skærmen på" }).click();
  await expect(kitchen.locator(".kitchen-column").first()).toBeVisible();
  await checkOnlyOwnCode("kitchen", kitchenSeen);
});

test("the web app manifest is valid, linked from the page, and its icons load", async ({ page, request }) => {
  await page.goto("/log-ind");
  const href = await page.locator('link[rel="manifest"]').getAttribute("href");
  expect(href).toBe("/manifest.webmanifest");
  const response = await request.get(href!, { headers: { "accept-encoding": "br, gzip" } });
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toBe("application/manifest+json");
  const manifest = JSON.parse(await response.text()) as Record<string, unknown> & { icons: Array<{ src: string; sizes: string; type: string; purpose?: string }> };
  expect(manifest).toMatchObject({ name: "Kantinekort", short_name: "Kantinekort", start_url: "/konti", display: "standalone", theme_color: expect.stringMatching(/^#[0-9a-f]{6}$/i) });
  expect(await page.locator('meta[name="theme-color"]').getAttribute("content")).toBe(manifest.theme_color);
  for (const size of [192, 512]) {
    const icon = manifest.icons.find((candidate) => candidate.sizes === `${size}x${size}` && candidate.type === "image/png");
    expect(icon, `a ${size}×${size} PNG icon`).toBeDefined();
    const file = await request.get(icon!.src);
    expect(file.status()).toBe(200);
    expect(file.headers()["content-type"]).toBe("image/png");
    const png = await file.body();
    // The PNG signature, then the IHDR chunk's width and height: the icon is as large as the manifest says.
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
  }
  // The start address opens the portal (Log på when signed out), never "Siden findes ikke".
  await page.goto(manifest.start_url as string);
  await expect(page.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
});

test("the portal says clearly when the phone is offline, in Danish and English, and stops saying it when back", async ({ page, context }) => {
  await signIn(page, "12345678901234", "482913");
  await expect(page.getByLabel("Saldo Madkort")).toBeVisible();
  const banner = page.getByTestId("offline-banner");
  await expect(banner).toBeHidden();
  await context.setOffline(true);
  await expect(banner).toBeVisible();
  await expect(banner).toHaveText(/^Du er offline/);
  await expect(banner).toContainText("kræver forbindelse");
  await expect(banner).toHaveAttribute("role", "status");
  await page.getByLabel("Sprog").selectOption("en");
  await expect(banner).toHaveText(/^You are offline/);
  await page.getByLabel("Language").selectOption("da");
  await context.setOffline(false);
  await expect(banner).toBeHidden();
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the menu is one labelled button that opens the list, by touch and by keyboard", async ({ page }) => {
    await signIn(page, "12345678901234", "482913");
    await expect(page.getByLabel("Saldo Madkort")).toBeVisible();
    const nav = page.getByRole("navigation", { name: "Menu" });
    const toggle = nav.getByRole("button", { name: /^Menu/ });
    await expect(toggle).toBeVisible();
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(toggle).toContainText("Konti");
    await expect(nav.getByRole("link", { name: "Kontoudtog" })).toBeHidden();

    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    for (const name of ["Konti", "Indbetal", "Brugerinfo", "Kontoudtog", "Webshop", "Support"]) await expect(nav.getByRole("link", { name, exact: true })).toBeVisible();
    // The list is one column the width of the phone, not a row that scrolls sideways.
    const boxes = await nav.getByRole("link").evaluateAll((links) => links.map((link) => link.getBoundingClientRect()).map((box) => ({ left: box.left, right: box.right })));
    expect(new Set(boxes.map((box) => box.left)).size).toBe(1);
    expect(Math.max(...boxes.map((box) => box.right))).toBeLessThanOrEqual(390);
    await nav.getByRole("link", { name: "Kontoudtog" }).click();
    await expect(page).toHaveURL(/\/kontoudtog$/);
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(toggle).toContainText("Kontoudtog");

    // Keyboard: Enter opens, Tab reaches the first page, Escape closes and puts the focus back on the button.
    await toggle.focus();
    await page.keyboard.press("Enter");
    await expect(toggle).toHaveAttribute("aria-expanded", "true");
    await page.keyboard.press("Tab");
    await expect(nav.getByRole("link", { name: "Konti", exact: true })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(toggle).toHaveAttribute("aria-expanded", "false");
    await expect(toggle).toBeFocused();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});

test("on a wide screen the menu stays the left column, with no button", async ({ page }) => {
  await signIn(page, "12345678901234", "482913");
  const nav = page.getByRole("navigation", { name: "Menu" });
  await expect(nav.getByRole("link", { name: "Kontoudtog" })).toBeVisible();
  await expect(nav.getByRole("button", { name: /^Menu/ })).toBeHidden();
});

test("the devices page: each Opret form has its own button and shows its own error", async ({ page }) => {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("admin@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Admin2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await page.getByRole("button", { name: "Kasser og skærme" }).click();
  const canteenForm = page.getByRole("form", { name: "Opret kantine" });
  const deviceForm = page.getByRole("form", { name: "Opret enhed" });
  await expect(canteenForm.getByRole("button", { name: "Opret kantine" })).toBeVisible();
  await expect(deviceForm.getByRole("button", { name: "Opret enhed" })).toBeVisible();
  // No two buttons on the page read the same.
  const labels = await page.locator("main form button[type=submit]").allTextContents();
  expect(new Set(labels).size).toBe(labels.length);

  // A canteen without a name is refused: the error stands in the canteen form, and the device form says nothing.
  await canteenForm.getByRole("button", { name: "Opret kantine" }).click();
  await expect(canteenForm.getByRole("alert")).toBeVisible();
  await expect(deviceForm.getByRole("alert")).toHaveCount(0);
  await expect(deviceForm.getByRole("status")).toHaveCount(0);

  // A device made in its form answers there (with its one-time key), and the canteen form's old error is its own.
  await deviceForm.getByLabel("Navn").fill(`Kasse telefon ${Date.now() % 100_000}`);
  await deviceForm.getByRole("button", { name: "Opret enhed" }).click();
  await expect(deviceForm.getByRole("status").filter({ hasText: "Enheden er oprettet." })).toBeVisible();
  await expect(deviceForm.getByTestId("device-secret")).toBeVisible();
  await expect(canteenForm.getByRole("status")).toHaveCount(0);
});
