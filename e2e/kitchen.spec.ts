// The kitchen screen on the wall: it moves on to the new day at midnight by itself, without a reload.
import { expect, test } from "@playwright/test";

test("at midnight in Copenhagen the screen showing today switches to the new day's queue", async ({ page }) => {
  // Five seconds before a Copenhagen midnight (23:00 UTC in winter): the browser's clock is faked, the server's is real.
  await page.clock.install({ time: new Date("2026-12-01T22:59:55Z") });
  await page.goto("/kitchen");
  await page.getByLabel("Skærmens kode").fill("demo-kitchen-screen-token-0001");
  await page.getByRole("button", { name: "Log skærmen på" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toContainText("01-12-2026");
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
  await page.clock.runFor(10_000);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("02-12-2026");
  await expect(page.getByRole("button", { name: "I dag" })).toHaveClass(/active/);
  // Nothing was reloaded: the sign-in form never came back.
  await expect(page.getByLabel("Skærmens kode")).toHaveCount(0);
});
