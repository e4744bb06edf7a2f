// Shared steps for the portal specs: sign in through the real form, and sell at the demo till over HTTP.
import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const DEMO_KEY = "demo-terminal-key-kantinen-0001";

export async function signIn(page: Page, cardNumber: string, password: string): Promise<void> {
  await page.goto("/log-ind");
  await expect(page.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
  await page.getByLabel("Brugernavn").fill(cardNumber);
  await page.getByLabel("Adgangskode", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Login" }).click();
}

export async function sell(request: APIRequestContext, cardNumber: string, amountOre: number): Promise<{ status: string; reason?: string; balanceOre: number }> {
  const response = await request.post("/trpc/pos.sale", {
    headers: { authorization: `Bearer ${DEMO_KEY}`, "content-type": "application/json" },
    data: { saleId: `e2e-${crypto.randomUUID()}`, cardNumber, amountOre },
  });
  expect(response.status()).toBe(200);
  return (await response.json()).result.data;
}

/**
 * The newest mail to a recipient whose text (subject and body, as the development outbox page shows them) matches:
 * an older mail to the same address never counts. Some mails (the password-reset mail) are sent after the answer, so
 * the outbox is polled until a matching one appears.
 */
export async function lastMail(request: APIRequestContext, recipient: string, matches: string | RegExp): Promise<string> {
  const test = (text: string) => (typeof matches === "string" ? text.includes(matches) : matches.test(text));
  let found: string | undefined;
  await expect
    .poll(
      async () => {
        const html = await (await request.get("/dev/outbox")).text();
        found = html
          .split("<article>")
          .slice(1)
          .map((article) => article.replace(/&amp;/g, "&"))
          .find((article) => article.includes(`Til: ${recipient}`) && test(article));
        return found !== undefined;
      },
      { message: `a mail to ${recipient} matching ${String(matches)}`, timeout: 5_000 },
    )
    .toBe(true);
  return found!;
}
