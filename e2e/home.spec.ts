// The served first page in a real browser: it loads the built client and shows that the server answers.
import { expect, test } from "@playwright/test";

test("the first page shows that the server is up", async ({ page }) => {
  const consoleErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Kantinekort", level: 1 })).toBeVisible();
  await expect(page.getByTestId("server-status")).toContainText("Serveren kører");
  await expect(page.getByTestId("server-status")).toContainText("4 kort");
  // The strict CSP must not block our own scripts or styles.
  expect(consoleErrors).toEqual([]);
});

test("security headers are sent with the page", async ({ request }) => {
  const response = await request.get("/");
  expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
  expect(response.headers()["x-frame-options"]).toBe("DENY");
});
