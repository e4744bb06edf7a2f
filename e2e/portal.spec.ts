// The cardholder portal in a real browser, in Danish, driven by labels and roles as the quick guide describes it.
import { expect, test } from "@playwright/test";
import { lastMail, sell, signIn } from "./helpers.ts";

test("first login: card number + code → Brugerinfo required → Gem → Konti shows the balance", async ({ page }) => {
  await signIn(page, "12345678901235", "730155");
  await expect(page).toHaveURL(/\/brugerinfo$/);
  await expect(page.getByText("Udfyld Navn og E-mail")).toBeVisible();
  // Other pages send the user back until the profile is complete.
  await page.getByRole("link", { name: "Konti" }).click();
  await expect(page).toHaveURL(/\/brugerinfo$/);
  await page.getByLabel("Navn", { exact: true }).fill("Testbruger B");
  await page.getByLabel("E-mail").fill("testbruger.b@example.dk");
  await page.getByLabel(/CPR-nummer/).fill("011102-1234");
  await page.getByRole("button", { name: "Gem" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Gemt." })).toBeVisible();
  await expect(page.getByLabel(/CPR-nummer \(011102-XXXX\)/)).toBeVisible();
  await page.getByRole("link", { name: "Konti" }).click();
  await expect(page.getByRole("heading", { name: "Konto - Testbruger B" })).toBeVisible();
  // The guide's line above the accounts: masked CPR number and balance.
  // A named region, so screen readers announce it.
  const summary = page.getByRole("region", { name: "Oversigt" });
  await expect(summary).toContainText("CPR-nummer011102-XXXX");
  await expect(summary).toContainText("Saldo0,00 kr.");
  await expect(page.getByLabel("Saldo Madkort")).toHaveText("0,00 kr.");
  await expect(page.getByText("12345678901235")).toBeVisible();
});

test("a sale at the till changes the open Konti page without reload, and Kontoudtog shows it", async ({ page, request }) => {
  await signIn(page, "12345678901234", "482913");
  await expect(page).toHaveURL(/\/konti$/);
  const balance = page.getByLabel("Saldo Madkort");
  await expect(balance).toHaveText(/kr\./);
  const before = Number((await balance.textContent())!.replace(/[^\d,]/g, "").replace(",", "."));
  // The page is live once its stream has started and the accounts were read after the stream's start.
  await expect(page.locator('[data-live="true"]')).toHaveCount(1);
  const sale = await sell(request, "12345678901234", 3_500);
  expect(sale.status).toBe("approved");
  const expected = new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(before - 35);
  await expect(balance).toHaveText(expected);
  await page.getByRole("link", { name: "Kontoudtog" }).click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Kontoudtog - Testbruger A");
  await expect(page.getByText("Konto : Madkort")).toBeVisible();
  const monthNames = ["Januar", "Februar", "Marts", "April", "Maj", "Juni", "Juli", "August", "September", "Oktober", "November", "December"];
  // The statement's months are Copenhagen months, whatever the test machine's time zone is.
  const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen", year: "numeric", month: "2-digit" }).format(new Date()).split("-").map(Number) as [number, number];
  await page.getByRole("button", { name: `${year} ${monthNames[month - 1]}` }).click();
  const row = page.getByRole("row").filter({ hasText: "Kantinen" }).last();
  await expect(row).toContainText("-35,00");
  await expect(row).toContainText(expected);
  await expect(page.getByRole("link", { name: "Download CSV" })).toHaveAttribute("href", /statement\.csv\?accountId=\d+/);
});

test("Glemt adgangskode: mail with link → new password → sign in with it", async ({ page, request }) => {
  await page.goto("/log-ind");
  await page.getByRole("link", { name: "Glemt adgangskode" }).click();
  await page.getByLabel("E-mail").fill("testbruger.c@example.dk");
  await page.getByRole("button", { name: "Nulstil" }).click();
  await expect(page.getByText(/Nulstil adgangskode/)).toBeVisible();
  const mail = await lastMail(request, "testbruger.c@example.dk", "<h2>Nulstil adgangskode</h2>");
  expect(mail).toContain("<h2>Nulstil adgangskode</h2>");
  const link = /(http:\/\/[^\s<]+\/nulstil-adgangskode\?token=[a-z2-7]+)/.exec(mail)![1]!;
  await page.goto(link);
  await page.getByLabel("Ny adgangskode").fill("Forår2026x");
  await page.getByLabel("Gentag adgangskode").fill("Forår2026x");
  await page.getByRole("button", { name: "Gem Password" }).click();
  await expect(page.getByText("Din adgangskode er gemt")).toBeVisible();
  await signIn(page, "12345678901236", "Forår2026x");
  await expect(page).toHaveURL(/\/konti$/);
  await expect(page.getByText("Spærret")).toBeVisible();
});

test("Skift adgangskode keeps this tab signed in and live, while the other sessions end", async ({ page, browser }) => {
  // Card 12345678901236's password was set by the Glemt adgangskode test above.
  await signIn(page, "12345678901236", "Forår2026x");
  await expect(page).toHaveURL(/\/konti$/);
  const otherDevice = await browser.newContext();
  const other = await otherDevice.newPage();
  await signIn(other, "12345678901236", "Forår2026x");
  await expect(other).toHaveURL(/\/konti$/);
  await expect(page.locator("[data-live='true']")).toBeVisible();
  await page.getByRole("link", { name: "Brugerinfo" }).click();
  await page.getByRole("button", { name: "Skift adgangskode" }).click();
  const form = page.getByRole("form", { name: "Skift adgangskode" });
  await form.getByLabel("Nuværende adgangskode").fill("Forår2026x");
  await form.getByLabel("Ny adgangskode").fill("Sommer2026y");
  await form.getByLabel("Gentag adgangskode").fill("Sommer2026y");
  await form.getByRole("button", { name: "Gem", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Adgangskoden er skiftet" })).toBeVisible();
  // This tab's old stream was ended with the old session; the tab asks, finds itself signed in, and streams again.
  await page.getByRole("link", { name: "Konti" }).click();
  await expect(page.locator("[data-live='true']")).toBeVisible();
  await expect(page.getByRole("button", { name: "Log ud" })).toBeVisible();
  // The other device was signed out: its next request finds no session.
  await other.reload();
  await expect(other.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
  await otherDevice.close();
});

test("Support: a case is created with a number and confirmed by e-mail", async ({ page, request }) => {
  await signIn(page, "12345678901234", "482913");
  await expect(page).toHaveURL(/\/konti$/);
  await page.getByRole("link", { name: "Support" }).click();
  await expect(page.getByRole("heading", { name: "Kontakt support" })).toBeVisible();
  await expect(page.getByLabel("Navn")).toHaveValue("Testbruger A");
  await page.getByLabel("Telefon").fill("12345678");
  await expect(page.getByLabel("Vedrørende")).toContainText("12345678901234");
  await page.getByLabel("Beskrivelse").fill("Mit kort bliver afvist i kantinen.");
  await page.getByRole("button", { name: "Send" }).click();
  const confirmation = page.getByRole("status").filter({ hasText: "Supportsag" });
  await expect(confirmation).toBeVisible();
  const caseNumber = /S-\d{6}/.exec((await confirmation.textContent())!)![0];
  expect(await lastMail(request, "testbruger.a@example.dk", caseNumber)).toContain(`Supportsag ${caseNumber} er oprettet`);
});

test("a lost card is blocked with Spær kort, and the next sale is declined", async ({ page, request }) => {
  await signIn(page, "12345678901237", "209384");
  await page.getByLabel("Navn", { exact: true }).fill("Testbruger D");
  await page.getByLabel("E-mail").fill("testbruger.d@example.dk");
  await page.getByRole("button", { name: "Gem" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Gemt." })).toBeVisible();
  await page.getByRole("link", { name: "Konti" }).click();
  await page.getByRole("button", { name: "Spær kort" }).click();
  const dialog = page.getByRole("dialog", { name: "Spær kort" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Ja, spær kortet" }).click();
  await expect(page.getByText("Spærret")).toBeVisible();
  expect(await sell(request, "12345678901237", 500)).toMatchObject({ status: "declined", reason: "card_blocked" });
});

test("wrong codes are refused with a readable message", async ({ page }) => {
  await signIn(page, "12345678901234", "000000");
  await expect(page.getByRole("alert")).toHaveText("Forkert brugernavn eller adgangskode.");
});

test("English is remembered across a reload", async ({ page }) => {
  await page.goto("/log-ind");
  await page.getByLabel("Sprog").selectOption("en");
  await expect(page.getByRole("heading", { name: "Sign in with user" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "Sign in with user" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await page.getByLabel("Language").selectOption("da");
  await expect(page.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 } });
  test("sign in and see Konti with the menu reachable", async ({ page }) => {
    await signIn(page, "12345678901234", "482913");
    await expect(page.getByLabel("Saldo Madkort")).toBeVisible();
    // The menu folds behind its button on a phone (e2e/phone.spec.ts tests it in full).
    await page.getByRole("button", { name: /^Menu/ }).click();
    await expect(page.getByRole("navigation", { name: "Menu" }).getByRole("link", { name: "Kontoudtog" })).toBeVisible();
    await page.screenshot({ path: "test-results/phone-konti.png" });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
