// Money in and out in a real browser: Indbetal through the simulator's hosted page, a declined card, Auto-optank, Udbetal.
import { expect, test, type Page } from "@playwright/test";
import { sell, signIn } from "./helpers.ts";

const CARD = "12345678901234";
const CODE = "482913";
const kroner = (ore: number) => new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(ore / 100);

async function balanceOre(page: Page): Promise<number> {
  const text = (await page.getByLabel("Saldo Madkort").textContent())!;
  return Math.round(Number(text.replace(/[^\d,]/g, "").replace(",", ".")) * 100);
}

async function payOnHostedPage(page: Page, cardNumber: string): Promise<void> {
  await expect(page.getByRole("heading", { name: "Betaling" })).toBeVisible();
  await page.getByLabel("Kortnummer").fill(cardNumber);
  await page.getByLabel("Udløb (MM/ÅÅ)").fill("12/30");
  await page.getByLabel("Kontrolcifre").fill("123");
  await page.getByRole("button", { name: "Gennemfør betaling" }).click();
}

test("deposit 200 kr. through the hosted page: another open tab sees the balance rise live", async ({ page, context }) => {
  await signIn(page, CARD, CODE);
  await expect(page.getByLabel("Saldo Madkort")).toBeVisible();
  const before = await balanceOre(page);
  const watcher = await context.newPage();
  await watcher.goto("/konti");
  await expect(watcher.locator('[data-live="true"]')).toHaveCount(1);
  await expect(watcher.getByLabel("Saldo Madkort")).toHaveText(kroner(before));

  await page.getByRole("link", { name: "Indbetal" }).first().click();
  await expect(page.getByLabel("E-mail til kvittering")).toHaveValue("testbruger.a@example.dk");
  await page.getByLabel(/Beløb der ønskes indbetalt/).fill("200");
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "betalingsbetingelserne" })).toBeVisible();
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await payOnHostedPage(page, "4571 0000 0000 0001");
  await expect(page.getByText(/Betalingen på 200,00\skr\. er gennemført/)).toBeVisible();
  await expect(watcher.getByLabel("Saldo Madkort")).toHaveText(kroner(before + 20_000));
  await watcher.close();
});

test("a declined card changes nothing and says so", async ({ page }) => {
  await signIn(page, CARD, CODE);
  const before = await balanceOre(page);
  await page.goto("/indbetal");
  await page.getByLabel(/Beløb der ønskes indbetalt/).fill("50");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await payOnHostedPage(page, "4000 0000 0000 0002");
  await expect(page.getByRole("alert")).toContainText("Betalingen blev afvist");
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(before));
});

test("Auto-optank: a sale that leaves less than 50 kr. triggers a top-up shown live, and Kontoudtog has both lines", async ({ page, request }) => {
  await signIn(page, CARD, CODE);
  await expect(page).toHaveURL(/\/konti$/);
  await page.goto("/indbetal/auto-optank");
  await expect(page.getByText("BEMÆRK at automatisk optankning")).toBeVisible();
  await page.getByLabel(/Beløb der indsættes/).fill("100");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await payOnHostedPage(page, "5100 0000 0000 0008");
  await expect(page.getByText(/Aftalen er aktiv: 100,00\skr\. trækkes på kort •••• 0008/)).toBeVisible();

  await page.getByRole("link", { name: "Konti" }).first().click();
  const before = await balanceOre(page);
  // Spend down to 40 kr.: the till's answer comes first, then the top-up arrives live.
  const sale = await sell(request, CARD, before - 4_000);
  expect(sale).toMatchObject({ status: "approved", balanceOre: 4_000 });
  await expect(page.getByRole("status").filter({ hasText: /Auto-optankning på 100,00\skr\. gennemført/ })).toBeVisible();
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(14_000));

  await page.getByRole("link", { name: "Kontoudtog" }).click();
  await page.getByRole("button", { name: /\d{4} \w+/ }).first().click();
  await expect(page.getByRole("row").filter({ hasText: "Auto-optankning" })).toContainText("100,00");
  await expect(page.getByRole("row").filter({ hasText: "Kantinen" }).last()).toContainText("40,00");
  // Stop the agreement so later specs on this card are not topped up.
  await page.goto("/indbetal/auto-optank");
  await page.getByRole("button", { name: "Stop automatisk optankning" }).click();
  await page.getByRole("alertdialog", { name: "Stop automatisk optankning" }).getByRole("button", { name: "Stop automatisk optankning" }).click();
  await expect(page.getByText("Automatisk optankning er stoppet.").first()).toBeVisible();
});

test("Udbetal: the payout leaves the card at once and is pending", async ({ page }) => {
  await signIn(page, CARD, CODE);
  const before = await balanceOre(page);
  await page.getByRole("link", { name: "Udbetal" }).click();
  await page.getByLabel("Registreringsnummer").fill("123");
  await page.getByLabel("Kontonummer").fill("1234567890");
  await page.getByLabel("Beløb").fill("25");
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByRole("alert").first()).toContainText("Registreringsnummer er 4 cifre");
  await page.getByLabel("Registreringsnummer").fill("1234");
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByText(/Udbetal 25,00\skr\. fra Madkort til reg\.nr\. 1234 konto 1234567890\?/)).toBeVisible();
  await page.getByRole("alertdialog").getByRole("button", { name: "Udbetal" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Udbetalingen er anmodet" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "25,00" })).toContainText("Afventer");
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(before - 2_500));
});

test("Udbetal: after a lost answer, an edited request is a new one (not a CONFLICT with the old key)", async ({ page }) => {
  await signIn(page, CARD, CODE);
  const before = await balanceOre(page);
  await page.getByRole("link", { name: "Udbetal" }).click();
  await page.getByLabel("Registreringsnummer").fill("1234");
  await page.getByLabel("Kontonummer").fill("1234567890");
  await page.getByLabel("Beløb").fill("3");
  // The first request is sent but its answer is lost: the page only sees a network error.
  let lost = false;
  await page.route("**/trpc/*payouts.request*", async (route) => {
    if (lost) return route.continue();
    lost = true;
    const response = await route.fetch();
    expect(response.status()).toBe(200);
    await route.abort("connectionreset");
  });
  await page.getByRole("button", { name: "Næste" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Udbetal" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Noget gik galt" })).toBeVisible();
  // The user changes the amount and tries again: that is another payout, accepted under a new key.
  await page.getByLabel("Beløb").fill("2");
  await page.getByRole("button", { name: "Næste" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Udbetal" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Udbetalingen er anmodet" })).toBeVisible();
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(before - 500));
});
