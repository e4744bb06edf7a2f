// The back office in a real browser: issue a card and sign in with it, terminal keys, class-list import, payouts,
// a correction started from a cardholder's row, staff accounts.
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers.ts";

const kroner = (ore: number) => new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(ore / 100);
const kronerOf = (text: string) => Math.round(Number(text.replace(/[^\d,-]/g, "").replace(",", ".")) * 100);

async function adminSignIn(page: Page): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("admin@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Admin2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
}

test("issue a card → the new cardholder signs in with the shown code", async ({ page, browser }) => {
  await adminSignIn(page);
  const form = page.getByRole("form", { name: "Udsted kort" });
  await form.getByLabel("Navn").fill("Ole Olsen");
  await form.getByLabel("Klasse").fill("4B");
  await form.getByRole("button", { name: "Udsted kort" }).click();
  const cardNumber = (await page.getByTestId("issued-card-number").textContent())!;
  const code = (await page.getByTestId("issued-code").textContent())!;
  expect(cardNumber).toMatch(/^\d{14}$/);
  const context = await browser.newContext();
  const cardholder = await context.newPage();
  await signIn(cardholder, cardNumber, code);
  await expect(cardholder).toHaveURL(/\/brugerinfo$/);
  await expect(cardholder.getByLabel("Navn", { exact: true })).toHaveValue("Ole Olsen");
  await context.close();
});

test("a new terminal key sells at the till; revoked, it is refused", async ({ page, request }) => {
  await adminSignIn(page);
  await page.getByRole("button", { name: "Kasser og skærme" }).click();
  await page.getByLabel("Navn").fill("Kasse E2E");
  await page.getByRole("button", { name: "Opret enhed" }).click();
  const key = (await page.getByTestId("device-secret").textContent())!;
  const sale = () =>
    request.post("/trpc/pos.sale", { headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, data: { saleId: `admin-e2e-${crypto.randomUUID()}`, cardNumber: "12345678901234", amountOre: 100 } });
  expect((await sale()).status()).toBe(200);
  await page.getByRole("button", { name: "Tilbagekald Kasse E2E" }).click();
  const revoke = page.getByRole("alertdialog", { name: "Tilbagekald Kasse E2E" });
  await expect(revoke).toContainText("Nøglen holder op med at virke");
  await revoke.getByRole("button", { name: "Tilbagekald" }).click();
  await expect(page.getByText("Kasse E2E (Kantinen) – tilbagekaldt")).toBeVisible();
  expect((await sale()).status()).toBe(401);
});

test("a class list with one bad row writes nothing and names the row", async ({ page }) => {
  await adminSignIn(page);
  await page.getByLabel(/CSV med kolonnerne/).fill("navn;e-mail;klasse\nKaren Kjær;karen@example.dk;5A\nLars;ikke-en-mail;5A\n");
  await page.getByRole("button", { name: "Importér", exact: true }).click();
  await expect(page.getByText("Linje 3: Ugyldig e-mail")).toBeVisible();
  await expect(page.getByText("Intet er gemt.")).toBeVisible();
  await page.getByLabel(/Søg/).fill("Karen");
  await expect(page.getByRole("cell", { name: "Karen Kjær" })).toHaveCount(0);
});

test("approve one payout and reject another", async ({ page, request }) => {
  const login = await request.post("/trpc/auth.login", { headers: { "x-kantinekort-csrf": "1" }, data: { cardNumber: "12345678901234", password: "482913" } });
  expect((await login.json()).result.data.ok).toBe(true);
  const accounts = await (await request.get("/trpc/accounts.list")).json();
  const accountId = accounts.result.data[0].accountId;
  for (const key of ["admin-payout-1", "admin-payout-2"]) {
    const response = await request.post("/trpc/payouts.request", {
      headers: { "x-kantinekort-csrf": "1" },
      data: { accountId, name: "Testbruger A", registrationNumber: "4321", bankAccountNumber: "9876543210", amountOre: 100, idempotencyKey: key },
    });
    expect((await response.json()).result.data.ok).toBe(true);
  }
  await adminSignIn(page);
  await page.getByRole("button", { name: "Udbetalinger" }).click();
  const rows = page.getByRole("row").filter({ hasText: "9876543210" });
  await expect(rows).toHaveCount(2);
  // Both decisions ask first in an in-app dialog: "paid" with a confirmation, "reject" with a required reason.
  await rows.first().getByRole("button", { name: /som udbetalt/ }).click();
  await page.getByRole("alertdialog", { name: "Markér som udbetalt" }).getByRole("button", { name: "Markér som udbetalt" }).click();
  await expect(rows.first()).toContainText("Udbetalt");
  await rows.last().getByRole("button", { name: /^Afvis/ }).click();
  const reject = page.getByRole("dialog", { name: "Afvis udbetaling" });
  await expect(reject.getByLabel("Årsag til afvisning")).toBeFocused();
  await reject.getByRole("button", { name: "Afvis udbetaling" }).click();
  await expect(reject.getByRole("alert")).toHaveText("Skriv årsagen til afvisningen.");
  await expect(rows.last()).toContainText("Afventer");
  await reject.getByLabel("Årsag til afvisning").fill("Forkert kontonummer");
  await reject.getByRole("button", { name: "Afvis udbetaling" }).click();
  await expect(reject).toHaveCount(0);
  await expect(rows.first()).toContainText("Udbetalt");
  await expect(rows.last()).toContainText("Afvist");
  await page.getByRole("button", { name: "Revisionslog" }).click();
  // The audit log says it in words, with the reason.
  await expect(page.getByRole("row").filter({ hasText: /Udbetaling afvist: .*årsag: Forkert kontonummer/ }).first()).toBeVisible();
});

test("the back office speaks English when asked", async ({ page }) => {
  await adminSignIn(page);
  await page.getByLabel("Sprog").selectOption("en");
  await expect(page.getByRole("button", { name: "Tills and screens" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Cards and cardholders" })).toBeVisible();
  await page.getByLabel("Language").selectOption("da");
  await expect(page.getByRole("heading", { name: "Kort og kortholdere" })).toBeVisible();
});

test("a correction is started from the cardholder's row, confirmed, and a double click posts it once", async ({ page }) => {
  await adminSignIn(page);
  // The row is found by its card number, whatever name the cardholder has by now (other specs may have set one).
  const cardRow = () => page.getByRole("row").filter({ hasText: "12345678901237" });
  await page.getByLabel(/Søg/).fill("12345678901237");
  await expect(cardRow()).toHaveCount(1);
  const balanceBefore = kronerOf((await cardRow().getByRole("cell").nth(3).textContent())!);
  await cardRow().getByRole("button", { name: /^Korrektion for / }).click();
  await expect(page.getByTestId("correction-target")).toContainText("12345678901237");
  await page.getByLabel("Beløb (kr.)").fill("2,50");
  await page.getByLabel("Årsag (skal udfyldes)").fill("Fejl ved kassen");
  // A double click asks once; the question names the amount and the cardholder; confirmed, it posts once.
  await page.getByRole("form", { name: "Korrektion" }).getByRole("button", { name: "Bogfør korrektion" }).dblclick();
  const question = page.getByRole("alertdialog", { name: "Bogfør korrektion" });
  await expect(question).toHaveCount(1);
  await expect(question).toContainText("Indsæt 2,50");
  await question.getByRole("button", { name: "Bogfør korrektion" }).dblclick();
  await expect(page.getByText("Korrektionen er bogført.")).toBeVisible();
  await page.getByRole("button", { name: "Revisionslog" }).click();
  await expect(page.getByRole("row").filter({ hasText: /Korrektion: kort 1234 5678 9012 37 .*2,50\skr\. indsat, årsag: Fejl ved kassen/ })).toHaveCount(1);
  // The balance rose by 2,50 kr. exactly once.
  await page.getByRole("button", { name: "Kort", exact: true }).click();
  await page.getByLabel(/Søg/).fill("12345678901237");
  await expect(cardRow().getByRole("cell").nth(3)).toHaveText(kroner(balanceBefore + 250));
});

test("an administrator creates a staff member, who can then sign in", async ({ page, browser }) => {
  await adminSignIn(page);
  await page.getByRole("button", { name: "Personale" }).click();
  const form = page.getByRole("form", { name: "Opret medarbejder" });
  await form.getByLabel("E-mail").fill("e2e.kok@kantinekort.local");
  await form.getByLabel("Navn").fill("E2E Kok");
  await form.getByLabel(/Startadgangskode/).fill("Kokken2026");
  await form.getByRole("button", { name: "Opret medarbejder" }).click();
  await expect(page.getByText("Medarbejderen er oprettet.")).toBeVisible();
  await expect(page.getByRole("cell", { name: "e2e.kok@kantinekort.local", exact: true })).toBeVisible();
  // A role change asks first, naming the person and the new role; declined, the select shows the old role again.
  const role = page.getByLabel("Rolle for e2e.kok@kantinekort.local");
  await role.selectOption("admin");
  const asked = page.getByRole("alertdialog", { name: "Skift rolle" });
  await expect(asked).toContainText("Skal E2E Kok have rollen administrator?");
  await asked.getByRole("button", { name: "Tilbage" }).click();
  await expect(role).toHaveValue("staff");
  const context = await browser.newContext();
  const cook = await context.newPage();
  await cook.goto("/admin");
  await cook.getByLabel("E-mail").fill("e2e.kok@kantinekort.local");
  await cook.getByLabel("Adgangskode").fill("Kokken2026");
  await cook.getByRole("button", { name: "Log på" }).click();
  await expect(cook.getByRole("navigation", { name: "Administration" })).toBeVisible();
  await expect(cook.getByRole("button", { name: "Personale" })).toHaveCount(0);
  await context.close();
});
