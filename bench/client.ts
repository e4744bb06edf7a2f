// `npm run bench:client`: the portal on a phone's connection: Log på → Konti in Chromium under network and CPU throttling; prints bytes, times, long tasks.
//
// The built client (CLIENT_DIST, default ./client/dist) is served by the real server on a fresh demo database. Chromium
// (Debian's /usr/bin/chromium) gets the DevTools protocol's throttling: 1.6 Mbit/s down, 750 kbit/s up, 150 ms round
// trip, CPU 4× slower. Two walks, each with an empty cache, BENCH_CLIENT_RUNS times (median printed):
//   sign-in   /log-ind, the form shown, Login, the first balance on Konti (what a new parent does);
//   return    /konti with a session cookie already there, to the first balance (a parent opening the saved home-screen app).
// For each: JavaScript bytes on the wire (compressed, as transferred) and decoded before the first balance showed, all
// bytes, requests, the time to the first balance, and long tasks (> 50 ms on the main thread). Asserts nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type CDPSession, type Page } from "@playwright/test";
import { children, freePort, startProcess, stopProcess } from "../tools/processes.ts";

const RUNS = Number(process.env.BENCH_CLIENT_RUNS ?? 3);
const CLIENT_DIST = resolve(process.env.CLIENT_DIST ?? "./client/dist");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The issue's phone: 1.6 Mbit/s down, 150 ms round trip (DevTools' "Fast 3G" uplink), and a CPU four times slower. */
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const CPU_SLOWDOWN = 4;
const CARD = { number: "12345678901234", code: "482913" };

interface Resource {
  url: string;
  type: string;
  encoding: string;
  encodedBytes: number;
  decodedBytes: number;
  finished: boolean;
}

/** Every response of the page through the DevTools protocol: its type, Content-Encoding, bytes on the wire and decoded. */
async function watchNetwork(session: CDPSession): Promise<Map<string, Resource>> {
  const resources = new Map<string, Resource>();
  session.on("Network.responseReceived", (event) => {
    const headers = Object.fromEntries(Object.entries(event.response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
    resources.set(event.requestId, { url: event.response.url, type: event.type ?? "Other", encoding: headers["content-encoding"] ?? "identity", encodedBytes: 0, decodedBytes: 0, finished: false });
  });
  session.on("Network.dataReceived", (event) => {
    const resource = resources.get(event.requestId);
    if (resource) resource.decodedBytes += event.dataLength;
  });
  session.on("Network.loadingFinished", (event) => {
    const resource = resources.get(event.requestId);
    if (resource) Object.assign(resource, { encodedBytes: event.encodedDataLength, finished: true });
  });
  await session.send("Network.enable");
  await session.send("Network.emulateNetworkConditions", NETWORK);
  await session.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  return resources;
}

/** Long tasks as the page itself sees them (PerformanceObserver), from the first script on. */
const LONG_TASKS = `
  window.__longTasks = [];
  new PerformanceObserver((list) => { for (const entry of list.getEntries()) window.__longTasks.push(entry.duration); }).observe({ type: "longtask", buffered: true });
`;

interface Figures {
  msToBalance: number;
  jsWireBytes: number;
  jsDecodedBytes: number;
  jsFiles: number;
  allWireBytes: number;
  requests: number;
  longTasks: number;
  longTaskMs: number;
  encodings: string;
}

function summarise(resources: Map<string, Resource>, msToBalance: number, longTasks: number[]): Figures {
  const all = [...resources.values()];
  const scripts = all.filter((resource) => resource.type === "Script");
  return {
    msToBalance,
    jsWireBytes: scripts.reduce((sum, resource) => sum + resource.encodedBytes, 0),
    jsDecodedBytes: scripts.reduce((sum, resource) => sum + resource.decodedBytes, 0),
    jsFiles: scripts.length,
    allWireBytes: all.reduce((sum, resource) => sum + resource.encodedBytes, 0),
    requests: all.length,
    longTasks: longTasks.length,
    longTaskMs: Math.round(longTasks.reduce((sum, duration) => sum + duration, 0)),
    encodings: [...new Set(scripts.map((resource) => resource.encoding))].join("/") || "-",
  };
}

const firstBalance = (page: Page) => page.getByLabel(/^Saldo /).first().waitFor({ state: "visible", timeout: 120_000 });

async function throttledPage(context: BrowserContext): Promise<{ page: Page; resources: Map<string, Resource> }> {
  const page = await context.newPage();
  await page.addInitScript(LONG_TASKS);
  const session = await context.newCDPSession(page);
  return { page, resources: await watchNetwork(session) };
}

async function longTasksOf(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
}

/** Log på → Konti from an empty cache: the clock runs from the navigation to the first balance shown. */
async function signInWalk(context: BrowserContext, url: string): Promise<Figures> {
  const { page, resources } = await throttledPage(context);
  const started = performance.now();
  await page.goto(`${url}/log-ind`, { waitUntil: "commit" });
  await page.getByLabel("Brugernavn").fill(CARD.number);
  await page.getByLabel("Adgangskode", { exact: true }).fill(CARD.code);
  await page.getByRole("button", { name: "Login" }).click();
  await firstBalance(page);
  const elapsed = performance.now() - started;
  // What arrived before the balance showed (a request still under way is counted with what it had so far).
  const figures = summarise(resources, elapsed, await longTasksOf(page));
  await page.close();
  return figures;
}

/** A signed-in parent opens /konti (the home-screen start address) with an empty cache: navigation to first balance. */
async function returnWalk(context: BrowserContext, url: string, cookie: { name: string; value: string }): Promise<Figures> {
  await context.addCookies([{ name: cookie.name, value: cookie.value, url }]);
  const { page, resources } = await throttledPage(context);
  const started = performance.now();
  await page.goto(`${url}/konti`, { waitUntil: "commit" });
  await firstBalance(page);
  const elapsed = performance.now() - started;
  const figures = summarise(resources, elapsed, await longTasksOf(page));
  await page.close();
  return figures;
}

/** A session cookie for the demo card, by the portal's own sign-in over HTTP. */
async function sessionCookie(url: string): Promise<{ name: string; value: string }> {
  const response = await fetch(`${url}/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", origin: url },
    body: JSON.stringify({ cardNumber: CARD.number, password: CARD.code }),
  });
  const setCookie = response.headers.get("set-cookie") ?? "";
  const match = /^([^=;]+)=([^;]+)/.exec(setCookie);
  if (!response.ok || !match) throw new Error(`sign-in for the return walk failed: ${response.status} ${await response.text()}`);
  return { name: match[1]!, value: match[2]! };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

function report(name: string, runs: Figures[]): void {
  const pick = (key: keyof Figures) => median(runs.map((run) => run[key] as number));
  console.log(
    `${name.padEnd(8)} first balance ${String(Math.round(pick("msToBalance"))).padStart(5)} ms (runs: ${runs.map((run) => Math.round(run.msToBalance)).join(", ")})` +
      ` · JS ${kb(pick("jsWireBytes"))} on the wire (${runs[0]!.encodings}), ${kb(pick("jsDecodedBytes"))} decoded, ${pick("jsFiles")} files` +
      ` · all ${kb(pick("allWireBytes"))} in ${pick("requests")} requests · long tasks ${pick("longTasks")} (${pick("longTaskMs")} ms)`,
  );
}

async function main(): Promise<void> {
  const workDirectory = mkdtempSync(join(tmpdir(), "kantinekort-bench-client-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startProcess(
    [process.execPath, "server/main.ts"],
    { NODE_ENV: "test", SEED_DEMO: "true", HOST: "127.0.0.1", PORT: String(port), DATABASE_PATH: join(workDirectory, "bench-client.sqlite"), CLIENT_DIST, LOG_LEVEL: "warn" },
    `${url}/healthz`,
  );
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    console.log(`client bench: ${CLIENT_DIST}, ${RUNS} runs per walk, network ${NETWORK.latency} ms RTT / ${((NETWORK.downloadThroughput * 8) / 1024 / 1024).toFixed(1)} Mbit/s, CPU ${CPU_SLOWDOWN}× slower`);
    const viewport = { width: 390, height: 844 };
    const signIn: Figures[] = [];
    const returning: Figures[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      // A new context per walk: an empty HTTP cache, as on a phone's first visit or after a new release.
      const first = await browser.newContext({ viewport, locale: "da-DK", isMobile: true, hasTouch: true });
      signIn.push(await signInWalk(first, url));
      await first.close();
      const again = await browser.newContext({ viewport, locale: "da-DK", isMobile: true, hasTouch: true });
      // A fresh session each time: sign-ins beyond a user's session quota end the oldest ones.
      returning.push(await returnWalk(again, url, await sessionCookie(url)));
      await again.close();
    }
    report("sign-in", signIn);
    report("return", returning);
  } finally {
    await browser.close();
    await stopProcess(server);
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

try {
  await main();
} finally {
  for (const child of children) child.kill("SIGKILL");
}
