// Playwright: real browser (Debian's /usr/bin/chromium, never a downloaded one) against the real server and built client.
import { defineConfig } from "@playwright/test";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.env.E2E_PORT ?? 3217);
export const baseURL = `http://127.0.0.1:${port}`;
// A fresh database per run, with demo data; the server is the one `npm start` runs.
// Workers load this file again: the path is handed down through the environment, so a spec (the till's ledger:check)
// can open the same file as the server.
const databasePath = process.env.E2E_DATABASE_PATH ?? join(tmpdir(), `kantinekort-e2e-${process.pid}-${Date.now()}.sqlite`);
process.env.E2E_DATABASE_PATH = databasePath;

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [["list"]],
  use: {
    baseURL,
    locale: "da-DK",
    timezoneId: "Europe/Copenhagen",
    trace: "off",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    { name: "desktop", use: { browserName: "chromium", viewport: { width: 1280, height: 800 } } },
  ],
  webServer: {
    command: "bun server/main.ts",
    cwd: "..",
    url: `${baseURL}/trpc/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: { PORT: String(port), HOST: "127.0.0.1", DATABASE_PATH: databasePath, SEED_DEMO: "true", NODE_ENV: "test" },
    stdout: "pipe",
    stderr: "pipe",
  },
});
