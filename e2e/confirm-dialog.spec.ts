// The shared in-app confirmation dialog: it replaces the browser's confirm(), is a modal alertdialog, keeps focus, Escape cancels.
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers.ts";

const CARD = "12345678901234";
const CODE = "482913";

test("cancelling a webshop order asks in an in-app dialog: Escape and Tilbage keep the order, the dialog keeps focus, yes cancels", async ({ page }) => {
  // The browser's own confirm() must never appear: a native dialog would fail this test.
  const nativeDialogs: string[] = [];
  page.on("dialog", (dialog) => {
    nativeDialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await signIn(page, CARD, CODE);
  await page.getByRole("link", { name: "Webshop" }).click();
  const tomorrow = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", day: "2-digit", month: "2-digit", year: "numeric" })
    .format(new Date(Date.now() + 86_400_000))
    .replace(/\./g, "-");
  await page.getByLabel("Udlevering").selectOption({ label: tomorrow });
  await page.getByRole("button", { name: "Læg Frugt i kurven" }).click();
  await page.getByRole("link", { name: "Tjek ud ›" }).click();
  await page.getByRole("button", { name: "Betal med kantinekort" }).click();
  const number = /O-\d+/.exec((await page.getByRole("status").filter({ hasText: "er betalt" }).textContent())!)![0];
  const order = page.getByTestId(`order-${number}`);
  const cancelButton = order.getByRole("button", { name: "Annuller ordre" });

  // Escape closes it without cancelling, and focus goes back to the button that opened it.
  await cancelButton.click();
  const dialog = page.getByRole("alertdialog", { name: "Annuller ordre" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText("Beløbet føres tilbage til kortet");
  await expect(dialog.getByRole("button", { name: "Tilbage" })).toBeFocused();
  // Focus stays inside: Tab from the last button wraps to the first, Shift+Tab from the first to the last.
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Annuller ordre" })).toBeFocused();
  await page.keyboard.press("Tab");
  await expect(dialog.getByRole("button", { name: "Tilbage" })).toBeFocused();
  await page.keyboard.press("Shift+Tab");
  await expect(dialog.getByRole("button", { name: "Annuller ordre" })).toBeFocused();
  // The page behind is inert while the dialog is open.
  expect(await page.evaluate(() => document.querySelector("dialog[open]")?.getAttribute("aria-modal"))).toBe("true");
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(cancelButton).toBeFocused();
  await expect(order).toContainText("Modtaget");

  // Tilbage also keeps the order.
  await cancelButton.click();
  await dialog.getByRole("button", { name: "Tilbage" }).click();
  await expect(dialog).toBeHidden();
  await expect(order).toContainText("Modtaget");

  // Saying yes cancels it (and refunds it).
  await cancelButton.click();
  await dialog.getByRole("button", { name: "Annuller ordre" }).click();
  await expect(dialog).toBeHidden();
  await expect(order).toContainText("Annulleret");
  expect(nativeDialogs).toEqual([]);
});
