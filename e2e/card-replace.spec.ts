// Erstat kort in the back office, in a real browser: the new code is never on staff's screen — it goes by e-mail, or on a
// printed letter for a holder with none — and a card its holder blocked is refused to staff with the reason (issue 29).
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { signIn } from "./helpers.ts";

const HOLDER_REFUSAL = "Kortholderen har selv spærret kortet – kun en administrator kan genåbne det";

async function staffSignIn(page: Page): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("kantine@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Kantine2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
}

/** Issues a card in the form (a new card's code is still shown once, for its letter) and answers its number and code. */
async function issue(page: Page, name: string, email: string | null): Promise<{ cardNumber: string; code: string }> {
  const form = page.getByRole("form", { name: "Udsted kort" });
  await form.getByLabel("Navn").fill(name);
  if (email) await form.getByLabel("E-mail").fill(email);
  await form.getByRole("button", { name: "Udsted kort" }).click();
  await expect(page.getByRole("heading", { name: `Kortbrev – ${name}` })).toBeVisible();
  return { cardNumber: (await page.getByTestId("issued-card-number").textContent())!, code: (await page.getByTestId("issued-code").textContent())! };
}

async function replaceInRow(page: Page, cardNumber: string, name: string) {
  await page.getByLabel(/Søg/).fill(cardNumber);
  const row = page.getByRole("row").filter({ hasText: cardNumber });
  await row.getByRole("button", { name: `Erstat kort for ${name}` }).click();
  const dialog = page.getByRole("alertdialog", { name: "Erstat kort" });
  await dialog.getByRole("button", { name: "Erstat kort" }).click();
  return { row, dialog };
}

/** The newest mail in the development outbox whose body names `text`. */
async function outboxCode(request: APIRequestContext, text: string): Promise<string> {
  const page = await (await request.get("/dev/outbox")).text();
  const article = page.split("<article>").find((item) => item.includes(text))!;
  return /bekræftelseskoden (\d{6})/.exec(article)![1]!;
}

test("staff replace a card: the page says the code went by e-mail and shows none; the holder signs in with the mailed code", async ({ page, browser, request }) => {
  test.setTimeout(90_000);
  await staffSignIn(page);
  const name = "Mail Erstatning";
  const { cardNumber } = await issue(page, name, `mail.erstat.${Date.now()}@example.dk`);
  await replaceInRow(page, cardNumber, name);
  await expect(page.getByRole("status").filter({ hasText: "Kortet er erstattet. Koden er sendt til kortholderen på e-mail." })).toBeVisible();
  await expect(page.getByTestId("issued-code")).toHaveCount(0);
  await page.getByLabel(/Søg/).fill(name);
  // The search answers after the fill: wait for the row to show the new card rather than read the old list.
  const cardCell = page.getByRole("row").filter({ hasText: name }).locator("td").nth(1);
  await expect(cardCell).toBeVisible();
  await expect(cardCell).not.toHaveText(cardNumber);
  const newCardNumber = (await cardCell.textContent())!;
  const code = await outboxCode(request, newCardNumber.replace(/(\d{4})(?=\d)/g, "$1 "));
  const context = await browser.newContext();
  const holder = await context.newPage();
  await signIn(holder, newCardNumber, code);
  await expect(holder).toHaveURL(/\/konti$/);
  await context.close();
});

test("a card its holder blocked under Konti: staff's Åbn and Erstat kort show the refusal, and the row says who blocked it", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await staffSignIn(page);
  const name = "Selv Spaerret";
  const { cardNumber, code } = await issue(page, name, `selv.spaerret.${Date.now()}@example.dk`);
  const context = await browser.newContext();
  const holder = await context.newPage();
  await signIn(holder, cardNumber, code);
  await expect(holder).toHaveURL(/\/konti$/);
  await holder.getByRole("button", { name: "Spær kort" }).click();
  await holder.getByRole("dialog", { name: "Spær kort" }).getByRole("button", { name: "Ja, spær kortet" }).click();
  await expect(holder.getByText("Spærret")).toBeVisible();
  await context.close();

  await page.getByLabel(/Søg/).fill(cardNumber);
  const row = page.getByRole("row").filter({ hasText: cardNumber });
  await expect(row).toContainText("Spærret af kortholderen");
  await row.getByRole("button", { name: `Åbn kort for ${name}` }).click();
  const unblock = page.getByRole("alertdialog", { name: "Åbn kort" });
  await unblock.getByRole("button", { name: "Åbn kort" }).click();
  await expect(unblock).toContainText(HOLDER_REFUSAL);
  await page.keyboard.press("Escape");
  await expect(unblock).toHaveCount(0);
  const { dialog } = await replaceInRow(page, cardNumber, name);
  await expect(dialog).toContainText(HOLDER_REFUSAL);
  await expect(row).toContainText("Spærret af kortholderen");
});

test("a holder with no e-mail: Udskriv brev opens the letter in its own window with the code, never on the page", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await staffSignIn(page);
  const name = "Brev Elev";
  const { cardNumber } = await issue(page, name, null);
  await replaceInRow(page, cardNumber, name);
  await expect(page.getByRole("status").filter({ hasText: "Kortet er erstattet. Print brevet til kortholderen." })).toBeVisible();
  await expect(page.getByTestId("issued-code")).toHaveCount(0);
  const popup = page.waitForEvent("popup");
  await page.getByRole("button", { name: `Udskriv brev til ${name}` }).first().click();
  const letter = await popup;
  await expect(letter.locator("h1")).toHaveText(`Kantinekort – ${name}`);
  const code = (await letter.locator(".code").textContent())!;
  const newCardNumber = (await letter.locator(".card").textContent())!.replace(/\s/g, "");
  expect(code).toMatch(/^\d{6}$/);
  await expect(page.locator("body")).not.toContainText(code);
  const context = await browser.newContext();
  const holder = await context.newPage();
  await signIn(holder, newCardNumber, code);
  await expect(holder).not.toHaveURL(/\/log-ind/);
  await context.close();
});
