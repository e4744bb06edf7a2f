// A guardian on a child's card: Konti's actions carry the child's account, so each page starts on it and names it.
// Testbruger C (card 12345678901236) is the demo guardian of card 12345678901235, whose holder has no name yet.
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers.ts";

const CHILD_CARD = "12345678901235";

async function childCard(page: Page) {
  await signIn(page, "12345678901236", "615004");
  await expect(page).toHaveURL(/\/konti$/);
  const card = page.locator(".account-card").filter({ hasText: CHILD_CARD });
  await expect(card).toHaveCount(1);
  return card;
}

test("Indbetal, Overfør and Udbetal on a child's card start on the child's account, not the guardian's", async ({ page }) => {
  const card = await childCard(page);
  // A child without a name is shown by the card number once: on its own line, not in the heading as well.
  await expect(card.getByText(CHILD_CARD, { exact: true })).toHaveCount(1);
  await expect(card.getByRole("heading", { level: 2 })).toHaveText("Madkort");
  await expect(card).toContainText("Navn ikke udfyldt endnu");
  await card.getByRole("link", { name: "Indbetal" }).click();
  await expect(page.getByLabel("Konto for indbetaling").locator("option:checked")).toContainText(CHILD_CARD);

  await page.goBack();
  await card.getByRole("link", { name: "Udbetal" }).click();
  await expect(page.getByLabel("Konto", { exact: true }).locator("option:checked")).toContainText(CHILD_CARD);

  await page.goBack();
  await card.getByRole("link", { name: "Overfør" }).click();
  await expect(page.getByLabel("Fra konto").locator("option:checked")).toContainText(CHILD_CARD);
  await expect(page.getByLabel("Til konto").locator("option:checked")).not.toContainText(CHILD_CARD);
});

test("Overfør asks first, naming from, to and amount; going back moves nothing", async ({ page }) => {
  await childCard(page);
  await page.goto("/overfoer");
  await page.getByLabel("Til konto").selectOption({ label: `Madkort – ${CHILD_CARD}` });
  await page.getByLabel("Beløb").fill("1,50");
  await page.getByRole("button", { name: "Næste" }).click();
  const question = page.getByRole("alertdialog", { name: "Overfør" });
  await expect(question).toContainText(`Overfør 1,50 kr. fra Madkort til Madkort – ${CHILD_CARD}?`);
  await question.getByRole("button", { name: "Tilbage" }).click();
  await expect(question).toHaveCount(0);
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel(`Saldo Madkort – ${CHILD_CARD}`)).toHaveText("0,00 kr.");
});

test("Support and the Webshop checkout name the child's card by its holder, not the guardian", async ({ page }) => {
  const card = await childCard(page);
  const href = (await card.getByRole("link", { name: "Udbetal" }).getAttribute("href"))!;
  const childAccountId = /konto=(\d+)/.exec(href)![1]!;
  await page.getByRole("link", { name: "Support" }).click();
  const regarding = page.getByLabel("Vedrørende").locator("option").filter({ hasText: CHILD_CARD });
  await expect(regarding).toHaveCount(1);
  await expect(regarding).not.toContainText("Testbruger C");
  await page.goto(`/webshop/tjek-ud?konto=${childAccountId}`);
  await expect(page.getByText(/^Kunde:/)).toHaveText(`Kunde: ${CHILD_CARD}`);
  await expect(page.getByLabel("Betal fra konto").locator("option:checked")).toContainText(CHILD_CARD);
});
