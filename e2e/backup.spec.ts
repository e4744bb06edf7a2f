// The back office shows administrators the last backup: `npm run backup` against the running e2e server's database,
// then the Sikkerhedskopi tab names the checked copy; canteen staff have no such tab.
import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function staffSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/admin");
  await page.getByLabel("E-mail").fill(email);
  await page.getByLabel("Adgangskode").fill(password);
  await page.getByRole("button", { name: "Log på" }).click();
  await expect(page.getByRole("navigation", { name: "Administration" })).toBeVisible();
}

test("a backup made while the server runs is shown to administrators as completed and checked", async ({ page }) => {
  const directory = mkdtempSync(join(tmpdir(), "kantinekort-e2e-backup-"));
  try {
    const file = join(directory, `e2e-${Date.now()}.sqlite`);
    const output = execFileSync("bun", ["tools/cli.ts", "backup", file], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { ...process.env, DATABASE_PATH: process.env.E2E_DATABASE_PATH!, NODE_ENV: "test" },
      encoding: "utf8",
    });
    expect(output).toContain("quick_check ok, ledger:check OK");
    await staffSignIn(page, "admin@kantinekort.local", "Admin2026!");
    await page.getByRole("button", { name: "Sikkerhedskopi" }).click();
    await expect(page.getByRole("heading", { name: "Sikkerhedskopi", exact: true })).toBeVisible();
    await expect(page.getByText(/Planlagt sikkerhedskopi er slået fra/)).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Gennemført og kontrolleret" })).toBeVisible();
    await expect(page.getByText(file.split("/").pop()!)).toBeVisible();
    await expect(page.getByText("manuelt (npm run backup)")).toBeVisible();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("canteen staff do not see the backup tab", async ({ page }) => {
  await staffSignIn(page, "kantine@kantinekort.local", "Kantine2026!");
  await expect(page.getByRole("button", { name: "Kort", exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sikkerhedskopi" })).toHaveCount(0);
});
