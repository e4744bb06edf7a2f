// The browser till (/kasse) in Chromium: pairing, card reads as keystrokes, Godkendt/Afvist, refunds, webshop pickup seen live, offline queue.
import { execFileSync } from "node:child_process";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { DEMO_KEY, signIn } from "./helpers.ts";

const CSRF = { "x-kantinekort-csrf": "1", "content-type": "application/json" };
const TILL = { authorization: `Bearer ${DEMO_KEY}`, "content-type": "application/json" };

/**
 * The till's own cards, issued through the back office for this file: other specs change the demo cards' passwords
 * and spend their money, and the till must neither depend on that nor take money other specs count on.
 */
interface IssuedCard {
  cardNumber: string;
  accountId: number;
  cardId: number;
  verificationCode: string;
}
let CARD_A = "";
let CODE_A = "";
let CARD_EMPTY = "";
let CARD_BLOCKED = "";
const HOLDER_A = "Kasse Kunde";

async function issueCard(admin: APIRequestContext, name: string, balanceOre: number): Promise<IssuedCard> {
  const issued = (await (await admin.post("/trpc/backoffice.issueCard", { headers: CSRF, data: { name, email: `${name.toLowerCase().replace(/\W+/g, ".")}.${Date.now()}@example.dk`, idempotencyKey: crypto.randomUUID() } })).json()).result.data as IssuedCard;
  if (balanceOre > 0) {
    const credited = await admin.post("/trpc/backoffice.correct", {
      headers: CSRF,
      data: { accountId: issued.accountId, amountOre: balanceOre, direction: "credit", reason: "Startsaldo til kassens test", idempotencyKey: `till-e2e-${issued.cardNumber}` },
    });
    expect((await credited.json()).result.data).toEqual({ ok: true });
  }
  return issued;
}

test.beforeAll(async ({ playwright }, testInfo) => {
  const admin = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
  expect((await (await admin.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } })).json()).result.data).toMatchObject({ ok: true });
  const a = await issueCard(admin, HOLDER_A, 25_000);
  CARD_A = a.cardNumber;
  CODE_A = a.verificationCode;
  CARD_EMPTY = (await issueCard(admin, "Tom Saldo", 0)).cardNumber;
  const blocked = await issueCard(admin, "Spaerret Kort", 10_000);
  CARD_BLOCKED = blocked.cardNumber;
  expect((await admin.post("/trpc/backoffice.setCardStatus", { headers: CSRF, data: { cardId: blocked.cardId, status: "blocked" } })).status()).toBe(200);
  await admin.dispose();
});
// A 1×1 PNG: the holder's photo that the till shows next to the answer.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

async function balanceOf(request: APIRequestContext, cardNumber: string): Promise<number> {
  const response = await request.get(`/trpc/pos.balance?input=${encodeURIComponent(JSON.stringify({ cardNumber }))}`, { headers: TILL });
  return (await response.json()).result.data.balanceOre;
}

async function pair(page: Page, key = DEMO_KEY): Promise<void> {
  await page.goto("/kasse");
  await page.getByLabel("Terminalnøgle").fill(key);
  await page.getByRole("button", { name: "Par kassen" }).click();
  await expect(page.getByTestId("till-online")).toHaveText("Online");
}

/** What a keyboard-wedge reader does: the digits as keystrokes and Enter, with no field focused. */
async function swipe(page: Page, cardNumber: string): Promise<void> {
  await page.keyboard.type(cardNumber, { delay: 5 });
  await page.keyboard.press("Enter");
}

const answer = (page: Page) => page.getByTestId("till-answer");
/** A product button (not the category button of the same name). */
const product = (page: Page, name: RegExp) => page.getByRole("group", { name: "Varer" }).getByRole("button", { name }).first();

test("a sale approved with the holder's photo and name, then declined ones, each card read as keystrokes + Enter", async ({ page, playwright, baseURL }) => {
  // The holder uploads a photo in the portal, so the till can show it for identification.
  const holder = await playwright.request.newContext({ baseURL });
  expect((await (await holder.post("/trpc/auth.login", { headers: CSRF, data: { cardNumber: CARD_A, password: CODE_A } })).json()).result.data).toMatchObject({ ok: true });
  expect((await holder.post("/trpc/profile.uploadPhoto", { headers: CSRF, data: { dataUrl: `data:image/png;base64,${PNG}` } })).status()).toBe(200);
  await holder.dispose();

  await page.setViewportSize({ width: 1024, height: 768 });
  const before = await balanceOf(page.request, CARD_A);
  await pair(page);
  await product(page, /Dagens ret/).click();
  await product(page, /Frugt/).click();
  await page.getByRole("button", { name: "Én mere: Frugt" }).click();
  await expect(page.getByTestId("till-total")).toHaveText("51,00 kr.");
  // The focus is on a button, not a field: the reader's keystrokes are caught anyway, and Enter does not press it.
  await swipe(page, CARD_A);
  await expect(answer(page)).toContainText("Godkendt");
  await expect(answer(page)).toContainText(`Saldo efter køb: ${((before - 5_100) / 100).toFixed(2).replace(".", ",")} kr.`);
  await expect(answer(page).getByRole("img", { name: `Foto af ${HOLDER_A}` })).toBeVisible();
  await expect(answer(page)).toContainText(HOLDER_A);
  expect(await balanceOf(page.request, CARD_A)).toBe(before - 5_100);

  // The next customer starts with one key.
  await page.keyboard.press("Enter");
  await expect(answer(page)).toHaveCount(0);
  await expect(page.getByTestId("till-total")).toHaveText("0,00 kr.");

  // Keyboard only: a letter adds a product (A is the first one), and the blocked card is declined.
  await page.keyboard.press("a");
  await expect(page.getByTestId("till-total")).not.toHaveText("0,00 kr.");
  await swipe(page, CARD_BLOCKED);
  await expect(answer(page)).toContainText("Afvist");
  await expect(answer(page)).toContainText("Kortet er spærret");
  await page.keyboard.press("Escape");

  // A card without money, typed by hand into the card field.
  await product(page, /Frugt/).click();
  await page.getByLabel("Kortnummer").fill(CARD_EMPTY);
  await page.getByRole("button", { name: "Betal" }).click();
  await expect(answer(page)).toContainText("Afvist");
  await expect(answer(page)).toContainText("Ikke penge nok på kortet");
  await page.keyboard.press(" ");
  await expect(answer(page)).toHaveCount(0);

  // Nothing is cut off or scrolls sideways at 1024×768, or on a 10" tablet held either way.
  for (const size of [{ width: 1024, height: 768 }, { width: 1280, height: 800 }, { width: 800, height: 1280 }]) {
    await page.setViewportSize(size);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await expect(page.getByRole("button", { name: "Betal" })).toBeInViewport();
  }

  // English on request.
  await page.getByLabel("Sprog").selectOption("en");
  await expect(page.getByRole("heading", { name: "Basket" })).toBeVisible();
  await page.getByLabel("Language").selectOption("da");
});

test("a part refund of today's sale from the till's own list", async ({ page }) => {
  await pair(page);
  await product(page, /Mælk/).click();
  await product(page, /Mælk/).click();
  await swipe(page, CARD_A);
  await expect(answer(page)).toContainText("Godkendt");
  const afterSale = await balanceOf(page.request, CARD_A);
  await page.keyboard.press("Enter");

  await page.keyboard.press("Alt+2");
  await expect(page.getByRole("heading", { name: "Dagens salg" })).toBeVisible();
  const row = page.locator("tr", { hasText: "2 × Mælk 0,5 l" }).first();
  const refundedBefore = await page.getByTestId("total-refunded").textContent();
  await row.getByRole("button", { name: /Refundér/ }).click();
  await page.getByLabel("Beløb at refundere (kr.)").fill("9");
  await page.getByRole("button", { name: "Refundér 9,00 kr." }).click();
  const refunded = page.getByRole("status").filter({ hasText: "Refunderet 9,00 kr." });
  await expect(refunded).toBeVisible();
  // One full stop after each amount (issue 25: "Refunderet 8,00 kr.. Saldo: 215,00 kr..").
  await expect(refunded).toHaveText(/^Refunderet 9,00\skr\. Saldo: [\d.]+,\d\d\skr\.$/);
  expect(await balanceOf(page.request, CARD_A)).toBe(afterSale + 900);
  await expect(page.locator("tr", { hasText: "2 × Mælk 0,5 l" }).first()).toContainText("9,00 kr.");
  await expect(page.getByTestId("total-refunded")).not.toHaveText(refundedBefore ?? "");
});

test("a webshop order picked up at the till leaves the kitchen screen's queue and shows Udleveret to the cardholder, live", async ({ page, browser, playwright, baseURL }) => {
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date());
  // The canteen takes orders for today until late, so that the test can order for pickup today.
  const staff = await playwright.request.newContext({ baseURL });
  expect((await (await staff.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } })).json()).result.data).toMatchObject({ ok: true });
  const me = (await (await staff.get("/trpc/backoffice.me", { headers: CSRF })).json()).result.data as { canteens: Array<{ canteenId: number; orderCutoffTime: string }> };
  const { canteenId, orderCutoffTime } = me.canteens[0]!;
  expect((await staff.post("/trpc/backoffice.setOrderCutoff", { headers: CSRF, data: { canteenId, time: "23:59" } })).status()).toBe(200);
  try {
    const holder = await playwright.request.newContext({ baseURL });
    await holder.post("/trpc/auth.login", { headers: CSRF, data: { cardNumber: CARD_A, password: CODE_A } });
    const accountId = (await (await holder.get("/trpc/accounts.list")).json()).result.data[0].accountId as number;
    const menu = (await (await holder.get(`/trpc/webshop.menu?input=${encodeURIComponent(JSON.stringify({ canteenId, deliveryDay: today }))}`)).json()).result.data as Array<{ productId: number; name: string }>;
    const fruit = menu.find((product) => product.name === "Frugt")!;
    const placed = await (
      await holder.post("/trpc/webshop.checkout", {
        headers: CSRF,
        data: { accountId, canteenId, deliveryDay: today, lines: [{ productId: fruit.productId, quantity: 3, comment: "Til udflugt" }], idempotencyKey: `till-e2e-${Date.now()}` },
      })
    ).json();
    const orderNumber = placed.result.data.order.orderNumber as string;
    await holder.dispose();

    // The cardholder watches Ordrer in the portal, in a browser context of their own.
    const portalContext = await browser.newContext();
    const portal = await portalContext.newPage();
    await signIn(portal, CARD_A, CODE_A);
    await expect(portal.getByRole("link", { name: "Konti" })).toBeVisible();
    await portal.goto("/webshop/ordrer");
    const orderStatus = portal.getByTestId(`order-${orderNumber}`).locator(".order-status");
    await expect(orderStatus).toHaveText("Modtaget");

    // The kitchen screen, in its own browser context, shows the order waiting.
    const kitchenContext = await browser.newContext();
    const kitchen = await kitchenContext.newPage();
    await kitchen.goto("/kitchen");
    await kitchen.getByLabel("Skærmens kode").fill("demo-kitchen-screen-token-0001");
    await kitchen.getByRole("button", { name: "Log skærmen på" }).click();
    const waiting = kitchen.getByRole("region", { name: "Modtaget" }).getByRole("article", { name: orderNumber });
    await expect(waiting).toBeVisible();
    await kitchen.evaluate(() => ((window as Window & { __sameScreen?: boolean }).__sameScreen = true));

    await pair(page);
    await page.getByRole("button", { name: "Afhentning" }).click();
    await page.getByLabel("Ordrenummer eller kortnummer").fill(orderNumber);
    await page.keyboard.press("Enter");
    const handedOver = page.getByRole("status").filter({ hasText: "Udleveret" });
    await expect(handedOver).toContainText(orderNumber);
    await expect(handedOver).toContainText("3 × Frugt (Til udflugt)");

    // Live on the kitchen screen, without a reload: the order has left the queue.
    await expect(waiting).toHaveCount(0);
    expect(await kitchen.evaluate(() => (window as Window & { __sameScreen?: boolean }).__sameScreen)).toBe(true);

    // And the cardholder sees Udleveret without reloading Ordrer.
    await expect(orderStatus).toHaveText("Udleveret");
    await portalContext.close();

    // Reading the holder's card again says it was already handed over; nothing is handed over twice.
    await swipe(page, CARD_A);
    await expect(page.getByRole("status").filter({ hasText: "Allerede udleveret" })).toContainText(orderNumber);
    await kitchenContext.close();
  } finally {
    await staff.post("/trpc/backoffice.setOrderCutoff", { headers: CSRF, data: { canteenId, time: orderCutoffTime } });
    await staff.dispose();
  }
});

test("offline: three sales queued, a reload, back online: all sent once, one declined on replay is shown, ledger:check holds", async ({ page, context }) => {
  await pair(page);
  // The page and its assets are stored on the device before the network goes.
  await expect(page.locator(".till")).toHaveAttribute("data-offline-ready", "true");
  const beforeA = await balanceOf(page.request, CARD_A);
  const beforeBlocked = await balanceOf(page.request, CARD_BLOCKED);

  await context.setOffline(true);
  await expect(page.getByTestId("till-online")).toHaveText("Offline");
  const sell = async (name: RegExp, cardNumber: string) => {
    await product(page, name).click();
    await swipe(page, cardNumber);
    await expect(answer(page)).toContainText("Afventer");
    await page.keyboard.press("Enter");
    await expect(answer(page)).toHaveCount(0);
  };
  await sell(/Frugt/, CARD_A);
  await sell(/Mælk/, CARD_BLOCKED);
  await sell(/Rugbrødsmad/, CARD_A);
  await expect(page.getByTestId("till-pending")).toHaveText("Afventer: 3");

  // Over the offline limit (50 kr. by default) the till refuses to queue, and says so.
  for (let dish = 0; dish < 2; dish += 1) await product(page, /Dagens ret/).click();
  await swipe(page, CARD_A);
  await expect(answer(page)).toContainText("Afvist");
  await expect(answer(page)).toContainText("over offline-grænsen på 50,00 kr. Prøv igen, når kassen er online.");
  await expect(answer(page)).not.toContainText("kr..");
  await page.keyboard.press("Escape");

  const queued = await page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open("kantinekort-till");
        open.onsuccess = () => {
          const read = open.result.transaction("sales").objectStore("sales").getAll();
          read.onsuccess = () => resolve((read.result as Array<{ saleId: string; state: string }>).filter((sale) => sale.state === "pending").map((sale) => sale.saleId));
          read.onerror = () => reject(read.error);
        };
        open.onerror = () => reject(open.error);
      }),
  );
  expect(queued).toHaveLength(3);

  // The queue survives a reload without a network.
  await page.reload();
  await expect(page.getByTestId("till-online")).toHaveText("Offline");
  await expect(page.getByTestId("till-pending")).toHaveText("Afventer: 3");

  await context.setOffline(false);
  await expect(page.getByTestId("till-online")).toHaveText("Online");
  await expect(page.getByTestId("till-pending")).toHaveCount(0);
  const followUp = page.getByRole("alert").filter({ hasText: "Offline-salg afvist ved afsendelse" });
  await expect(followUp).toContainText("Kortet er spærret");
  await expect(followUp).toContainText("9,00 kr.");

  // Sent exactly once each: the two approved ones charged card A once, the declined one moved nothing.
  expect(await balanceOf(page.request, CARD_A)).toBe(beforeA - 800 - 2_200);
  expect(await balanceOf(page.request, CARD_BLOCKED)).toBe(beforeBlocked);
  const day = (await (await page.request.get("/trpc/till.salesToday", { headers: TILL })).json()).result.data as { sales: Array<{ saleId: string; status: string }> };
  for (const saleId of queued) expect(day.sales.filter((sale) => sale.saleId === saleId)).toHaveLength(1);
  expect(queued.map((saleId) => day.sales.find((sale) => sale.saleId === saleId)!.status)).toEqual(["approved", "declined", "approved"]);

  const check = execFileSync("bun", ["server/ledger/check-cli.ts", process.env.E2E_DATABASE_PATH!], { cwd: new URL("..", import.meta.url).pathname, encoding: "utf8" });
  expect(check).toContain("ledger:check OK");

  // The declined sale stays on screen until staff have followed it up.
  await page.reload();
  await expect(followUp).toContainText("Kortet er spærret");
  await followUp.getByRole("button", { name: "Fulgt op" }).click();
  await expect(followUp).toHaveCount(0);
});

test("a terminal revoked in the back office shows the till as unpaired at once; its waiting sale is never hidden nor sent under another key", async ({ page, context, playwright, baseURL }) => {
  const admin = await playwright.request.newContext({ baseURL });
  await admin.post("/trpc/backoffice.login", { headers: CSRF, data: { email: "admin@kantinekort.local", password: "Admin2026!" } });
  const me = (await (await admin.get("/trpc/backoffice.me", { headers: CSRF })).json()).result.data as { canteens: Array<{ canteenId: number }> };
  const created = (await (await admin.post("/trpc/backoffice.createDevice", { headers: CSRF, data: { kind: "terminal", canteenId: me.canteens[0]!.canteenId, name: "Kasse e2e", idempotencyKey: crypto.randomUUID() } })).json()).result.data as { id: number; secret: string };
  await pair(page, created.secret);
  await expect(page.getByText("Kasse e2e")).toBeVisible();
  // One sale waits offline when the terminal is revoked.
  await context.setOffline(true);
  await expect(page.getByTestId("till-online")).toHaveText("Offline");
  await product(page, /Frugt/).click();
  await swipe(page, CARD_A);
  await expect(answer(page)).toContainText("Afventer");
  await page.keyboard.press("Enter");
  await admin.post("/trpc/backoffice.revokeDevice", { headers: CSRF, data: { kind: "terminal", id: created.id } });
  await context.setOffline(false);
  await expect(page.getByRole("alert").filter({ hasText: "Kassen er ikke parret længere" })).toBeVisible();
  await expect(page.getByLabel("Terminalnøgle")).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem("kk_till_key"))).toBeNull();
  await expect(page.getByRole("alert").filter({ hasText: "1 salg er gemt på denne enhed" })).toBeVisible();
  await admin.dispose();

  // Paired again with another terminal's key, the old sale is shown for follow-up and not sent as this terminal's.
  const balance = await balanceOf(page.request, CARD_A);
  await page.getByLabel("Terminalnøgle").fill(DEMO_KEY);
  await page.getByRole("button", { name: "Par kassen" }).click();
  await expect(page.getByTestId("till-online")).toHaveText("Online");
  await expect(page.getByRole("alert").filter({ hasText: "Solgt som en anden kasse" })).toBeVisible();
  expect(await balanceOf(page.request, CARD_A)).toBe(balance);
});

test("the server's disk is full: the till says so, keeps the sale queued under its sale id, and sends it once when the server can store again", async ({ page }) => {
  // The shared e2e server's disk cannot be filled, so its 503 answer (the exact body server/ops/storage.test.ts gets
  // from a server on a full tmpfs) stands in at the browser's network layer; every sale id sent is recorded.
  let diskFull = true;
  const sent: string[] = [];
  await page.route("**/trpc/pos.sale", async (route) => {
    sent.push((route.request().postDataJSON() as { saleId: string }).saleId);
    if (!diskFull) return route.continue();
    await route.fulfill({
      status: 503,
      headers: { "content-type": "application/json", "retry-after": "5" },
      body: JSON.stringify({
        error: {
          message: "The server cannot store sales right now – try again shortly",
          code: -32603,
          data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503, path: "pos.sale", reason: "storage_unavailable", messages: { da: "Serveren kan ikke gemme salg lige nu – prøv igen om lidt", en: "The server cannot store sales right now – try again shortly" } },
        },
      }),
    });
  });
  await pair(page);
  const before = await balanceOf(page.request, CARD_A);
  await product(page, /Frugt/).click();
  await swipe(page, CARD_A);
  await expect(answer(page)).toContainText("Afventer");
  await expect(answer(page)).toContainText("Serveren kan ikke gemme salg lige nu – prøv igen om lidt");
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("till-pending")).toHaveText("Afventer: 1");
  // The till stays online (reads work) and retries with the heartbeat: the same sale id every time.
  await expect.poll(() => sent.length).toBeGreaterThan(1);
  await expect(page.getByTestId("till-online")).toHaveText("Online");
  expect(new Set(sent).size).toBe(1);

  diskFull = false;
  await expect(page.getByTestId("till-pending")).toHaveCount(0);
  expect(new Set(sent).size).toBe(1);
  expect(await balanceOf(page.request, CARD_A)).toBe(before - 800);
  const day = (await (await page.request.get("/trpc/till.salesToday", { headers: TILL })).json()).result.data as { sales: Array<{ saleId: string; status: string }> };
  expect(day.sales.filter((sale) => sale.saleId === sent[0])).toEqual([expect.objectContaining({ status: "approved" })]);
});
