// The kitchen screen on the wall: it moves on to the new day at midnight by itself, without a reload.
import { expect, test, type Page } from "@playwright/test";

type Marked = Window & { __noReload?: boolean };

/** Five seconds before a Copenhagen midnight (23:00 UTC in winter): the browser's clock is faked, the server's is real. */
async function signInBeforeMidnight(page: Page): Promise<void> {
  await page.clock.install({ time: new Date("2026-12-01T22:59:55Z") });
  await page.goto("/kitchen");
  await page.getByLabel("Skærmens kode").fill("demo-kitchen-screen-token-0001");
  await page.getByRole("button", { name: "Log skærmen på" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("01-12-2026");
}

/**
 * Runs the clock past midnight and checks that the page was not reloaded: a reload would sign straight back in with
 * the screen cookie, so only a mark left on the window proves it is still the same page.
 */
async function passMidnightWithoutReload(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as Marked).__noReload = true;
  });
  await page.clock.runFor(10_000);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("02-12-2026");
  expect(await page.evaluate(() => (window as Marked).__noReload)).toBe(true);
}

test("at midnight in Copenhagen the screen showing today switches to the new day's queue", async ({ page }) => {
  await signInBeforeMidnight(page);
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
  await passMidnightWithoutReload(page);
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
  await expect(page.getByRole("button", { name: "I morgen" })).not.toHaveClass(/active/);
});

test("a screen showing tomorrow before midnight shows that day as today after midnight, and I morgen is the day after", async ({ page }) => {
  await signInBeforeMidnight(page);
  await page.getByRole("button", { name: "I morgen" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("02-12-2026");
  await expect(page.getByRole("button", { name: "I morgen" })).toHaveClass(/active/);
  await passMidnightWithoutReload(page);
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
  await expect(page.getByRole("button", { name: "I morgen" })).not.toHaveClass(/active/);
  await page.getByRole("button", { name: "I morgen" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("03-12-2026");
  await expect(page.getByRole("button", { name: "I morgen" })).toHaveClass(/active/);
});
