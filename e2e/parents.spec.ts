// A parent pays for a child's card in a real browser: Auto-optank with the parent's own card, the child's Maks. forbrug and a low-balance alert; the child sees them read-only.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { sell, signIn } from "./helpers.ts";

const CSRF = { "x-kantinekort-csrf": "1", "content-type": "application/json" };

/** A fresh family through the back office (so no other spec's demo cards are touched): a parent linked to a child. */
async function newFamily(request: APIRequestContext) {
  const login = await request.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } });
  expect(login.status()).toBe(200);
  const suffix = crypto.randomUUID().slice(0, 8);
  const issue = async (name: string) => {
    const response = await request.post("/trpc/backoffice.issueCard", { headers: CSRF, data: { name, email: `${name.split(" ")[0]!.toLowerCase()}.${suffix}@example.dk`, idempotencyKey: crypto.randomUUID() } });
    expect(response.status()).toBe(200);
    return (await response.json()).result.data as { userId: number; accountId: number; cardNumber: string; verificationCode: string };
  };
  const parent = await issue("Anne Forælder");
  const child = await issue("Emil Barn");
  const linked = await request.post("/trpc/backoffice.linkGuardian", { headers: CSRF, data: { userId: child.userId, guardianCardNumber: parent.cardNumber } });
  expect(linked.status()).toBe(200);
  return { parent, child };
}

test("a parent sets up Auto-optank, Maks. forbrug and a low-balance alert on the child's card; the till and the child see them", async ({ page, request, browser }) => {
  const { parent, child } = await newFamily(request);
  await signIn(page, parent.cardNumber, parent.verificationCode);
  await expect(page).toHaveURL(/\/konti$/);
  await expect(page.locator(".account-card").filter({ hasText: child.cardNumber })).toHaveCount(1);

  // Auto-optank on the child's card, paid with the parent's own card on the hosted page.
  await page.goto("/indbetal/auto-optank");
  await page.getByLabel("Konto for indbetaling").selectOption({ label: `Madkort – Emil Barn - ${child.cardNumber}` });
  await page.getByLabel(/Beløb der indsættes/).fill("100");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByRole("button", { name: "Gennemfør betaling" })).toBeVisible();
  await page.getByLabel("Kortnummer").fill("5100 0000 0000 0008");
  await page.getByLabel("Udløb (MM/ÅÅ)").fill("12/30");
  await page.getByLabel("Kontrolcifre").fill("123");
  await page.getByRole("button", { name: "Gennemfør betaling" }).click();
  // Back on the child's card: the agreement is active with the parent's card.
  await expect(page.getByLabel("Konto for indbetaling").locator("option:checked")).toContainText(child.cardNumber);
  await expect(page.getByText(/Aftalen er aktiv: 100,00\skr\. trækkes på kort •••• 0008/)).toBeVisible();

  // Maks. forbrug and the low-balance alert for the child.
  await page.getByRole("link", { name: "Maks. forbrug og påmindelse" }).click();
  await page.getByLabel("Konto for indbetaling").selectOption({ label: `Madkort – Emil Barn - ${child.cardNumber}` });
  await page.getByLabel("Dagligt").fill("40");
  await page.getByLabel("Ugentligt").fill("150");
  await page.getByRole("button", { name: "Gem maks. forbrug" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Maks. forbrug er gemt." })).toBeVisible();
  await page.getByLabel(/Send en e-mail, når saldoen kommer under/).fill("30");
  await page.getByRole("button", { name: "Gem påmindelse" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Påmindelsen er gemt." })).toBeVisible();

  // The till keeps the parent's limit: 50 kr. is over the 40 kr. a day, 35 kr. is fine.
  expect(await sell(request, child.cardNumber, 5_000)).toMatchObject({ status: "declined", reason: "limit_daily_exceeded" });
  expect(await sell(request, child.cardNumber, 3_500)).toMatchObject({ status: "approved", balanceOre: 6_500 });

  // The child sees all of it, read-only.
  const childContext = await browser.newContext();
  const childPage = await childContext.newPage();
  await signIn(childPage, child.cardNumber, child.verificationCode);
  await expect(childPage).toHaveURL(/\/konti$/);
  await childPage.goto("/indbetal/auto-optank");
  await expect(childPage.getByText("Auto-optank på dette kort betales af Anne Forælder med deres eget kort.", { exact: false })).toBeVisible();
  await expect(childPage.getByRole("button", { name: "Næste" })).toHaveCount(0);
  await expect(childPage.getByRole("button", { name: "Stop automatisk optankning" })).toHaveCount(0);
  await childPage.getByRole("link", { name: "Maks. forbrug og påmindelse" }).click();
  await expect(childPage.getByLabel("Dagligt")).toHaveValue("40");
  await expect(childPage.getByLabel("Dagligt")).toHaveAttribute("readonly", "");
  await expect(childPage.getByText("Maks. forbrug på dette kort bestemmes af din værge.")).toBeVisible();
  await expect(childPage.getByRole("button", { name: "Gem maks. forbrug" })).toHaveCount(0);
  await expect(childPage.getByText(/Anne Forælder får en påmindelse, når saldoen kommer under 30,00\skr\./)).toBeVisible();

  // The back office unlinks the parent: their Auto-optank and alert end with the link, and the child may choose their own.
  const unlinked = await request.post("/trpc/backoffice.unlinkGuardian", { headers: CSRF, data: { userId: child.userId, guardianUserId: parent.userId } });
  expect(unlinked.status()).toBe(200);
  await childPage.goto("/indbetal/auto-optank");
  await expect(childPage.getByRole("button", { name: "Næste" })).toBeVisible();
  await expect(childPage.getByText("betales af Anne Forælder", { exact: false })).toHaveCount(0);
  await childPage.getByRole("link", { name: "Maks. forbrug og påmindelse" }).click();
  await expect(childPage.getByRole("button", { name: "Gem påmindelse" })).toBeVisible();
  await expect(childPage.getByText(/Anne Forælder får en påmindelse/)).toHaveCount(0);
  await childContext.close();
});

test("on a phone, the parent's settings page keeps every field reachable and labelled", async ({ page, request }) => {
  const { parent } = await newFamily(request);
  await page.setViewportSize({ width: 375, height: 740 });
  await signIn(page, parent.cardNumber, parent.verificationCode);
  await expect(page).toHaveURL(/\/konti$/);
  await page.goto("/indbetal/graenser");
  for (const label of ["Dagligt", "Ugentligt", "Månedligt", "E-mail til påmindelsen"]) await expect(page.getByLabel(label)).toBeVisible();
  // Bad input is named on the page, and nothing is saved.
  await page.getByLabel(/Send en e-mail, når saldoen kommer under/).fill("0");
  await page.getByRole("button", { name: "Gem påmindelse" }).click();
  await expect(page.getByRole("alert")).toContainText("Mindst 1 kr.");
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(scrollWidth).toBeLessThanOrEqual(375);
});
