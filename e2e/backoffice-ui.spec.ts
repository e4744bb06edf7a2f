// The back office as canteen staff use it, in a real browser: a header on one line at 1280 px, in-app dialogs instead
// of the browser's prompt() for school/class, guardians and blocking, and products edited, repriced, deactivated and
// put on a day's menu with a portion limit that the webshop honours.
import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers.ts";

const kroner = (ore: number) => new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(ore / 100);
const isoDay = (ms: number) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(ms);
const dayText = (ms: number) => new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", day: "2-digit", month: "2-digit", year: "numeric" }).format(ms).replace(/\./g, "-");
const weekdayLong = (ms: number) => new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", weekday: "long" }).format(ms);

async function adminSignIn(page: Page): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill("admin@kantinekort.local");
  await page.getByLabel("Adgangskode").fill("Admin2026!");
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
}

test("at 1280 px the header stays on one line in both languages: the language selector does not stretch", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await adminSignIn(page);
  for (const language of ["da", "en"] as const) {
    await page.locator(".admin .topbar select").selectOption(language);
    const header = await page.locator(".admin .topbar").evaluate((element) => {
      const children = [...element.children].map((child) => child.getBoundingClientRect());
      return {
        height: element.getBoundingClientRect().height,
        tops: children.map((box) => Math.round(box.top + box.height / 2)),
        selectWidth: element.querySelector("select")!.getBoundingClientRect().width,
        scrollWidth: element.scrollWidth,
        clientWidth: element.clientWidth,
      };
    });
    // Every item's middle on the same line, the select no wider than its words, nothing pushed out sideways.
    expect(new Set(header.tops).size).toBe(1);
    expect(header.selectWidth).toBeLessThan(200);
    expect(header.height).toBeLessThan(70);
    expect(header.scrollWidth).toBeLessThanOrEqual(header.clientWidth);
  }
  await page.locator(".admin .topbar select").selectOption("da");
});

test("school/class and guardians are asked in in-app dialogs, and blocking asks first", async ({ page }) => {
  let browserDialogs = 0;
  page.on("dialog", (dialog) => {
    browserDialogs += 1;
    void dialog.dismiss();
  });
  await adminSignIn(page);
  const form = page.getByRole("form", { name: "Udsted kort" });
  const issue = async (name: string) => {
    await form.getByLabel("Navn").fill(name);
    await form.getByRole("button", { name: "Udsted kort" }).click();
    await expect(page.getByRole("heading", { name: `Kortbrev – ${name}` })).toBeVisible();
    // The form is emptied after the card is issued.
    await expect(form.getByLabel("Navn")).toHaveValue("");
    return (await page.getByTestId("issued-card-number").textContent())!;
  };
  const parentCard = await issue("Dialog Forælder");
  const cardNumber = await issue("Dialog Elev");
  await page.getByLabel(/Søg/).fill(cardNumber);
  const row = page.getByRole("row").filter({ hasText: cardNumber });
  await expect(row).toHaveCount(1);

  await row.getByRole("button", { name: "Skole og klasse for Dialog Elev" }).click();
  const schooling = page.getByRole("dialog", { name: "Skole og klasse – Dialog Elev" });
  await expect(schooling.getByLabel("Skole")).toBeFocused();
  await schooling.getByLabel("Skole").fill("Demo Skole");
  await schooling.getByLabel("Klasse").fill("7B");
  await schooling.getByLabel("Spor").press("Enter");
  await expect(schooling).toHaveCount(0);
  await expect(row).toContainText("Demo Skole / 7B");

  await row.getByRole("button", { name: "Tilføj værge for Dialog Elev" }).click();
  const guardian = page.getByRole("dialog", { name: "Tilføj værge for Dialog Elev" });
  await guardian.getByLabel("Værgens kortnummer").fill("ikke et nummer");
  await guardian.getByRole("button", { name: "Tilføj værge" }).click();
  await expect(guardian.getByRole("alert")).toHaveText("Skriv værgens kortnummer (kun cifre).");
  await guardian.getByLabel("Værgens kortnummer").fill(parentCard.replace(/(\d{4})/g, "$1 ").trim());
  await guardian.getByRole("button", { name: "Tilføj værge" }).click();
  await expect(guardian).toHaveCount(0);
  await expect(row).toContainText(`Dialog Forælder (${parentCard})`);

  // Blocking asks first; Tilbage changes nothing, the confirmation blocks.
  await row.getByRole("button", { name: "Spær kort for Dialog Elev" }).click();
  const block = page.getByRole("alertdialog", { name: "Spær kort" });
  await expect(block).toContainText(cardNumber);
  await block.getByRole("button", { name: "Tilbage" }).click();
  await expect(row).toContainText("Aktiv");
  await row.getByRole("button", { name: "Spær kort for Dialog Elev" }).click();
  await block.getByRole("button", { name: "Spær kort" }).click();
  await expect(row).toContainText("Spærret");
  await row.getByRole("button", { name: "Åbn kort for Dialog Elev" }).click();
  await page.getByRole("alertdialog", { name: "Åbn kort" }).getByRole("button", { name: "Åbn kort" }).click();
  await expect(row).toContainText("Aktiv");
  expect(browserDialogs).toBe(0);
});

test("a product is created, edited and repriced in a dialog, put on tomorrow's menu with a portion limit that stays, and deactivated", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await adminSignIn(page);
  await page.getByRole("button", { name: "Katalog og menuer" }).click();
  const name = `Suppe ${Date.now() % 100_000}`;
  const form = page.getByRole("form", { name: "Nyt produkt" });
  await form.getByLabel("Navn").fill(name);
  await form.getByLabel("Pris (kr.)").fill("30");
  await form.getByRole("button", { name: "Gem produkt" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Produktet er gemt." })).toBeVisible();
  // One product from a double click, and the form is ready for the next one.
  await expect(page.getByRole("table", { name: "Produkter" }).getByRole("row").filter({ hasText: name })).toHaveCount(1);
  await expect(form.getByLabel("Navn")).toHaveValue("");

  const product = page.getByRole("table", { name: "Produkter" }).getByRole("row").filter({ hasText: name });
  await product.getByRole("button", { name: `Redigér ${name}` }).click();
  const edit = page.getByRole("dialog", { name: `Redigér ${name}` });
  await edit.getByLabel("Pris (kr.)").fill("32,50");
  await edit.getByLabel("Allergener").fill("selleri");
  await edit.getByLabel(/Maks\. portioner pr\. dag/).fill("3");
  await edit.getByRole("button", { name: "Gem" }).click();
  await expect(edit).toHaveCount(0);
  await expect(product).toContainText(kroner(3_250));
  await expect(product).toContainText("selleri");
  await expect(product.getByRole("cell").nth(3)).toHaveText("3");

  // The week's menu names the weekdays; tomorrow may be in next week.
  const tomorrow = Date.now() + 86_400_000;
  const cell = `${name} ${weekdayLong(tomorrow)} ${isoDay(tomorrow).slice(8, 10)}-${isoDay(tomorrow).slice(5, 7)}`;
  const menu = page.getByRole("table", { name: "Ugens menu" });
  await expect(menu.getByRole("columnheader").nth(1)).toHaveText(/^man\.? \d{2}-\d{2}$/);
  await expect(menu.getByRole("row").filter({ hasText: name })).toHaveCount(1);
  if ((await menu.getByLabel(cell, { exact: true }).count()) === 0) await page.getByRole("button", { name: "Næste uge ›" }).click();
  await menu.getByLabel(cell, { exact: true }).check();
  await expect(page.getByRole("status").filter({ hasText: "Menuen er gemt." })).toBeVisible();
  // Ticked onto the day, the product brings its own limit; the day's limit can then be set apart.
  const limit = menu.getByLabel(`Maks. portioner ${cell}`);
  await expect(limit).toHaveValue("3");
  await limit.fill("2");
  await limit.press("Tab");
  await expect(limit).toHaveValue("2");
  // Kept over a reload of the page.
  await page.reload();
  await page.getByRole("button", { name: "Katalog og menuer" }).click();
  await expect(menu.getByRole("row").filter({ hasText: name })).toHaveCount(1);
  if ((await menu.getByLabel(cell, { exact: true }).count()) === 0) await page.getByRole("button", { name: "Næste uge ›" }).click();
  await expect(menu.getByLabel(`Maks. portioner ${cell}`)).toHaveValue("2");
  // Ticked off and on again, the day never loses its limit: it gets the product's own again.
  await menu.getByLabel(cell, { exact: true }).uncheck();
  await expect(menu.getByLabel(`Maks. portioner ${cell}`)).toHaveCount(0);
  await menu.getByLabel(cell, { exact: true }).check();
  await expect(menu.getByLabel(`Maks. portioner ${cell}`)).toHaveValue("3");
  await menu.getByLabel(`Maks. portioner ${cell}`).fill("2");
  await menu.getByLabel(`Maks. portioner ${cell}`).press("Tab");
  await expect(page.getByRole("status").filter({ hasText: "Menuen er gemt." })).toBeVisible();

  // The cardholder sees the new price and the limit in the webshop.
  const context = await browser.newContext();
  const shopper = await context.newPage();
  await signIn(shopper, "12345678901234", "482913");
  await expect(shopper).toHaveURL(/\/(konti|brugerinfo)$/);
  await shopper.goto("/webshop");
  await shopper.getByLabel("Udlevering").selectOption({ label: dayText(tomorrow) });
  const offered = shopper.getByRole("listitem").filter({ hasText: name });
  await expect(offered).toContainText(kroner(3_250));
  await expect(offered).toContainText("2 tilbage");

  // Deactivated (after a question), it leaves the webshop's menu.
  await product.getByRole("button", { name: `Deaktivér ${name}` }).click();
  await page.getByRole("alertdialog", { name: `Deaktivér ${name}` }).getByRole("button", { name: "Deaktivér" }).click();
  await expect(product).toContainText("Deaktiveret");
  await shopper.reload();
  await shopper.getByLabel("Udlevering").selectOption({ label: dayText(tomorrow) });
  await expect(shopper.getByRole("heading", { name: "Dagens ret" }).first()).toBeVisible();
  await expect(shopper.getByRole("listitem").filter({ hasText: name })).toHaveCount(0);
  await context.close();
});

const CSRF = { "x-kantinekort-csrf": "1", "content-type": "application/json" };

test("the daily report's lines move by exactly what was done: a sale, two corrections, a paid and a rejected payout", async ({ page, playwright, baseURL }) => {
  test.setTimeout(90_000);
  await adminSignIn(page);
  await page.getByRole("button", { name: "Rapporter" }).click();
  const lines = page.getByRole("table", { name: "Dagens bevægelser" });
  await expect(lines.locator("tr[data-line]").first()).toBeVisible();
  const read = async () => {
    const figures: Record<string, { count: number; amountOre: number }> = {};
    for (const row of await lines.locator("tr[data-line]").all()) {
      const key = (await row.getAttribute("data-line"))!;
      const cells = row.getByRole("cell");
      figures[key] = { count: Number(await cells.nth(0).textContent()), amountOre: Math.round(Number((await cells.nth(1).textContent())!.replace(/[^\d,-]/g, "").replace(",", ".")) * 100) };
    }
    const liability = Math.round(Number((await page.getByTestId("report-liability").textContent())!.replace(/[^\d,-]/g, "").replace(",", ".")) * 100);
    return { figures, liability };
  };
  const before = await read();

  // What happens: a new card gets 100 kr. by a correction, buys for 20 kr. at the till, loses 5 kr. by a correction,
  // asks for two payouts (15 and 10 kr.); the back office rejects the first and pays the second.
  const admin = await playwright.request.newContext({ baseURL });
  expect((await (await admin.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } })).json()).result.data).toMatchObject({ ok: true });
  const card = (await (await admin.post("/trpc/backoffice.issueCard", { headers: CSRF, data: { name: "Rapport Elev", email: `rapport.${Date.now()}@example.dk`, idempotencyKey: crypto.randomUUID() } })).json()).result.data as { accountId: number; cardNumber: string; verificationCode: string };
  const correct = async (amountOre: number, direction: "credit" | "debit") =>
    expect((await (await admin.post("/trpc/backoffice.correct", { headers: CSRF, data: { accountId: card.accountId, amountOre, direction, reason: "Rapporttest", idempotencyKey: crypto.randomUUID() } })).json()).result.data).toEqual({ ok: true });
  await correct(10_000, "credit");
  const sale = await admin.post("/trpc/pos.sale", { headers: { authorization: "Bearer demo-terminal-key-kantinen-0001", "content-type": "application/json" }, data: { saleId: `report-${crypto.randomUUID()}`, cardNumber: card.cardNumber, amountOre: 2_000 } });
  expect((await sale.json()).result.data).toMatchObject({ status: "approved" });
  await correct(500, "debit");
  const holder = await playwright.request.newContext({ baseURL });
  expect((await (await holder.post("/trpc/auth.login", { headers: CSRF, data: { cardNumber: card.cardNumber, password: card.verificationCode } })).json()).result.data).toMatchObject({ ok: true });
  const account = `${Date.now()}`.slice(-10);
  for (const [amountOre, key] of [[1_500, "a"], [1_000, "b"]] as const) {
    const requested = await holder.post("/trpc/payouts.request", { headers: CSRF, data: { accountId: card.accountId, name: "Rapport Elev", registrationNumber: "4321", bankAccountNumber: account, amountOre, idempotencyKey: `report-payout-${account}-${key}` } });
    expect((await requested.json()).result.data.ok).toBe(true);
  }
  await holder.dispose();
  const payouts = (await (await admin.get(`/trpc/backoffice.payouts?input=${encodeURIComponent(JSON.stringify({ status: "pending" }))}`)).json()).result.data as Array<{ payoutId: number; amountOre: number; bankAccountNumber: string }>;
  const mine = payouts.filter((payout) => payout.bankAccountNumber === account);
  expect(mine).toHaveLength(2);
  await admin.post("/trpc/backoffice.decidePayout", { headers: CSRF, data: { payoutId: mine.find((payout) => payout.amountOre === 1_500)!.payoutId, status: "rejected", reason: "Forkert konto" } });
  await admin.post("/trpc/backoffice.decidePayout", { headers: CSRF, data: { payoutId: mine.find((payout) => payout.amountOre === 1_000)!.payoutId, status: "paid" } });
  await admin.dispose();

  await page.getByRole("button", { name: "Opdatér" }).click();
  await expect.poll(async () => (await read()).figures.sales?.count).toBe(before.figures.sales!.count + 1);
  const after = await read();
  const moved = (key: string) => ({ count: after.figures[key]!.count - before.figures[key]!.count, amountOre: after.figures[key]!.amountOre - before.figures[key]!.amountOre });
  expect(moved("sales")).toEqual({ count: 1, amountOre: 2_000 });
  expect(moved("correctionsCredit")).toEqual({ count: 1, amountOre: 10_000 });
  expect(moved("correctionsDebit")).toEqual({ count: 1, amountOre: 500 });
  expect(moved("payoutRequests")).toEqual({ count: 2, amountOre: 2_500 });
  expect(moved("payoutsPaid")).toEqual({ count: 1, amountOre: 1_000 });
  expect(moved("payoutsReturned")).toEqual({ count: 1, amountOre: 1_500 });
  for (const untouched of ["refunds", "deposits", "transfers"]) expect(moved(untouched)).toEqual({ count: 0, amountOre: 0 });
  // What the cards hold now: +100 − 20 − 5 − 25 + 15 = 65 kr. more than before.
  expect(after.liability - before.liability).toBe(6_500);
  // The whole ledger is checked in the background (every 10 s); the report shows that verdict and when it was reached.
  const verdict = page.getByText("Regnskabskontrol").locator("xpath=following-sibling::dd[1]");
  await expect
    .poll(async () => {
      await page.getByRole("button", { name: "Opdatér" }).click();
      return verdict.textContent();
    }, { timeout: 30_000, intervals: [1_000, 2_000, 5_000] })
    .toMatch(/^OK – kontrolleret kl\. \d\d[.:]\d\d$/);
});

test("the report of a month and of a school year: a sale made now is in both, a period over 400 days is refused, fine on a phone", async ({ page, playwright, baseURL }) => {
  test.setTimeout(90_000);
  await adminSignIn(page);
  await page.getByRole("button", { name: "Rapporter" }).click();
  await expect(page.getByRole("table", { name: "Dagens bevægelser" })).toBeVisible();
  const ore = (text: string | null) => Math.round(Number(text!.replace(/[^\d,-]/g, "").replace(",", ".")) * 100);
  const lines = page.getByRole("table", { name: "Periodens bevægelser" });
  const readSales = async () => ({ count: Number(await lines.getByTestId("report-count-sales").textContent()), amountOre: ore(await lines.getByTestId("report-amount-sales").textContent()) });

  // Måned: the current month is chosen from the start, shown from its first day to today.
  const today = Date.now();
  const monthStart = `${isoDay(today).slice(0, 7)}-01`;
  await page.getByLabel("Periode", { exact: true }).selectOption({ label: "Måned" });
  await expect(page.getByLabel("Vælg måned")).toHaveValue(isoDay(today).slice(0, 7));
  await expect(lines.getByTestId("report-count-sales")).toBeVisible();
  const longDay = (day: string) => new Intl.DateTimeFormat("da-DK", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(Date.parse(`${day}T12:00:00Z`));
  await expect(page.getByTestId("report-period")).toContainText(`${longDay(monthStart)} – ${longDay(isoDay(today))}`);
  const before = await readSales();

  // A distinctive sale: 13,37 kr. on a new card, at the demo till.
  const admin = await playwright.request.newContext({ baseURL });
  expect((await (await admin.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } })).json()).result.data).toMatchObject({ ok: true });
  const card = (await (await admin.post("/trpc/backoffice.issueCard", { headers: CSRF, data: { name: "Periode Elev", idempotencyKey: crypto.randomUUID() } })).json()).result.data as { accountId: number; cardNumber: string };
  expect((await (await admin.post("/trpc/backoffice.correct", { headers: CSRF, data: { accountId: card.accountId, amountOre: 5_000, direction: "credit", reason: "Periodetest", idempotencyKey: crypto.randomUUID() } })).json()).result.data).toEqual({ ok: true });
  const sale = await admin.post("/trpc/pos.sale", { headers: { authorization: "Bearer demo-terminal-key-kantinen-0001", "content-type": "application/json" }, data: { saleId: `period-${crypto.randomUUID()}`, cardNumber: card.cardNumber, amountOre: 1_337 } });
  expect((await sale.json()).result.data).toMatchObject({ status: "approved" });
  await admin.dispose();

  await page.getByRole("button", { name: "Opdatér" }).click();
  await expect.poll(async () => (await readSales()).count).toBe(before.count + 1);
  const after = await readSales();
  expect(after.amountOre - before.amountOre).toBe(1_337);

  // Skoleår: this school year (1 August to today), which holds the month and so the sale.
  const startYear = Number(isoDay(today).slice(5, 7)) >= 8 ? Number(isoDay(today).slice(0, 4)) : Number(isoDay(today).slice(0, 4)) - 1;
  await page.getByLabel("Periode", { exact: true }).selectOption({ label: "Skoleår" });
  await expect(page.getByLabel(/Vælg skoleår/)).toHaveValue(String(startYear));
  await expect(page.getByLabel(/Vælg skoleår/).locator("option:checked")).toHaveText(`${startYear}/${String((startYear + 1) % 100).padStart(2, "0")}`);
  await expect(page.getByTestId("report-period")).toContainText(`${longDay(`${startYear}-08-01`)} – ${longDay(isoDay(today))}`);
  await expect(lines.getByTestId("report-count-sales")).toBeVisible();
  const year = await readSales();
  expect(year.count).toBeGreaterThanOrEqual(after.count);
  expect(year.amountOre).toBeGreaterThanOrEqual(after.amountOre);
  // The year before, all of it: the demo school (seeded today) sold nothing then, and the report says so.
  await page.getByLabel(/Vælg skoleår/).selectOption(String(startYear - 1));
  await expect(page.getByTestId("report-period")).toContainText(`${longDay(`${startYear - 1}-08-01`)} – ${longDay(`${startYear}-07-31`)} (365 dage)`);
  await expect(page.getByTestId("report-no-sales")).toHaveText("Intet salg i perioden.");
  await expect(lines.getByTestId("report-count-sales")).toHaveText("0");

  // Fra–til over 400 days is refused before asking the server, in words; a shorter one is reported.
  await page.getByLabel("Periode", { exact: true }).selectOption({ label: "Fra–til" });
  await page.getByLabel("Fra dato").fill(isoDay(today - 401 * 86_400_000));
  await page.getByLabel("Til dato").fill(isoDay(today));
  await expect(page.getByRole("alert")).toHaveText("Højst 400 dage ad gangen. Vælg en kortere periode.");
  await expect(lines).toBeHidden();
  await page.getByLabel("Fra dato").fill(monthStart);
  await expect(lines.getByTestId("report-count-sales")).toHaveText(String(after.count));

  // On a phone the controls wrap and nothing of the report sticks out sideways (the wide table scrolls in its own
  // box); the whole choice works from the keyboard.
  await page.setViewportSize({ width: 390, height: 800 });
  const sticksOut = await page.getByRole("heading", { name: "Rapporter" }).locator("xpath=..").evaluate((section) =>
    [...section.querySelectorAll("*")].filter((element) => !element.closest(".table-scroll") && element.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((element) => element.outerHTML.slice(0, 80)),
  );
  expect(sticksOut).toEqual([]);
  await page.getByLabel("Periode", { exact: true }).focus();
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("ArrowUp");
  await expect(page.getByLabel("Periode", { exact: true })).toHaveValue("month");
  await expect(lines.getByTestId("report-count-sales")).toHaveText(String(after.count));

  // A period the heavy-read worker gave up on (TIMEOUT) or had no room for (TOO_MANY_REQUESTS) is said in words, in
  // Danish and in English. The server's answers are stood in for here: the worker's limits are tested in server/services/reads.
  for (const [code, status, da, en] of [
    ["TIMEOUT", 408, "Rapporten tog for lang tid at beregne. Vælg en kortere periode, eller prøv igen om lidt.", "The report took too long to compute. Choose a shorter period, or try again shortly."],
    ["TOO_MANY_REQUESTS", 429, "Der beregnes mange rapporter lige nu. Prøv igen om lidt.", "Many reports are being computed right now. Try again shortly."],
  ] as const) {
    await page.route("**/trpc/backoffice.periodReport?**", (route) =>
      route.fulfill({ status, contentType: "application/json", body: JSON.stringify([{ error: { message: "stand-in", code: -32000, data: { code, httpStatus: status } } }]) }),
    );
    await page.getByRole("button", { name: "Opdatér" }).click();
    await expect(page.getByTestId("report-failed")).toHaveText(da);
    await expect(lines).toBeHidden();
    await page.locator(".admin .topbar select").selectOption("en");
    await expect(page.getByTestId("report-failed")).toHaveText(en);
    await page.locator(".admin .topbar select").selectOption("da");
    await page.unroute("**/trpc/backoffice.periodReport?**");
  }
  await page.getByRole("button", { name: "Opdatér" }).click();
  await expect(lines.getByTestId("report-count-sales")).toHaveText(String(after.count));

  // A period whose days are still being added up for the first time (a just-migrated year): the server answers with
  // its progress, the page shows it and asks again by itself until the report comes. The first two answers are
  // stood in for (a demo database adds up in one go); the third is the server's own.
  let stoodIn = 0;
  await page.route("**/trpc/backoffice.periodReport?**", (route) => {
    stoodIn += 1;
    if (stoodIn > 2) return route.continue();
    return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify([{ result: { data: { status: "preparing", readyDays: stoodIn * 100, days: 365 } } }]) });
  });
  await page.getByRole("button", { name: "Opdatér" }).click();
  const preparing = page.getByTestId("report-preparing");
  await expect(preparing).toContainText("100 af 365 dage er klar");
  await expect(preparing.getByRole("progressbar")).toHaveAttribute("value", /100|200/);
  await expect(preparing).toContainText("200 af 365 dage er klar");
  await expect(lines.getByTestId("report-count-sales")).toHaveText(String(after.count));
  await expect(preparing).toBeHidden();
  expect(stoodIn).toBe(3);
  await page.unroute("**/trpc/backoffice.periodReport?**");
});

test("the audit log filters by kind, by who and by date, and reads in words", async ({ page }) => {
  await adminSignIn(page);
  await page.getByRole("button", { name: "Revisionslog" }).click();
  const log = page.getByRole("table", { name: "Revisionslog" });
  await expect(log.getByRole("row").nth(1)).toBeVisible();
  // Corrections only: every row is one, named in words with the amount and the reason.
  await page.getByLabel("Type").selectOption({ label: "Korrektioner" });
  // The newest entry may be a correction before the filter is applied, so wait for the whole list to be filtered.
  const actions = () => log.locator("tr[data-action]").evaluateAll((rows) => [...new Set(rows.map((row) => row.getAttribute("data-action")))]);
  await expect.poll(actions).toEqual(["ledger.correction"]);
  await expect(log.locator("tr[data-action]").first()).toContainText(/Korrektion: kort [\d ]+ \(.+\), [\d.,]+\skr\. (indsat|trukket), årsag: /);
  // Cards and cardholders: issued, blocked, schooling … but never a correction.
  await page.getByLabel("Type").selectOption({ label: "Kort og kortholdere" });
  await expect(log.locator('tr[data-action="ledger.correction"]')).toHaveCount(0);
  await expect(log.locator('tr[data-action="card.issue"]').first()).toBeVisible();
  // Who: the demo administrator did all of it; the canteen staff account did none of these.
  const staffMember = await page.getByLabel("Hvem").locator("option", { hasText: "kantine@kantinekort.local" }).getAttribute("value");
  await page.getByLabel("Hvem").selectOption(staffMember!);
  await expect(page.getByText("Ingen hændelser endnu.")).toBeVisible();
  await page.getByLabel("Hvem").selectOption({ index: 0 });
  // A day in the future has nothing.
  const future = isoDay(Date.now() + 3 * 86_400_000);
  await page.getByLabel("Fra dato").fill(future);
  await expect(page.getByText("Ingen hændelser endnu.")).toBeVisible();
  await page.getByRole("button", { name: "Nulstil filtre" }).click();
  await expect(page.getByLabel("Type")).toHaveValue("");
  await expect(log.locator("tr[data-action]").first()).toBeVisible();
});

test("a card blocked in the back office shows Spærret on the cardholder's open Konti page without a reload, and unblocked Aktiv", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await adminSignIn(page);
  const form = page.getByRole("form", { name: "Udsted kort" });
  await form.getByLabel("Navn").fill("Live Spærring");
  await form.getByLabel("E-mail").fill(`live.${Date.now()}@example.dk`);
  await form.getByRole("button", { name: "Udsted kort" }).click();
  await expect(page.getByRole("heading", { name: "Kortbrev – Live Spærring" })).toBeVisible();
  const cardNumber = (await page.getByTestId("issued-card-number").textContent())!;
  const code = (await page.getByTestId("issued-code").textContent())!;

  const context = await browser.newContext();
  const holder = await context.newPage();
  await signIn(holder, cardNumber, code);
  await expect(holder).toHaveURL(/\/konti$/);
  // Live: the block below cannot fall between the page's account list and its stream.
  await expect(holder.locator('[data-live="true"]')).toHaveCount(1);
  const account = holder.locator(".account-card");
  await expect(account).toContainText("Aktiv");

  await page.getByLabel(/Søg/).fill(cardNumber);
  const row = page.getByRole("row").filter({ hasText: cardNumber });
  await row.getByRole("button", { name: "Spær kort for Live Spærring" }).click();
  await page.getByRole("alertdialog", { name: "Spær kort" }).getByRole("button", { name: "Spær kort" }).click();
  await expect(row).toContainText("Spærret");
  await expect(account.locator(".status-blocked")).toHaveText("Spærret");
  await expect(account.getByRole("button", { name: "Spær kort" })).toHaveCount(0);

  await row.getByRole("button", { name: "Åbn kort for Live Spærring" }).click();
  await page.getByRole("alertdialog", { name: "Åbn kort" }).getByRole("button", { name: "Åbn kort" }).click();
  await expect(account.locator(".status-active")).toHaveText("Aktiv");
  await context.close();
});

test("a second canteen: chosen once, its tills and kitchen screens, catalogue and menus are its own", async ({ page, browser }) => {
  test.setTimeout(90_000);
  await adminSignIn(page);
  await page.getByRole("button", { name: "Kasser og skærme" }).click();
  const canteen = `Kantine Nord ${Date.now() % 100_000}`;
  await page.getByLabel("Ny kantine").fill(canteen);
  await page.getByRole("button", { name: "Opret kantine" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Kantinen ${canteen} er oprettet og valgt.` })).toBeVisible();
  await expect(page.getByLabel("Kantine", { exact: true }).locator("option:checked")).toHaveText(canteen);
  // A kitchen screen for the new canteen.
  await page.getByLabel("Type").selectOption({ label: "Køkkenskærm" });
  await page.getByLabel("Navn").fill("Skærm Nord");
  await page.getByRole("button", { name: "Opret enhed" }).click();
  const key = (await page.getByTestId("device-secret").textContent())!;
  await expect(page.getByText(`Skærm: Skærm Nord (${canteen}) – aktiv`)).toBeVisible();

  // The catalogue follows the choice: the new canteen starts empty, and its product is not the first canteen's.
  await page.getByRole("button", { name: "Katalog og menuer" }).click();
  await expect(page.getByLabel("Kantine", { exact: true }).locator("option:checked")).toHaveText(canteen);
  await expect(page.getByText("Ingen produkter endnu.")).toBeVisible();
  const form = page.getByRole("form", { name: "Nyt produkt" });
  await form.getByLabel("Navn").fill("Nordsalat");
  await form.getByLabel("Pris (kr.)").fill("28");
  await form.getByRole("button", { name: "Gem produkt" }).click();
  const products = page.getByRole("table", { name: "Produkter" });
  await expect(products.getByRole("row").filter({ hasText: "Nordsalat" })).toHaveCount(1);
  await expect(products.getByRole("row")).toHaveCount(2);
  await page.getByLabel("Kantine", { exact: true }).selectOption({ label: "Kantinen" });
  await expect(products.getByRole("row").filter({ hasText: "Dagens ret" }).first()).toBeVisible();
  await expect(products.getByRole("row").filter({ hasText: "Nordsalat" })).toHaveCount(0);

  // The screen signs in to the new canteen's queue.
  const context = await browser.newContext();
  const kitchen = await context.newPage();
  await kitchen.goto("/kitchen");
  await kitchen.getByLabel("Skærmens kode").fill(key);
  await kitchen.getByRole("button", { name: "Log skærmen på" }).click();
  await expect(kitchen.getByRole("heading", { level: 1 })).toContainText(canteen);
  await context.close();
});

test("the card list pages beyond 50: a class of 55 shows 1–50, then 51–55", async ({ page }) => {
  test.setTimeout(120_000);
  await adminSignIn(page);
  const className = `P${Date.now() % 1_000_000}`;
  const csv = ["navn;e-mail;skole;klasse;spor", ...Array.from({ length: 55 }, (_, index) => `Elev ${String(index + 1).padStart(2, "0")};;Demo Skole;${className};`)].join("\n");
  await page.getByLabel(/CSV med kolonnerne/).fill(csv);
  await page.getByRole("button", { name: "Importér", exact: true }).click();
  await expect(page.getByText("55 kort er udstedt.")).toBeVisible({ timeout: 90_000 });
  await page.getByLabel(/Søg/).fill(className);
  await expect(page.getByTestId("cards-range")).toHaveText("Viser 1–50 af 55");
  const rows = page.getByRole("row").filter({ hasText: className });
  await expect(rows).toHaveCount(50);
  await page.getByRole("button", { name: "Næste ›" }).click();
  await expect(page.getByTestId("cards-range")).toHaveText("Viser 51–55 af 55");
  await expect(rows).toHaveCount(5);
  await expect(page.getByRole("button", { name: "Næste ›" })).toBeDisabled();
  await page.getByRole("button", { name: "‹ Forrige" }).click();
  await expect(rows).toHaveCount(50);
});
