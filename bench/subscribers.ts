// Live-balance benchmark: N cardholders subscribed to accounts.onBalance while tills sell; push latency and the most streams held.
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { sseClient } from "../server/testing/sse-client.ts";
import { openStore } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { hashApiKey } from "../server/auth/terminal.ts";
import { createSession, generateSessionToken } from "../server/auth/session.ts";
import { openAccount, postTransfer, systemAccount } from "../server/ledger/ledger.ts";
import { freePort, percentile, productionEnv, startProcess, stopProcess } from "../tools/processes.ts";

const KEY = "bench-subscriber-terminal-key-01";
const SALE_SECONDS = Number(process.env.BENCH_SUBSCRIBER_SECONDS ?? 5);
// Doubling from 1,000 (plus 10,000, issue 16's goal) until a step cannot connect every stream; 16,000 stays under the
// 20,000 open files a process may have here (the server holds one socket per subscriber, this process another).
const STEPS = (process.env.BENCH_SUBSCRIBER_STEPS ?? "1000,2000,4000,8000,10000,16000").split(",").map(Number);

async function prepare(path: string, count: number): Promise<Array<{ cardNumber: string; cookie: string }>> {
  await migrateToLatest(path);
  const store = openStore({ path, synchronous: "NORMAL" });
  const users = await store.write((tx) => {
    const tenantId = Number(tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES ('Bench', 0)").run().lastInsertRowid);
    const revenue = openAccount(tx, { kind: "canteen_revenue", name: "Bench revenue" });
    const canteenId = Number(tx.sqlite.query("INSERT INTO canteens (tenant_id, name, revenue_account_id, created_at) VALUES (?, 'Kantinen', ?, 0)").run(tenantId, revenue).lastInsertRowid);
    tx.sqlite.query("INSERT INTO terminals (canteen_id, name, api_key_hash, created_at) VALUES (?, 'Kasse', ?, 0)").run(canteenId, hashApiKey(KEY));
    const clearing = systemAccount(tx, "acquirer_clearing");
    return Array.from({ length: count }, (_, index) => {
      const userId = Number(tx.sqlite.query("INSERT INTO users (tenant_id, role, name, email, created_at) VALUES (?, 'cardholder', 'B', 'b@example.dk', 0)").run(tenantId).lastInsertRowid);
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId });
      const cardNumber = `9${String(index).padStart(13, "0")}`;
      tx.sqlite.query("INSERT INTO cards (card_number, user_id, account_id, verification_code_hash, status, created_at) VALUES (?, ?, ?, 'x', 'active', 0)").run(cardNumber, userId, accountId);
      postTransfer(tx, { id: `fund:${index}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: 100_000_000, kind: "deposit" });
      const token = generateSessionToken();
      createSession(tx, token, userId);
      return { cardNumber, cookie: `kk_session=${token}` };
    });
  });
  await store.close();
  return users;
}

interface StepResult {
  subscribers: number;
  connected: number;
  connectSeconds: number;
  sales: number;
  tillErrors: number;
  events: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's own event-loop delay during the selling (ms): it receives every event, so its stalls are in the latency. */
  clientLoopP99Ms: number;
  clientLoopMaxMs: number;
}

async function step(workDirectory: string, count: number): Promise<StepResult> {
  const path = join(workDirectory, `subscribers-${count}.sqlite`);
  const users = await prepare(path, count);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // BENCH_CPU_PROFILE=<dir>, as for the sale runs: the server runs under `bun --cpu-prof-md` and leaves its profile there.
  const profileDir = process.env.BENCH_CPU_PROFILE;
  const profile = profileDir ? ["--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=subscribers-${count}.md`] : [];
  const server = await startProcess([process.execPath, ...profile, "server/main.ts"], { ...productionEnv, PORT: String(port), DATABASE_PATH: path }, `${url}/trpc/health`);
  const latencies: number[] = [];
  const subscriptions: Array<{ unsubscribe(): void }> = [];
  let connected = 0;
  try {
    // Tabs open in waves of 250 (each wave waits, up to 10 s, for its streams' position events), as people open the
    // portal over time: thousands of connections in the same millisecond only measure the kernel's listen backlog.
    const connectStart = performance.now();
    for (const [index, user] of users.entries()) {
      if (index > 0 && index % 250 === 0) for (let wait = 0; wait < 400 && connected < index; wait += 1) await Bun.sleep(25);
      const client = sseClient(url, user.cookie);
      // A stream that reconnects gets another position event: count each stream once.
      let positioned = false;
      subscriptions.push(
        client.accounts.onBalance.subscribe(undefined, {
          // A stream counts as connected at its opening position event, not when the HTTP response starts: only from
          // then on has the server fixed where the stream begins, so every later sale must reach it.
          onData: (envelope) => {
            if (envelope.data.type === "position") {
              if (!positioned) connected += 1;
              positioned = true;
            }
            // createdAt is the commit time on the server's clock: the same machine's clock as ours.
            else if (envelope.data.type === "balance") latencies.push(Date.now() - envelope.data.createdAt);
          },
        }),
      );
    }
    // The last wave gets 10 s too; a step that cannot connect them all is not held.
    for (let wait = 0; wait < 400 && connected < count; wait += 1) await Bun.sleep(25);
    const connectSeconds = (performance.now() - connectStart) / 1000;
    let sales = 0;
    let attempts = 0;
    let tillErrors = 0;
    const deadline = performance.now() + SALE_SECONDS * 1000;
    const clientLoop = monitorEventLoopDelay({ resolution: 1 });
    clientLoop.enable();
    // 16 tills selling to random subscribed cardholders, each sale pushed to its owner's stream.
    await Promise.all(
      Array.from({ length: 16 }, async (_, till) => {
        while (performance.now() < deadline) {
          const user = users[Math.floor(Math.random() * users.length)]!;
          // A till that gets no answer (the connection dropped) counts as an error: the step is then not held.
          const answer = await fetch(`${url}/trpc/pos.sale`, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
            body: JSON.stringify({ saleId: `sub-${till}-${++attempts}-x`, cardNumber: user.cardNumber, amountOre: 100 }),
          })
            .then((response) => response.json() as Promise<{ result?: { data?: { status?: string } } }>)
            .catch(() => null);
          // Only approved sales move a balance, so only they must reach a stream.
          if (answer?.result?.data?.status === "approved") sales += 1;
          else if (answer === null) tillErrors += 1;
        }
      }),
    );
    clientLoop.disable();
    // Completeness, not latency, decides "every sale pushed": wait up to 5 s for the last events (latency is measured above).
    for (let wait = 0; wait < 200 && latencies.length < sales; wait += 1) await Bun.sleep(25);
    latencies.sort((a, b) => a - b);
    return {
      subscribers: count,
      connected,
      connectSeconds,
      sales,
      tillErrors,
      events: latencies.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      clientLoopP99Ms: clientLoop.percentile(99) / 1e6,
      clientLoopMaxMs: clientLoop.max / 1e6,
    };
  } finally {
    for (const subscription of subscriptions) subscription.unsubscribe();
    await stopProcess(server);
  }
}

export async function runSubscriberBench(workDirectory: string): Promise<void> {
  console.log(`\nLive balance: accounts.onBalance subscribers while 16 tills sell for ${SALE_SECONDS} s (push latency = commit → event received).`);
  console.log("  subscribers  connected  connect s  sales  till errors  events  p50 ms  p99 ms  every sale pushed  bench loop p99/max ms");
  let held = 0;
  for (const count of STEPS) {
    const result = await step(workDirectory, count);
    console.log(
      `  ${String(result.subscribers).padStart(11)}  ${String(result.connected).padStart(9)}  ${result.connectSeconds.toFixed(1).padStart(9)}  ${String(result.sales).padStart(5)}  ${String(result.tillErrors).padStart(11)}  ${String(result.events).padStart(6)}  ${String(result.p50Ms).padStart(6)}  ${String(result.p99Ms).padStart(6)}  ${(result.events === result.sales ? "yes" : `NO (${result.sales - result.events} missing)`).padEnd(17)}  ${result.clientLoopP99Ms.toFixed(1)} / ${result.clientLoopMaxMs.toFixed(1)}`,
    );
    // Held: every stream connected, every till answered, every approved sale pushed.
    if (result.connected === count && result.tillErrors === 0 && result.events >= result.sales) held = count;
    else break;
  }
  console.log(`  largest subscriber count held (every stream connected, every till answered, every sale pushed): ${held}`);
  console.log("  (bench loop: this process's own event-loop delay while the tills sold; it receives every event, so a stall of its own is part of the push latency above)");
}
