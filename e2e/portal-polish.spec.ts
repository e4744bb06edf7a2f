// Webshop and portal polish in a real browser: the cut-off on each day and on Ordrer, steppers and the missing amount on
// Tjek ud, the new balance after Indbetal, a dismissible Auto-optank notice that follows the balance, one selected tab,
// Overfør only with two accounts, and "Siden findes ikke" for unknown addresses.
// Each test uses its own card, issued and funded through the back office, so no other spec's spending changes its figures.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { sell, signIn } from "./helpers.ts";

const CSRF = { "x-kantinekort-csrf": "1", "content-type": "application/json" };
const kroner = (ore: number) => new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(ore / 100);
const dayText = (ms: number) => new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", day: "2-digit", month: "2-digit", year: "numeric" }).format(ms).replace(/\./g, "-");
const weekday = (ms: number) => new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", weekday: "long" }).format(ms);

interface IssuedCard {
  cardNumber: string;
  accountId: number;
  verificationCode: string;
}

async function issueCard(request: APIRequestContext, name: string, balanceOre: number): Promise<IssuedCard> {
  expect((await (await request.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } })).json()).result.data).toMatchObject({ ok: true });
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1000)}`;
  const issued = (await (await request.post("/trpc/backoffice.issueCard", { headers: CSRF, data: { name, email: `polish.${stamp}@example.dk`, idempotencyKey: crypto.randomUUID() } })).json()).result.data as IssuedCard;
  if (balanceOre > 0) {
    const credited = await request.post("/trpc/backoffice.correct", {
      headers: CSRF,
      data: { accountId: issued.accountId, amountOre: balanceOre, direction: "credit", reason: "Startsaldo til portaltest", idempotencyKey: `polish-e2e-${issued.cardNumber}` },
    });
    expect((await credited.json()).result.data).toEqual({ ok: true });
  }
  await request.post("/trpc/backoffice.logout", { headers: CSRF });
  return issued;
}

async function signInAs(page: Page, card: IssuedCard): Promise<void> {
  await signIn(page, card.cardNumber, card.verificationCode);
  await expect(page).toHaveURL(/\/konti$/);
}

test("Webshop shows each day's cut-off; Tjek ud has steppers, the balance and what is missing; Ordrer says until when it can be cancelled", async ({ page, playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL });
  const card = await issueCard(admin, "Webshop Polish", 3_000);
  await admin.dispose();
  await signInAs(page, card);

  await page.getByRole("link", { name: "Webshop" }).click();
  const cutoff = page.getByTestId("order-cutoff");
  // Whatever day is chosen first, its cut-off is shown; choosing another day shows that day's.
  await expect(cutoff).toHaveText(/^Bestil senest kl\. 09\.30 \p{L}+ \d{2}-\d{2}-\d{4}$/u);
  const tomorrow = Date.now() + 86_400_000;
  await page.getByLabel("Udlevering").selectOption({ label: dayText(tomorrow) });
  await expect(cutoff).toHaveText(`Bestil senest kl. 09.30 ${weekday(tomorrow)} ${dayText(tomorrow)}`);
  await page.getByRole("button", { name: "Læg Dagens ret i kurven" }).click();
  await page.getByRole("button", { name: "Læg Frugt i kurven" }).click();
  await page.getByRole("link", { name: "Tjek ud ›" }).click();

  // 35 + 8 = 43 kr. against 30 kr. on the card: 13 kr. missing, and Betal cannot be pressed.
  await expect(page.getByTestId("checkout-total")).toHaveText(kroner(4_300));
  await expect(page.getByTestId("checkout-balance")).toHaveText(kroner(3_000));
  await expect(page.getByTestId("checkout-missing")).toContainText(`Der mangler ${kroner(1_300)} på kortet.`);
  await expect(page.getByTestId("checkout-missing").getByRole("link", { name: "Indbetal" })).toHaveAttribute("href", `/indbetal?konto=${card.accountId}`);
  await expect(page.getByRole("button", { name: "Betal med kantinekort" })).toBeDisabled();

  // The steppers: one can never go below 1 (Fjern removes a line); each step changes the totals at once.
  const fruit = page.getByRole("group", { name: "Antal Frugt" });
  await expect(fruit.getByRole("button", { name: "Færre Frugt" })).toBeDisabled();
  await fruit.getByRole("button", { name: "Flere Frugt" }).click();
  await fruit.getByRole("button", { name: "Flere Frugt" }).click();
  await expect(fruit.locator("output")).toHaveText("3");
  await expect(page.getByTestId("checkout-total")).toHaveText(kroner(5_900));
  await expect(page.getByTestId("checkout-missing")).toContainText(kroner(2_900));
  await fruit.getByRole("button", { name: "Færre Frugt" }).click();
  await expect(fruit.locator("output")).toHaveText("2");
  await expect(page.getByRole("link", { name: /Kurv \(3\)/ })).toBeVisible();
  // Without Dagens ret it is 16 kr.: nothing is missing and Betal works.
  await page.getByRole("button", { name: "Fjern Dagens ret" }).click();
  await expect(page.getByTestId("checkout-total")).toHaveText(kroner(1_600));
  await expect(page.getByTestId("checkout-missing")).toHaveCount(0);
  await page.getByRole("button", { name: "Betal med kantinekort" }).click();
  const placed = page.getByRole("status").filter({ hasText: /Ordre O-\d+ er betalt/ });
  await expect(placed).toBeVisible();
  const orderNumber = /O-\d+/.exec((await placed.textContent())!)![0];
  const order = page.getByTestId(`order-${orderNumber}`);
  await expect(order).toContainText("2 × Frugt");
  await expect(order).toContainText(`Kan annulleres indtil kl. 09.30 ${weekday(tomorrow)} ${dayText(tomorrow)}.`);
  // Ordrer is the one current link of the shop's navigation.
  await expect(page.locator('.shop-nav [aria-current="page"]')).toHaveText("Ordrer");
  await expect(page.getByText("kr..")).toHaveCount(0);
  // Cancelled again, so the kitchen's counts for tomorrow in other specs are not this test's.
  await order.getByRole("button", { name: "Annuller ordre" }).click();
  await page.getByRole("alertdialog", { name: "Annuller ordre" }).getByRole("button", { name: "Annuller ordre" }).click();
  await expect(order).toContainText("Annulleret");
});

test("Indbetal's result shows the new balance; exactly one Indbetal tab is selected; Overfør only shows with two accounts", async ({ page, playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL });
  const card = await issueCard(admin, "Indbetal Polish", 1_000);
  await admin.dispose();
  await signInAs(page, card);
  // One account: Overfør would only say it needs two, so Konti does not offer it.
  const account = page.locator(".account-card");
  await expect(account.getByRole("link", { name: "Indbetal" })).toBeVisible();
  await expect(account.getByRole("link", { name: "Overfør" })).toHaveCount(0);

  for (const [path, selected] of [["/indbetal", "Indbetaling"], ["/indbetal/auto-optank", "Auto-optank"], ["/indbetal/graenser", "Maks. forbrug og påmindelse"]] as const) {
    await page.goto(path);
    const tabs = page.getByRole("navigation", { name: "Indbetal" });
    await expect(tabs.locator(".tab.active")).toHaveCount(1);
    await expect(tabs.locator('[aria-current="page"]')).toHaveText(selected);
  }

  await page.goto("/indbetal");
  await page.getByLabel(/Beløb der ønskes indbetalt/).fill("75");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByRole("heading", { name: "Betaling" })).toBeVisible();
  await page.getByLabel("Kortnummer").fill("4571 0000 0000 0001");
  await page.getByLabel("Udløb (MM/ÅÅ)").fill("12/30");
  await page.getByLabel("Kontrolcifre").fill("123");
  await page.getByRole("button", { name: "Gennemfør betaling" }).click();
  await expect(page.getByText(/Betalingen på 75,00\skr\. er gennemført/)).toBeVisible();
  await expect(page.getByTestId("new-balance")).toHaveText(`Ny saldo: ${kroner(8_500)}`);
  await expect(page.getByRole("navigation", { name: "Indbetal" }).locator(".tab.active")).toHaveText("Indbetaling");
});

test("the Auto-optank notice names the balance as it is now, follows a later sale, and Luk removes it", async ({ page, playwright, baseURL, request }) => {
  const admin = await playwright.request.newContext({ baseURL });
  const card = await issueCard(admin, "Optank Polish", 0);
  await admin.dispose();
  await signInAs(page, card);
  await page.goto("/indbetal/auto-optank");
  await page.getByLabel(/Beløb der indsættes/).fill("100");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await page.getByLabel("Kortnummer").fill("5100 0000 0000 0008");
  await page.getByLabel("Udløb (MM/ÅÅ)").fill("12/30");
  await page.getByLabel("Kontrolcifre").fill("123");
  await page.getByRole("button", { name: "Gennemfør betaling" }).click();
  await expect(page.getByText(/Aftalen er aktiv: 100,00\skr\./)).toBeVisible();

  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.locator('[data-live="true"]')).toHaveCount(1);
  // 100 kr. on the card; a 60 kr. sale leaves 40 kr., and the agreement tops up 100 kr. to 140 kr.
  expect(await sell(request, card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
  const notice = page.getByTestId("top-up-notice");
  await expect(notice).toContainText(`Auto-optankning på ${kroner(10_000)} gennemført. Ny saldo: ${kroner(14_000)}`);
  await expect(notice).not.toContainText("kr..");
  // A later sale: the notice never contradicts the balance on the page.
  expect(await sell(request, card.cardNumber, 2_000)).toMatchObject({ status: "approved", balanceOre: 12_000 });
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(12_000));
  await expect(notice).toContainText(`Ny saldo: ${kroner(12_000)}`);
  await notice.getByRole("button", { name: "Luk beskeden" }).click();
  await expect(page.getByTestId("top-up-notice")).toHaveCount(0);
  await page.getByRole("link", { name: "Webshop" }).click();
  await expect(page.getByTestId("top-up-notice")).toHaveCount(0);
  // Stop the agreement again, so nothing else tops this card up.
  await page.goto("/indbetal/auto-optank");
  await page.getByRole("button", { name: "Stop automatisk optankning" }).click();
  await page.getByRole("alertdialog", { name: "Stop automatisk optankning" }).getByRole("button", { name: "Stop automatisk optankning" }).click();
  await expect(page.getByText("Automatisk optankning er stoppet.").first()).toBeVisible();
});

test("an unknown address says Siden findes ikke (Page not found), signed in inside the menu and signed out with Log på", async ({ page, playwright, baseURL }) => {
  await page.goto("/findes/ikke");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Siden findes ikke");
  await expect(page).toHaveURL(/\/findes\/ikke$/);
  await expect(page.getByRole("link", { name: "Tilbage til log på" })).toBeVisible();
  await expect(page.getByText(/kommer snart/i)).toHaveCount(0);

  const admin = await playwright.request.newContext({ baseURL });
  const card = await issueCard(admin, "Ukendt Side", 0);
  await admin.dispose();
  await signInAs(page, card);
  await page.goto("/webshop/findes-ikke");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Siden findes ikke");
  await expect(page.getByRole("navigation", { name: "Menu" })).toBeVisible();
  await page.getByLabel("Sprog").selectOption("en");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Page not found");
  await page.getByRole("link", { name: "Go to Accounts" }).click();
  await expect(page).toHaveURL(/\/konti$/);
  await page.getByLabel("Language").selectOption("da");
});
