// The portal through a real Caddy (deploy/Caddyfile, `tls internal`) over HTTPS: sign-in, Secure cookies, the CSRF guard
// with PUBLIC_URL, a live balance through the proxy, the client's own address via TRUST_PROXY, and a card payment whose
// return link comes back through the proxy.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { proxy } from "./playwright.config.ts";
import { DEMO_KEY, signIn } from "./helpers.ts";

test.use({ baseURL: proxy.url, ignoreHTTPSErrors: true });

const CARD = "12345678901234";
const CODE = "482913";
const kroner = (ore: number) => new Intl.NumberFormat("da-DK", { style: "currency", currency: "DKK" }).format(ore / 100);

/** A query on the proxied server's database file (read-only), run by Bun as the server's own tools are. */
function query(sql: string): unknown[] {
  const script = "const { Database } = require('bun:sqlite'); const d = new Database(process.env.Q_DB, { readonly: true }); console.log(JSON.stringify(d.query(process.env.Q_SQL).all())); d.close();";
  const output = execFileSync("bun", ["-e", script], { env: { ...process.env, Q_DB: proxy.databasePath, Q_SQL: sql }, encoding: "utf8" });
  return JSON.parse(output) as unknown[];
}

test("sign-in over HTTPS through Caddy sets Secure cookies, and the server sees the browser's address, not Caddy's", async ({ page, context }) => {
  await signIn(page, CARD, CODE);
  await expect(page).toHaveURL(/\/konti$/);
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(/kr\./);
  const session = (await context.cookies(proxy.url)).find((cookie) => cookie.name === "kk_session");
  expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: "Lax" });
  // The browser came over IPv6 loopback; Caddy reached the server from 127.0.0.1. With TRUST_PROXY=127.0.0.1 the server
  // takes the client from X-Forwarded-For: the sign-in is recorded for ::1.
  const attempts = query("SELECT client_address, success FROM login_attempts ORDER BY id DESC LIMIT 1") as Array<{ client_address: string; success: number }>;
  expect(attempts).toEqual([{ client_address: "::1", success: 1 }]);
});

test("the CSRF guard accepts the portal's own HTTPS origin through the proxy and refuses others", async ({ request }) => {
  const login = (origin: string) =>
    request.post("/trpc/auth.login", {
      headers: { origin, "content-type": "application/json", "x-kantinekort-csrf": "1" },
      data: { cardNumber: CARD, password: "000000" },
    });
  const own = await login(proxy.url);
  expect(own.status()).toBe(200);
  expect((await own.json()).result.data).toMatchObject({ ok: false });
  expect((await login("https://evil.example")).status()).toBe(403);
  expect((await login("https://127.0.0.1:9")).status()).toBe(403);
  expect((await login("null")).status()).toBe(403);
  // Every answer through the proxy names its request; the id is Caddy's (one id in both logs).
  expect(own.headers()["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(own.headers()["strict-transport-security"]).toContain("max-age=");
});

test("a sale at the till shows on the open Konti page through the proxy's event stream, without reload", async ({ page, request }) => {
  await signIn(page, CARD, CODE);
  await expect(page).toHaveURL(/\/konti$/);
  const balance = page.getByLabel("Saldo Madkort");
  await expect(page.locator('[data-live="true"]')).toHaveCount(1);
  const before = Math.round(Number((await balance.textContent())!.replace(/[^\d,]/g, "").replace(",", ".")) * 100);
  // The till sells through the proxy too, as a till on the network would.
  const sale = await request.post("/trpc/pos.sale", {
    headers: { authorization: `Bearer ${DEMO_KEY}`, "content-type": "application/json" },
    data: { saleId: `proxy-${crypto.randomUUID()}`, cardNumber: CARD, amountOre: 1_250 },
  });
  expect((await sale.json()).result.data.status).toBe("approved");
  await expect(balance).toHaveText(kroner(before - 1_250));
});

test("a deposit on the payment page returns through the proxy to PUBLIC_URL and credits the card", async ({ page }) => {
  await signIn(page, CARD, CODE);
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(/kr\./);
  const before = Math.round(Number((await page.getByLabel("Saldo Madkort").textContent())!.replace(/[^\d,]/g, "").replace(",", ".")) * 100);
  await page.goto("/indbetal");
  await page.getByLabel(/Beløb der ønskes indbetalt/).fill("100");
  await page.getByLabel("Jeg har læst og accepteret betalingsbetingelserne").check();
  await page.getByRole("button", { name: "Næste" }).click();
  await expect(page.getByRole("heading", { name: "Betaling", exact: true })).toBeVisible();
  expect(page.url().startsWith(`${proxy.url}/acquirer/pay/`)).toBe(true);
  await page.getByLabel("Kortnummer").fill("4571 0000 0000 0001");
  await page.getByLabel("Udløb (MM/ÅÅ)").fill("12/30");
  await page.getByLabel("Kontrolcifre").fill("123");
  await page.getByRole("button", { name: "Gennemfør betaling" }).click();
  await expect(page.getByText(/Betalingen på 100,00\skr\. er gennemført/)).toBeVisible();
  expect(page.url().startsWith(`${proxy.url}/indbetal/resultat`)).toBe(true);
  await page.getByRole("link", { name: "Konti" }).first().click();
  await expect(page.getByLabel("Saldo Madkort")).toHaveText(kroner(before + 10_000));
});

test("metrics are not reachable through the proxy; health is", async ({ request }) => {
  expect((await request.get("/metrics")).status()).toBe(404);
  expect((await request.get("/healthz")).status()).toBe(200);
  expect((await request.get("/readyz")).status()).toBe(200);
});
