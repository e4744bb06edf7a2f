// A staging site (production with ALLOW_TEST_PAYMENTS_IN_PRODUCTION) shows a TEST banner on every page; a normal site shows none.
import { expect, test } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

// The staging server listens next to the e2e server, in this run's own port range.
const stagingPort = Number(process.env.E2E_PORT ?? 3217) + 1;
const stagingUrl = `http://127.0.0.1:${stagingPort}`;
let staging: ChildProcess;
let directory: string;

test.beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "kantinekort-staging-"));
  staging = spawn("bun", ["server/main.ts"], {
    cwd: resolve(dirname(fileURLToPath(import.meta.url)), ".."),
    env: {
      ...process.env,
      NODE_ENV: "production",
      ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true",
      HOST: "127.0.0.1",
      PORT: String(stagingPort),
      DATABASE_PATH: join(directory, "staging.sqlite"),
      SEED_DEMO: "true",
      POS_DEMO_KEY: "staging-own-till-key-000001",
      KITCHEN_DEMO_TOKEN: "staging-own-screen-token-01",
      CPR_ENCRYPTION_KEY: "cd".repeat(32),
      ACQUIRER_SECRET: "staging-acquirer-secret-0001",
      BACKUP_SIGNING_KEY: "staging-backup-signing-key-00000000000001",
      PUBLIC_URL: stagingUrl,
    },
    stdio: "ignore",
  });
  await expect.poll(async () => (await fetch(`${stagingUrl}/trpc/health`).catch(() => null))?.status ?? 0, { timeout: 30_000 }).toBe(200);
});

test.afterAll(async () => {
  if (staging && staging.exitCode === null) {
    const exited = new Promise((done) => staging.once("exit", done));
    staging.kill("SIGTERM");
    await exited;
  }
  if (directory) rmSync(directory, { recursive: true, force: true });
});

test("every page of a staging site carries the TEST banner, in Danish and English", async ({ page }) => {
  for (const path of ["/log-ind", "/glemt-adgangskode", "/kitchen", "/admin"]) {
    await page.goto(`${stagingUrl}${path}`);
    await expect(page.getByRole("alert").filter({ hasText: "TESTSIDE" })).toBeVisible();
  }
  // Signed in, on the portal's own pages.
  await page.goto(`${stagingUrl}/log-ind`);
  await page.getByLabel("Brugernavn").fill("12345678901234");
  await page.getByLabel("Adgangskode", { exact: true }).fill("482913");
  await page.getByRole("button", { name: "Login" }).click();
  await expect(page).toHaveURL(/\/(konti|brugerinfo)$/);
  await expect(page.getByTestId("test-banner")).toContainText("ingen penge her er rigtige");
  await page.getByLabel("Sprog").selectOption("en");
  await expect(page.getByTestId("test-banner")).toContainText("no money here is real");
});

test("a site without the opt-in shows no banner", async ({ page }) => {
  await page.goto("/log-ind");
  await expect(page.getByRole("heading", { name: "Log på med bruger" })).toBeVisible();
  await expect(page.getByTestId("test-banner")).toHaveCount(0);
});
