// Webshop benchmark: 20 kitchen screens subscribed while 200 cardholders check out concurrently; checkouts/s and order-to-screen latency.
import { join } from "node:path";
import { sseClient } from "../server/testing/sse-client.ts";
import { openStore } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { hashApiKey } from "../server/auth/terminal.ts";
import { createSession, generateSessionToken } from "../server/auth/session.ts";
import { openAccount, postTransfer, systemAccount } from "../server/ledger/ledger.ts";
import { addDays, copenhagenDate } from "../common/calendar.ts";
import { checkLedger } from "../server/ledger/check.ts";
import { freePort, percentile, productionEnv, startProcess, stopProcess } from "../tools/processes.ts";

const CARDHOLDERS = Number(process.env.BENCH_CARDHOLDERS ?? 200);
const SCREENS = Number(process.env.BENCH_SCREENS ?? 20);
const SECONDS = Number(process.env.BENCH_WEBSHOP_SECONDS ?? 5);
/** One token per screen: a screen token opens at most MAX_STREAMS_PER_SCREEN streams (server/events/stream-limits.ts). */
const screenToken = (screen: number) => `bench-kitchen-screen-token-${String(screen).padStart(4, "0")}`;

interface Prepared {
  path: string;
  canteenId: number;
  productIds: number[];
  day: string;
  cardholders: Array<{ accountId: number; cookie: string }>;
}

/** A canteen with an unlimited menu tomorrow, a screen token per screen, and cardholders with sessions made directly. */
async function prepare(workDirectory: string): Promise<Prepared> {
  const path = join(workDirectory, "webshop.sqlite");
  await migrateToLatest(path);
  const store = openStore({ path, synchronous: "NORMAL" });
  const day = addDays(copenhagenDate(Date.now()), 1);
  const prepared = await store.write((tx) => {
    const now = Date.now();
    const tenantId = Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES ('Bench', 0)").run().lastInsertRowid);
    const revenue = openAccount(tx, { kind: "canteen_revenue", name: "Bench revenue" });
    const canteenId = Number(tx.sqlite.query("INSERT INTO canteens (tenant_id, name, revenue_account_id, created_at) VALUES (?, 'Kantinen', ?, 0)").run(tenantId, revenue).lastInsertRowid);
    for (let screen = 0; screen < SCREENS; screen += 1) {
      tx.sqlite.query("INSERT INTO kitchen_screens (canteen_id, name, token_hash, created_at) VALUES (?, 'Bench', ?, 0)").run(canteenId, hashApiKey(screenToken(screen)));
    }
    const productIds = ["Dagens ret", "Frugt", "Mælk"].map((name, index) =>
      Number(tx.sqlite.query("INSERT INTO products (canteen_id, name, category, price_ore, created_at) VALUES (?, ?, 'Bench', ?, 0)").run(canteenId, name, 1_000 + index * 100).lastInsertRowid),
    );
    for (const productId of productIds) tx.sqlite.query("INSERT INTO menu_items (canteen_id, delivery_day, product_id) VALUES (?, ?, ?)").run(canteenId, day, productId);
    const clearing = systemAccount(tx, "acquirer_clearing");
    const cardholders = Array.from({ length: CARDHOLDERS }, (_, index) => {
      const userId = Number(tx.sqlite.query("INSERT INTO users (tenant_id, role, name, email, created_at) VALUES (?, 'cardholder', ?, ?, 0)").run(tenantId, `Bruger ${index}`, `b${index}@example.dk`).lastInsertRowid);
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId });
      tx.sqlite.query("INSERT INTO cards (card_number, user_id, account_id, verification_code_hash, status, created_at) VALUES (?, ?, ?, 'x', 'active', 0)").run(`6${String(index).padStart(13, "0")}`, userId, accountId);
      postTransfer(tx, { id: `fund:${index}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: 100_000_000, kind: "deposit" });
      const token = generateSessionToken();
      createSession(tx, token, userId, now);
      return { accountId, cookie: `kk_session=${token}` };
    });
    return { canteenId, productIds, cardholders };
  });
  await store.close();
  return { path, day, ...prepared };
}

export async function runWebshopBench(workDirectory: string): Promise<void> {
  console.log(`\nWebshop: ${SCREENS} kitchen screens subscribed while ${CARDHOLDERS} cardholders check out concurrently for ${SECONDS} s.`);
  const prepared = await prepare(workDirectory);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await startProcess([process.execPath, "server/main.ts"], { ...productionEnv, PORT: String(port), DATABASE_PATH: prepared.path }, `${url}/trpc/health`);
  const latencies: number[] = [];
  const subscriptions: Array<{ unsubscribe(): void }> = [];
  let started = 0;
  try {
    for (let screen = 0; screen < SCREENS; screen += 1) {
      const client = sseClient(url, `kk_kitchen=${encodeURIComponent(screenToken(screen))}`);
      subscriptions.push(
        client.kitchen.onQueue.subscribe(
          { deliveryDay: prepared.day },
          {
            onStarted: () => (started += 1),
            // createdAt is the commit time on the server's clock, the same machine's clock as ours.
            onData: (envelope) => latencies.push(Date.now() - envelope.data.order.createdAt),
          },
        ),
      );
    }
    for (let wait = 0; wait < 200 && started < SCREENS; wait += 1) await Bun.sleep(25);
    const deadline = performance.now() + SECONDS * 1000;
    let checkouts = 0;
    let failures = 0;
    const begin = performance.now();
    await Promise.all(
      prepared.cardholders.map(async (cardholder, index) => {
        let round = 0;
        while (performance.now() < deadline) {
          round += 1;
          const response = await fetch(`${url}/trpc/webshop.checkout`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-kantinekort-csrf": "1", cookie: cardholder.cookie },
            body: JSON.stringify({
              accountId: cardholder.accountId,
              canteenId: prepared.canteenId,
              deliveryDay: prepared.day,
              lines: [{ productId: prepared.productIds[index % prepared.productIds.length], quantity: 1, comment: "bench" }],
              idempotencyKey: `bench-${index}-${round}-x`,
            }),
          });
          const body = (await response.json()) as { result?: { data?: { ok?: boolean } } };
          if (body.result?.data?.ok) checkouts += 1;
          else failures += 1;
        }
      }),
    );
    const seconds = (performance.now() - begin) / 1000;
    await Bun.sleep(300);
    latencies.sort((a, b) => a - b);
    console.log(`  screens connected: ${started}/${SCREENS}`);
    console.log(`  checkouts: ${checkouts} ok, ${failures} failed, ${(checkouts / seconds).toFixed(0)} checkouts/s`);
    console.log(`  order → screen latency over ${latencies.length} deliveries (expected ${checkouts * SCREENS}): p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms`);
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await stopProcess(server);
  }
  const store = openStore({ path: prepared.path });
  const check = store.read((tx) => checkLedger(tx));
  await store.close();
  if (!check.ok) throw new Error(`ledger check failed after the webshop run: ${check.violations.join("; ")}`);
  console.log("  ledger:check after the webshop run: OK");
}
