// The kitchen screen on a 1080p TV: sizes measured at 1920×1080, the new-order cue until acknowledged (with sound after a
// touch), cancelled orders marked Annulleret, the chosen day kept over a reload, and the clock in Copenhagen time.
import { expect, test, type Browser, type Page } from "@playwright/test";
import { signIn } from "./helpers.ts";

const CARD = "12345678901234";
const CODE = "482913";
const TOKEN = "demo-kitchen-screen-token-0001";

test.use({ viewport: { width: 1920, height: 1080 } });

const tomorrowLabel = () =>
  new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", day: "2-digit", month: "2-digit", year: "numeric" }).format(new Date(Date.now() + 86_400_000)).replace(/\./g, "-");

/** A cardholder in their own browser context orders one product for tomorrow through the real webshop. */
async function portal(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, CARD, CODE);
  await expect(page).toHaveURL(/\/konti$/);
  return page;
}

async function placeOrder(page: Page, product: string, comment?: string): Promise<string> {
  await page.goto("/webshop");
  await page.getByLabel("Udlevering").selectOption({ label: tomorrowLabel() });
  await page.getByRole("button", { name: `Læg ${product} i kurven` }).click();
  await page.getByRole("link", { name: "Tjek ud ›" }).click();
  if (comment) await page.getByLabel(`Kommentar ${product}`).fill(comment);
  await page.getByRole("button", { name: "Betal med kantinekort" }).click();
  const placed = page.getByRole("status").filter({ hasText: "er betalt" });
  await expect(placed).toBeVisible();
  return /O-\d+/.exec((await placed.textContent())!)![0];
}

/** Specs share one database: an order a test placed is cancelled again, so later specs count only their own. */
async function cancelOrder(page: Page, number: string): Promise<void> {
  await page.goto("/webshop/ordrer");
  await page.getByTestId(`order-${number}`).getByRole("button", { name: "Annuller ordre" }).click();
  await page.getByRole("alertdialog", { name: "Annuller ordre" }).getByRole("button", { name: "Annuller ordre" }).click();
  await expect(page.getByTestId(`order-${number}`)).toContainText("Annulleret");
}

async function kitchenOnTomorrow(page: Page): Promise<void> {
  await page.goto("/kitchen");
  await page.getByLabel("Skærmens kode").fill(TOKEN);
  await page.getByRole("button", { name: "Log skærmen på" }).click();
  await page.getByRole("button", { name: "I morgen" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(tomorrowLabel());
}

const px = (value: string) => Number.parseFloat(value);

test("at 1920×1080 order numbers are at least 48 px and lines 28 px, the queue uses the whole width, and each order shows its time and a ticking wait", async ({ page, browser }) => {
  await page.clock.install();
  await kitchenOnTomorrow(page);
  const shop = await portal(browser);
  const number = await placeOrder(shop, "Dagens ret", "Allergi: nødder");

  const card = page.getByRole("article", { name: number });
  await expect(card).toBeVisible();
  const sizes = await card.evaluate((element) => {
    const size = (selector: string) => getComputedStyle(element.querySelector(selector)!).fontSize;
    return { number: size(".order-number"), line: size(".order-line"), comment: size(".comment"), time: size(".order-time") };
  });
  expect(px(sizes.number)).toBeGreaterThanOrEqual(48);
  expect(px(sizes.line)).toBeGreaterThanOrEqual(28);
  expect(px(sizes.comment)).toBeGreaterThanOrEqual(28);
  // The three columns span the screen, not a narrow strip in the middle.
  const columns = (await page.locator(".kitchen-columns").boundingBox())!;
  expect(columns.width).toBeGreaterThanOrEqual(1920 * 0.95);
  expect(await page.getByRole("region", { name: /^(Modtaget|I gang|Klar)$/ }).count()).toBe(3);

  // The allergy comment stands out: its own coloured block, not the line's plain text.
  const comment = card.locator(".comment");
  await expect(comment).toHaveText(/Allergi: nødder/);
  const look = await comment.evaluate((element) => ({ background: getComputedStyle(element).backgroundColor, weight: getComputedStyle(element).fontWeight, display: getComputedStyle(element).display }));
  expect(look.background).not.toBe("rgba(0, 0, 0, 0)");
  expect(Number(look.weight)).toBeGreaterThanOrEqual(700);
  expect(look.display).toBe("block");

  // Its time (Copenhagen) and how long it has waited, which ticks on without a reload.
  const now = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", hour: "2-digit", minute: "2-digit" });
  const created = Date.now();
  await expect(card.locator(".order-time time")).toHaveText(new RegExp(`${now.format(created - 60_000).replace(".", "\\.")}|${now.format(created).replace(".", "\\.")}`));
  await expect(card.locator(".waited")).toHaveText(/venter [01] min/);
  await page.screenshot({ path: "test-results/kitchen-1080p.png" });
  await page.clock.fastForward("03:00");
  await expect(card.locator(".waited")).toHaveText(/venter [34] min/);
  await cancelOrder(shop, number);
  await shop.context().close();
});

test("a new order's cue stays until someone presses Kvittér; the screen says it is muted until touched, then beeps", async ({ page, browser }) => {
  // Counts the beeps the screen really asks the browser to play.
  await page.addInitScript(() => {
    const marked = window as Window & { beeps?: number };
    marked.beeps = 0;
    const original = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function (this: AudioContext) {
      marked.beeps = (marked.beeps ?? 0) + 1;
      return original.call(this);
    };
  });
  await page.clock.install();
  await kitchenOnTomorrow(page);
  // A wall screen after a power cut: it comes back signed in (cookie) and on its day, but nobody has touched it.
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(tomorrowLabel());
  const muted = page.getByRole("status").filter({ hasText: "Lyden er slået fra" });
  await expect(muted).toBeVisible();

  const shop = await portal(browser);
  const first = await placeOrder(shop, "Frugt");
  const cue = page.getByRole("alert").filter({ hasText: "Ny ordre" });
  await expect(cue).toContainText(first);
  await expect(page.getByRole("article", { name: first })).toHaveClass(/unseen/);
  expect(await page.evaluate(() => (window as Window & { beeps?: number }).beeps)).toBe(0);
  // Minutes later nobody has looked: the cue is still there.
  await page.clock.fastForward("05:00");
  await expect(cue).toContainText(first);

  await page.getByRole("button", { name: "Kvittér" }).click();
  await expect(cue).toBeHidden();
  await expect(page.getByRole("article", { name: first })).not.toHaveClass(/unseen/);
  // That touch switched the sound on.
  await expect(muted).toBeHidden();

  const second = await placeOrder(shop, "Frugt");
  await expect(cue).toContainText(second);
  await expect.poll(() => page.evaluate(() => (window as Window & { beeps?: number }).beeps)).toBeGreaterThan(0);
  await page.getByRole("button", { name: "Kvittér" }).click();
  await expect(cue).toBeHidden();
  await cancelOrder(shop, first);
  await cancelOrder(shop, second);
  await shop.context().close();
});

test("an order cancelled by the cardholder shows Annulleret on the screen for a while instead of vanishing", async ({ page, browser }) => {
  await page.clock.install();
  await kitchenOnTomorrow(page);
  const shop = await portal(browser);
  const number = await placeOrder(shop, "Frugt");
  const card = page.getByRole("region", { name: "Modtaget" }).getByRole("article", { name: number });
  await expect(card).toBeVisible();

  await cancelOrder(shop, number);

  await expect(card).toContainText("Annulleret");
  await expect(card.getByRole("button")).toHaveCount(0);
  // It is not counted as still to be made.
  await expect(page.getByRole("region", { name: "Modtaget" }).getByRole("heading", { level: 2 })).not.toContainText(number);
  await page.clock.fastForward("05:00");
  await expect(card).toContainText("Annulleret");
  await page.clock.fastForward("06:00");
  await expect(card).toBeHidden();
  await shop.context().close();
});

test("the chosen day survives a reload", async ({ page }) => {
  await kitchenOnTomorrow(page);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toContainText(tomorrowLabel());
  await expect(page.getByRole("button", { name: "I morgen" })).toHaveClass(/active/);
  await page.getByRole("button", { name: "I dag" }).click();
  await page.reload();
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
});

test.describe("in a browser set to another time zone", () => {
  test.use({ timezoneId: "America/New_York" });
  test("the clock shows Copenhagen time", async ({ page }) => {
    await page.clock.install({ time: new Date("2026-12-01T10:15:00Z") });
    await page.goto("/kitchen");
    await page.getByLabel("Skærmens kode").fill(TOKEN);
    await page.getByRole("button", { name: "Log skærmen på" }).click();
    // 10:15 UTC is 11.15 in Copenhagen (winter) and 05.15 in New York.
    await expect(page.getByRole("time").filter({ hasText: /^\d\d[.:]\d\d$/ }).first()).toHaveText(/^11[.:]15$/);
  });
});
