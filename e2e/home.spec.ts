// The served client in a real browser: it loads under the strict CSP without console errors, and sends security headers.
import { expect, test } from "@playwright/test";

test("the first page loads the built client without console errors", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await page.goto("/");
  await expect(page).toHaveURL(/\/log-ind$/);
  await expect(page.getByRole("link", { name: "Kantinekort" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
  // The strict CSP must not block our own scripts or styles.
  expect(consoleErrors).toEqual([]);
});

test("security headers are sent with the page", async ({ request }) => {
  const response = await request.get("/");
  expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
  expect(response.headers()["x-frame-options"]).toBe("DENY");
});
