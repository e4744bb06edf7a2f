// Webshop and kitchen screen in real browsers: order with a comment, the kitchen sees it live and marks it Klar, cancel refunds.
import { expect, test } from "@playwright/test";
import { signIn } from "./helpers.ts";

const CARD = "12345678901234";
const CODE = "482913";

test("order two products for tomorrow → kitchen screen shows it live → Klar shows on Ordrer without reload; cancel refunds", async ({ page, browser }) => {
  await signIn(page, CARD, CODE);
  await expect(page).toHaveURL(/\/konti$/);
  const balanceText = async () => (await page.getByLabel("Saldo Madkort").textContent())!;
  const before = await balanceText();

  // The kitchen screen, in its own browser context, signs in with the demo screen token and watches tomorrow.
  const kitchenContext = await browser.newContext();
  const kitchen = await kitchenContext.newPage();
  await kitchen.goto("/kitchen");
  await kitchen.getByLabel("Skærmens kode").fill("demo-kitchen-screen-token-0001");
  await kitchen.getByRole("button", { name: "Log skærmen på" }).click();
  await kitchen.getByRole("button", { name: "I morgen" }).click();
  await expect(kitchen.getByRole("region", { name: "Modtaget" })).toBeVisible();

  await page.getByRole("link", { name: "Webshop" }).click();
  const tomorrow = new Date(Date.now() + 86_400_000);
  const tomorrowText = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", day: "2-digit", month: "2-digit", year: "numeric" }).format(tomorrow).replace(/\./g, "-");
  await page.getByLabel("Udlevering").selectOption({ label: tomorrowText });
  await page.getByRole("button", { name: "Læg Dagens ret i kurven" }).click();
  await page.getByRole("button", { name: "Læg Frugt i kurven" }).click();
  await expect(page.getByRole("link", { name: /Kurv \(2\)/ })).toBeVisible();
  // The basket survives a reload.
  await page.reload();
  await expect(page.getByRole("link", { name: /Kurv \(2\)/ })).toBeVisible();
  await page.getByRole("link", { name: "Tjek ud ›" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Dagens ret" })).toContainText(tomorrowText);
  await page.getByLabel("Kommentar Dagens ret").fill("Uden løg");
  // A second tab on Konti, open before paying, must see the balance drop live (no reload).
  const kontiTab = await page.context().newPage();
  await kontiTab.goto("/konti");
  // Live, so the payment below cannot fall between the tab's account list and its stream.
  await expect(kontiTab.locator('[data-live="true"]')).toHaveCount(1);
  await expect(kontiTab.getByLabel("Saldo Madkort")).toHaveText(before);
  await expect(page.getByText(/Total: 43,00/)).toBeVisible();
  await page.getByRole("button", { name: "Betal med kantinekort" }).click();
  await expect(page.getByRole("status").filter({ hasText: /Ordre O-\d+ er betalt/ })).toBeVisible();
  const orderNumber = /O-\d+/.exec((await page.getByRole("status").filter({ hasText: "er betalt" }).textContent())!)![0];
  const kroner = (text: string) => Number(text.replace(/[^\d,]/g, "").replace(",", "."));
  const expectedAfter = new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(kroner(before) - 43);
  await expect(kontiTab.getByLabel("Saldo Madkort")).toHaveText(expectedAfter);
  await kontiTab.close();

  const card = kitchen.getByRole("article", { name: orderNumber });
  await expect(card).toBeVisible({ timeout: 3_000 });
  await expect(card).toContainText("Uden løg");
  await expect(kitchen.getByRole("region", { name: "Skal laves" })).toContainText("1 × Dagens ret");
  await card.getByRole("button", { name: "Start" }).click();
  await kitchen.getByRole("region", { name: "I gang" }).getByRole("article", { name: orderNumber }).getByRole("button", { name: "Klar" }).click();
  await expect(kitchen.getByRole("region", { name: "Klar" }).getByRole("article", { name: orderNumber })).toBeVisible();

  const myOrder = page.getByTestId(`order-${orderNumber}`);
  await expect(myOrder).toContainText("Klar");
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel("Saldo Madkort")).not.toHaveText(before);

  // A second order, cancelled before the cut-off: refunded in full, shown in Kontoudtog.
  await page.goto("/webshop");
  await page.getByLabel("Udlevering").selectOption({ label: tomorrowText });
  await page.getByRole("button", { name: "Læg Frugt i kurven" }).click();
  await page.getByRole("link", { name: "Tjek ud ›" }).click();
  await page.getByRole("button", { name: "Betal med kantinekort" }).click();
  const second = /O-\d+/.exec((await page.getByRole("status").filter({ hasText: "er betalt" }).textContent())!)![0];
  await page.getByTestId(`order-${second}`).getByRole("button", { name: "Annuller ordre" }).click();
  await page.getByRole("alertdialog", { name: "Annuller ordre" }).getByRole("button", { name: "Annuller ordre" }).click();
  await expect(page.getByTestId(`order-${second}`)).toContainText("Annulleret");
  await page.getByRole("link", { name: "Kontoudtog" }).click();
  await page.getByRole("button", { name: /\d{4} \w+/ }).first().click();
  await expect(page.getByRole("row").filter({ hasText: `Annulleret ordre ${second}` })).toContainText("8,00");
  await kitchenContext.close();
});
