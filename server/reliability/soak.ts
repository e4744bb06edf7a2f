// Soak: mixed load (sales, card deposits through the simulator, webshop checkouts) with many live subscribers that come and go,
// sampling the server's memory and open connections every 10 s. `bun server/reliability/soak.ts [--seconds 600] [--subscribers 1000]`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sseClient } from "../testing/sse-client.ts";
import { openStore } from "../../db/connect.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { db } from "../../db/query.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { createSession, generateSessionToken } from "../auth/session.ts";
import { checkLedger } from "../ledger/check.ts";
import { openAccount, postTransfer, systemAccount } from "../ledger/ledger.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";
import { signPayload, SIGNATURE_HEADER } from "../acquirer/signature.ts";
import { freePort, productionEnv, waitForHttp } from "../../tools/processes.ts";

// Bun's fetch allows 256 connections per process by default; 1,000 open streams plus the load need more.
if (!process.env.BUN_CONFIG_MAX_HTTP_REQUESTS) {
  const child = Bun.spawn([process.execPath, ...process.argv.slice(1)], { env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: "8192" }, stdout: "inherit", stderr: "inherit" });
  process.exit(await child.exited);
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}
const SECONDS = argument("--seconds", 600);
const SUBSCRIBERS = argument("--subscribers", 1000);
const SAMPLE_MS = Math.min(10_000, Math.max(2_000, (SECONDS * 1000) / 6));
const KEY = "soak-terminal-key-0000000000001";
const directory = mkdtempSync(join(tmpdir(), "kantinekort-soak-"));
const path = join(directory, "soak.sqlite");
const day = addDays(copenhagenDate(Date.now()), 1);

async function prepare() {
  await migrateToLatest(path);
  const store = openStore({ path, synchronous: "NORMAL" });
  const fixture = await store.write((tx) => {
    const now = Date.now();
    const tenantId = tx.run(db.insertInto("tenants").values({ name: "Soak", created_at: 0 })).lastInsertRowid;
    const revenue = openAccount(tx, { kind: "canteen_revenue", name: "Soak revenue" });
    const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name: "Kantinen", revenue_account_id: revenue, created_at: 0 })).lastInsertRowid;
    tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: "Kasse", api_key_hash: hashApiKey(KEY), created_at: 0 }));
    const productId = tx.run(
      db.insertInto("products").values({ canteen_id: canteenId, name: "Dagens ret", category: "Dagens ret", price_ore: 3500, created_at: 0 }),
    ).lastInsertRowid;
    tx.run(db.insertInto("menu_items").values({ canteen_id: canteenId, delivery_day: day, product_id: productId }));
    const clearing = systemAccount(tx, "acquirer_clearing");
    const users = Array.from({ length: SUBSCRIBERS }, (_, index) => {
      const userId = tx.run(
        db.insertInto("users").values({ tenant_id: tenantId, role: "cardholder", name: `Bruger ${index}`, email: `s${index}@example.dk`, created_at: 0 }),
      ).lastInsertRowid;
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId });
      const cardNumber = `8${String(index).padStart(13, "0")}`;
      tx.run(db.insertInto("cards").values({ card_number: cardNumber, user_id: userId, account_id: accountId, verification_code_hash: "x", status: "active", created_at: 0 }));
      postTransfer(tx, { id: `fund:${index}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: 100_000_000, kind: "deposit" });
      const token = generateSessionToken();
      createSession(tx, token, userId, now);
      return { userId, accountId, cardNumber, cookie: `kk_session=${token}` };
    });
    return { canteenId, productId, users };
  });
  await store.close();
  return fixture;
}

function rssKilobytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Established TCP connections to the server's port, read from /proc (IPv4 and IPv6). */
function openConnections(port: number): number {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 3 && fields[1]!.endsWith(`:${hexPort}`) && fields[3] === "01") count += 1;
    }
  }
  return count;
}

const fixture = await prepare();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const SECRET = "soak-acquirer-secret-000000001";
const server = Bun.spawn([process.execPath, "server/main.ts"], {
  env: { ...process.env, ...productionEnv, ACQUIRER_SECRET: SECRET, PORT: String(port), DATABASE_PATH: path, PUBLIC_URL: base },
  stdout: "ignore",
  stderr: "inherit",
});
const counters = { sales: 0, deposits: 0, checkouts: 0, events: 0, errors: 0 };
const live = new Map<number, { unsubscribe(): void }>();

function subscribe(index: number) {
  const user = fixture.users[index]!;
  const client = sseClient(base, user.cookie);
  live.set(index, client.accounts.onBalance.subscribe(undefined, { onData: () => (counters.events += 1), onError: () => (counters.errors += 1) }));
}

function unsubscribe(index: number) {
  live.get(index)?.unsubscribe();
  live.delete(index);
}

try {
  await waitForHttp(`${base}/trpc/health`);
  const baselineConnections = openConnections(port);
  console.log(`Soak: ${SECONDS} s, ${SUBSCRIBERS} subscribers (a tenth reconnecting every sample), sales + deposits + checkouts; sampling every ${SAMPLE_MS / 1000} s.`);
  for (let index = 0; index < SUBSCRIBERS; index += 1) subscribe(index);
  const deadline = Date.now() + SECONDS * 1000;
  let round = 0;
  const workers = [
    // Tills: sales on random cards.
    ...Array.from({ length: 8 }, async (_, till) => {
      while (Date.now() < deadline) {
        const user = fixture.users[Math.floor(Math.random() * fixture.users.length)]!;
        const response = await fetch(`${base}/trpc/pos.sale`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ saleId: `soak-${till}-${++round}-x`, cardNumber: user.cardNumber, amountOre: 100 }),
        }).catch(() => null);
        if (response?.ok) counters.sales += 1;
        else counters.errors += 1;
        await response?.arrayBuffer();
      }
    }),
    // Deposits through the acquirer path: start a payment, then deliver the acquirer's signed callback.
    (async () => {
      while (Date.now() < deadline) {
        const user = fixture.users[Math.floor(Math.random() * fixture.users.length)]!;
        const started = await fetch(`${base}/trpc/payments.startDeposit`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", cookie: user.cookie },
          body: JSON.stringify({ accountId: user.accountId, amountOre: 10000, receiptEmail: `d${user.userId}@example.dk`, acceptedTerms: true, idempotencyKey: crypto.randomUUID() }),
        }).then((response) => response.json() as Promise<any>);
        const paymentId = started.result?.data?.paymentId;
        if (!paymentId) {
          counters.errors += 1;
          continue;
        }
        const raw = JSON.stringify({ paymentId, amountOre: 10_000, status: "captured" });
        const callback = await fetch(`${base}/payments/callback`, { method: "POST", headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signPayload(SECRET, raw) }, body: raw });
        if (callback.ok) counters.deposits += 1;
        else counters.errors += 1;
        await Bun.sleep(20);
      }
    })(),
    // Webshop checkouts.
    (async () => {
      while (Date.now() < deadline) {
        const user = fixture.users[Math.floor(Math.random() * fixture.users.length)]!;
        const response = await fetch(`${base}/trpc/webshop.checkout`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", cookie: user.cookie },
          body: JSON.stringify({ accountId: user.accountId, canteenId: fixture.canteenId, deliveryDay: day, lines: [{ productId: fixture.productId, quantity: 1 }], idempotencyKey: crypto.randomUUID() }),
        }).then((answer) => answer.json() as Promise<any>);
        if (response.result?.data?.ok) counters.checkouts += 1;
        else counters.errors += 1;
        await Bun.sleep(20);
      }
    })(),
  ];
  console.log("t(s)   RSS(MB)  connections  subscribers  sales  deposits  checkouts  events  errors");
  const started = Date.now();
  const series: Array<{ rss: number; connections: number }> = [];
  while (Date.now() < deadline) {
    await Bun.sleep(Math.min(SAMPLE_MS, Math.max(0, deadline - Date.now())));
    // A tenth of the subscribers go away and come back, like closed and reopened tabs.
    const churn = Math.floor(SUBSCRIBERS / 10);
    for (let index = 0; index < churn; index += 1) {
      const victim = Math.floor(Math.random() * SUBSCRIBERS);
      unsubscribe(victim);
      subscribe(victim);
    }
    const sample = { rss: rssKilobytes(server.pid) / 1024, connections: openConnections(port) };
    series.push(sample);
    console.log(
      `${String(Math.round((Date.now() - started) / 1000)).padStart(4)}  ${sample.rss.toFixed(1).padStart(8)}  ${String(sample.connections).padStart(11)}  ${String(live.size).padStart(11)}  ${String(counters.sales).padStart(5)}  ${String(counters.deposits).padStart(8)}  ${String(counters.checkouts).padStart(9)}  ${String(counters.events).padStart(6)}  ${String(counters.errors).padStart(6)}`,
    );
  }
  await Promise.all(workers);
  for (const index of [...live.keys()]) unsubscribe(index);
  await Bun.sleep(2_000);
  const after = openConnections(port);
  const first = series[0]!;
  const last = series.at(-1)!;
  console.log(`\nMemory: first sample ${first.rss.toFixed(1)} MB, last ${last.rss.toFixed(1)} MB (${(((last.rss - first.rss) / first.rss) * 100).toFixed(1)} %).`);
  console.log(`Connections: ${baselineConnections} before, ${last.connections} under load, ${after} two seconds after every subscriber left.`);
  const store = openStore({ path });
  const check = store.read((tx) => checkLedger(tx));
  await store.close();
  console.log(`ledger:check ${check.ok ? "OK" : `BROKEN: ${check.violations.join("; ")}`}`);
  // Flat memory: the median of the last third of the samples may not exceed the first third's by more than a quarter.
  // Medians, not single samples, because the garbage collector makes single readings jump by tens of megabytes.
  const third = Math.max(1, Math.floor(series.length / 3));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const earlyMb = median(series.slice(0, third).map((sample) => sample.rss));
  const lateMb = median(series.slice(-third).map((sample) => sample.rss));
  const memoryFlat = lateMb <= earlyMb * 1.25;
  const streamsClosed = after <= baselineConnections + 2;
  console.log(`Memory median, first third ${earlyMb.toFixed(1)} MB, last third ${lateMb.toFixed(1)} MB: ${memoryFlat ? "flat" : "GROWING"}.`);
  console.log(`SSE streams after the clients left: ${streamsClosed ? "all closed" : "LEAKED"}.`);
  process.exitCode = check.ok && streamsClosed && memoryFlat ? 0 : 1;
} finally {
  for (const subscription of live.values()) subscription.unsubscribe();
  server.kill("SIGTERM");
  await server.exited;
  rmSync(directory, { recursive: true, force: true });
}
