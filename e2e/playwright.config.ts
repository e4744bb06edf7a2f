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

// The portal behind Caddy over HTTPS (e2e/proxy.spec.ts): a second server on its own database, with the settings the
// README prescribes behind a proxy, and Caddy with deploy/Caddyfile unprivileged on high ports, its data under /tmp.
// The browser reaches Caddy over IPv6 loopback and Caddy the server over IPv4, so the two addresses differ.
export const proxy = {
  appPort: port + 100,
  httpsPort: port + 200,
  url: `https://[::1]:${port + 200}`,
  databasePath: process.env.E2E_PROXY_DATABASE_PATH ?? join(tmpdir(), `kantinekort-e2e-proxy-${process.pid}-${Date.now()}.sqlite`),
};
process.env.E2E_PROXY_DATABASE_PATH = proxy.databasePath;
const caddyHome = join(tmpdir(), `kantinekort-e2e-caddy-${proxy.httpsPort}`);

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
  webServer: [
    {
      command: "bun server/main.ts",
      cwd: "..",
      url: `${baseURL}/trpc/health`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: { PORT: String(port), HOST: "127.0.0.1", DATABASE_PATH: databasePath, SEED_DEMO: "true", NODE_ENV: "test" },
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: "bun server/main.ts",
      cwd: "..",
      url: `http://127.0.0.1:${proxy.appPort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        PORT: String(proxy.appPort),
        HOST: "127.0.0.1",
        DATABASE_PATH: proxy.databasePath,
        SEED_DEMO: "true",
        NODE_ENV: "test",
        PUBLIC_URL: proxy.url,
        TRUST_PROXY: "127.0.0.1",
      },
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      command: "caddy run --config deploy/Caddyfile --adapter caddyfile",
      cwd: "..",
      url: `${proxy.url}/healthz`,
      ignoreHTTPSErrors: true,
      reuseExistingServer: false,
      timeout: 60_000,
      env: {
        HOME: caddyHome,
        XDG_DATA_HOME: join(caddyHome, "data"),
        XDG_CONFIG_HOME: join(caddyHome, "config"),
        KANTINEKORT_SITE: proxy.url,
        KANTINEKORT_UPSTREAM: `127.0.0.1:${proxy.appPort}`,
        KANTINEKORT_TLS: "internal",
        CADDY_HTTPS_PORT: String(proxy.httpsPort),
        CADDY_HTTP_PORT: String(port + 300),
        CADDY_ADMIN: "off",
        CADDY_LOG_LEVEL: "ERROR",
      },
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
