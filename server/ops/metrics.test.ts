// /metrics over real HTTP: a sale, a login, a payment and a live stream move their series; who may read the metrics.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { networkInterfaces } from "node:os";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { until } from "../testing/sse-client.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";
import { checkLedger } from "../ledger/check.ts";

const METRICS_TOKEN = "metrics-token-for-the-test-0001";
let server: TestServer;
let canteen: Fixture;

beforeAll(async () => {
  // 0.0.0.0, so that the metrics can also be asked for from this machine's network address (not a loopback peer).
  server = await startTestServer({ host: "0.0.0.0", metricsToken: METRICS_TOKEN });
  canteen = await createCanteen(server.services.store);
});
afterAll(async () => {
  await (server.services.acquirer as AcquirerSimulator).settle();
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

const local = () => `http://127.0.0.1:${server.server.port}`;

async function scrape(): Promise<string> {
  const response = await fetch(`${local()}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/plain");
  return response.text();
}

/** The value of one series (name with its labels exactly as printed), 0 when it is not there yet. */
function value(text: string, series: string): number {
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

async function sell(cardNumber: string, amountOre: number, saleId = `metrics-${crypto.randomUUID()}`) {
  const response = await fetch(`${local()}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

describe("series", () => {
  test("a sale counts once by status and reason, a replay counts as a replay, and the latency and writer histograms move", async () => {
    const card = await createCard(server.services.store, canteen, { balanceOre: 1_000 });
    const before = await scrape();
    const saleId = `metrics-${crypto.randomUUID()}`;
    expect((await sell(card.cardNumber, 400, saleId)).status).toBe("approved");
    expect((await sell(card.cardNumber, 400, saleId)).replayed).toBe(true);
    expect((await sell(card.cardNumber, 5_000)).reason).toBe("insufficient_funds");
    const after = await scrape();
    const approved = 'kantinekort_pos_sales_total{status="approved",reason=""}';
    const declined = 'kantinekort_pos_sales_total{status="declined",reason="insufficient_funds"}';
    expect(value(after, approved) - value(before, approved)).toBe(1);
    expect(value(after, declined) - value(before, declined)).toBe(1);
    expect(value(after, "kantinekort_pos_sale_replays_total") - value(before, "kantinekort_pos_sale_replays_total")).toBe(1);
    expect(value(after, "kantinekort_pos_sale_duration_seconds_count") - value(before, "kantinekort_pos_sale_duration_seconds_count")).toBe(3);
    // The sale and the decline were written (a replay writes nothing new but still passes the writer).
    expect(value(after, "kantinekort_writer_batch_size_sum") - value(before, "kantinekort_writer_batch_size_sum")).toBeGreaterThanOrEqual(2);
    expect(value(after, "kantinekort_writer_commit_seconds_count")).toBeGreaterThan(value(before, "kantinekort_writer_commit_seconds_count"));
    expect(after).toContain("# TYPE kantinekort_backup_age_seconds gauge");
  });

  test("logins count by outcome; a live stream is counted while it is open", async () => {
    const card = await createCard(server.services.store, canteen, { balanceOre: 500, code: "246810" });
    const client = new PortalClient(local());
    const before = await scrape();
    expect((await client.login(card.cardNumber, "000000")).data.ok).toBe(false);
    expect((await client.login(card.cardNumber, "246810")).data.ok).toBe(true);
    const afterLogin = await scrape();
    for (const outcome of ["failed", "succeeded"]) {
      const series = `kantinekort_logins_total{kind="cardholder",outcome="${outcome}"}`;
      expect(value(afterLogin, series) - value(before, series), outcome).toBe(1);
    }
    const streams = 'kantinekort_open_streams{kind="accounts.onBalance"}';
    const stream = openPortalStream(local(), client.cookie!, null);
    await until(stream.ready, "the stream's opening event");
    expect(value(await scrape(), streams)).toBe(1);
    stream.stop();
    await expect.poll(async () => value(await scrape(), streams), { timeout: 5_000 }).toBe(0);
  });

  test("a deposit paid on the simulator's page counts as captured, a declined card as declined", async () => {
    const card = await createCard(server.services.store, canteen, { code: "135790", name: "Betaler", email: "metrics@example.dk" });
    const client = new PortalClient(local());
    await client.login(card.cardNumber, "135790");
    const before = await scrape();
    for (const [cardNumber, key] of [["4571000000000001", "metrics-deposit-0001"], ["4000000000000002", "metrics-deposit-0002"]] as const) {
      const started = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 10000, receiptEmail: "metrics@example.dk", acceptedTerms: true, idempotencyKey: key });
      const paid = await fetch(`${local()}${started.data.redirectUrl}`, { method: "POST", body: new URLSearchParams({ action: "pay", cardNumber, expiry: "12/30", cvc: "123" }), redirect: "manual" });
      expect(paid.status).toBe(303);
    }
    await (server.services.acquirer as AcquirerSimulator).settle();
    const after = await scrape();
    for (const outcome of ["captured", "declined"]) {
      const series = `kantinekort_payments_total{purpose="deposit",outcome="${outcome}"}`;
      expect(value(after, series) - value(before, series), outcome).toBe(1);
    }
  });
});

describe("who may read /metrics", () => {
  test("this machine directly: yes; through a proxy on this machine (forwarding headers): only with the token", async () => {
    expect((await fetch(`${local()}/metrics`)).status).toBe(200);
    const proxied = await fetch(`${local()}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9" } });
    expect(proxied.status).toBe(401);
    expect(proxied.headers.get("www-authenticate")).toContain("Bearer");
    expect((await fetch(`${local()}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9", authorization: "Bearer wrong-token-of-the-same-size" } })).status).toBe(401);
    const allowed = await fetch(`${local()}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9", authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain("kantinekort_pos_sales_total");
  });

  test("another machine (a non-loopback peer): 401 without the token, 200 with it", async () => {
    const address = Object.values(networkInterfaces()).flat().find((entry) => entry && entry.family === "IPv4" && !entry.internal)?.address;
    // A machine without any network address cannot be reached from another one; the proxy case above still applies.
    if (!address) return;
    const remote = `http://${address}:${server.server.port}/metrics`;
    expect((await fetch(remote)).status).toBe(401);
    expect((await fetch(remote, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
  });

  test("without METRICS_TOKEN, /metrics does not exist beyond this machine (404)", async () => {
    const open = await startTestServer({ metricsToken: null });
    try {
      expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
      expect((await fetch(`${open.url}/metrics`, { headers: { "x-forwarded-for": "203.0.113.9" } })).status).toBe(404);
      expect((await fetch(`${open.url}/metrics`, { headers: { forwarded: "for=203.0.113.9" } })).status).toBe(404);
    } finally {
      await open.close();
    }
  });
});
