// Safe by default (issue 10, points 1 and 2): production refuses the simulator and demo money without a staging opt-in;
// development listens locally, shows its outbox to this machine only, never builds links from a Host header, and signs
// acquirer callbacks with a secret that is not in the source.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createHttpHandler } from "./http.ts";
import { loadConfig } from "./config.ts";
import { createCanteen, createCard, lastMailTo, PortalClient, startTestServer, type TestServer } from "./testing/harness.ts";
import { rawHttp } from "./testing/raw-http.ts";
import { resetMailsSettled } from "./routers/auth.ts";
import { SIGNATURE_HEADER, signPayload } from "./acquirer/signature.ts";
import { tempDatabasePath } from "./testing/harness.ts";

/** Everything a production server needs except the acquirer decision. */
const productionSecrets = {
  NODE_ENV: "production",
  HOST: "127.0.0.1",
  PORT: "0",
  SEED_DEMO: "false",
  CPR_ENCRYPTION_KEY: "ab".repeat(32),
  ACQUIRER_SECRET: "a-production-acquirer-secret-0001",
  PUBLIC_URL: "https://kantine.example.dk",
  BACKUP_SIGNING_KEY: "a-production-backup-signing-key-00000001",
};

/** Runs `bun server/main.ts` as `npm start` does; resolves with its exit code and output, or with the URL once it listens. */
async function startProcess(env: Record<string, string>): Promise<{ exitCode: number | null; output: string; url: string | null; stop: () => Promise<void> }> {
  const database = tempDatabasePath();
  const child = Bun.spawn([process.execPath, "server/main.ts"], {
    env: { PATH: process.env.PATH ?? "", CLIENT_DIST: "./client/dist", DATABASE_PATH: database.path, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk);
  };
  void collect(child.stdout);
  void collect(child.stderr);
  const deadline = Date.now() + 20_000;
  let url: string | null = null;
  while (Date.now() < deadline && child.exitCode === null && url === null) {
    await Bun.sleep(50);
    url = /listening on (http:\/\/[^\s]+)/.exec(output)?.[1] ?? null;
  }
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await child.exited;
    database.cleanup();
  };
  if (url === null) await child.exited;
  return { exitCode: child.exitCode, output, url, stop };
}

describe("production refuses demo money paths", () => {
  test("a production start with the payment simulator and no staging opt-in is refused, and says how to fix it", async () => {
    const started = await startProcess(productionSecrets);
    await started.stop();
    expect(started.url).toBeNull();
    expect(started.exitCode).not.toBe(0);
    expect(started.output).toContain("ALLOW_TEST_PAYMENTS_IN_PRODUCTION");
  }, 30_000);

  test("with ALLOW_TEST_PAYMENTS_IN_PRODUCTION=true it starts, and the public site info tells every page to show the TEST banner", async () => {
    const started = await startProcess({ ...productionSecrets, ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true" });
    try {
      expect(started.url).not.toBeNull();
      const answer = await (await fetch(`${started.url}/trpc/site.info`)).json();
      expect(answer.result.data).toEqual({ testPayments: true });
      // The outbox page stays a development-only route on a staging site too.
      expect((await fetch(`${started.url}/dev/outbox`)).status).toBe(404);
    } finally {
      await started.stop();
    }
  }, 30_000);

  test("a development server is no test site: no banner", async () => {
    const server = await startTestServer();
    try {
      expect((await new PortalClient(server.url).query("site.info")).data).toEqual({ testPayments: false });
    } finally {
      await server.close();
    }
  });

  test("demo data, a missing callback secret or a missing PUBLIC_URL are refused in production", () => {
    const staging = { ...productionSecrets, ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true" };
    const ownDemoKeys = { POS_DEMO_KEY: "own-secret-pos-key-0001", KITCHEN_DEMO_TOKEN: "own-secret-kitchen-token-0001" };
    expect(() => loadConfig({ ...productionSecrets, ACQUIRER: "simulator", SEED_DEMO: "true", ...ownDemoKeys })).toThrow(/ALLOW_TEST_PAYMENTS_IN_PRODUCTION/);
    expect(loadConfig({ ...staging, SEED_DEMO: "true", ...ownDemoKeys }).seedDemo).toBe(true);
    expect(() => loadConfig({ ...staging, ACQUIRER_SECRET: undefined })).toThrow(/ACQUIRER_SECRET/);
    expect(() => loadConfig({ ...staging, PUBLIC_URL: undefined })).toThrow(/PUBLIC_URL/);
    // The opt-in means nothing outside production: development never shows the banner.
    expect(loadConfig({ NODE_ENV: "development", ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true" }).testPaymentsInProduction).toBe(false);
  });
});

describe("development is local by default", () => {
  test("a development start on a network address is refused unless acknowledged", async () => {
    const started = await startProcess({ NODE_ENV: "development", HOST: "0.0.0.0", PORT: "0", SEED_DEMO: "false" });
    await started.stop();
    expect(started.url).toBeNull();
    expect(started.exitCode).not.toBe(0);
    expect(started.output).toContain("ALLOW_NETWORK_IN_DEVELOPMENT");
    // Acknowledged, the configuration is accepted (not started here: tests listen on loopback only).
    expect(loadConfig({ NODE_ENV: "development", HOST: "0.0.0.0", ALLOW_NETWORK_IN_DEVELOPMENT: "true" }).host).toBe("0.0.0.0");
    expect(loadConfig({ NODE_ENV: "development", HOST: "::1" }).host).toBe("::1");
    expect(loadConfig({ NODE_ENV: "development", HOST: "localhost" }).host).toBe("localhost");
  }, 30_000);

  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test("reset links point at the server's own loopback origin, whatever Host header the request names", async () => {
    const canteen = await createCanteen(server.services.store);
    const email = `${crypto.randomUUID()}@example.dk`;
    await createCard(server.services.store, canteen, { email, name: "Offer" });
    const body = JSON.stringify({ email });
    const port = Number(new URL(server.url).port);
    const answer = await rawHttp(
      port,
      `POST /trpc/auth.requestPasswordReset HTTP/1.1\r\nHost: attacker.example:${port}\r\nContent-Type: application/json\r\nX-Kantinekort-Csrf: 1\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(200);
    await resetMailsSettled();
    const mail = lastMailTo(server.services.store, email);
    expect(mail?.body).toContain(`${server.url}/nulstil-adgangskode?token=`);
    expect(mail?.body).not.toContain("attacker.example");
  });

  test("the payment page returns the browser to the loopback origin, whatever Host header started the payment", async () => {
    const canteen = await createCanteen(server.services.store);
    const email = `${crypto.randomUUID()}@example.dk`;
    const card = await createCard(server.services.store, canteen, { email, name: "Betaler", code: "271828" });
    const client = new PortalClient(server.url);
    await client.login(card.cardNumber, "271828");
    const body = JSON.stringify({ accountId: card.accountId, amountOre: 10000, receiptEmail: email, acceptedTerms: true, idempotencyKey: crypto.randomUUID() });
    const port = Number(new URL(server.url).port);
    const answer = await rawHttp(
      port,
      `POST /trpc/payments.startDeposit HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\nX-Kantinekort-Csrf: 1\r\nCookie: ${client.cookie}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(200);
    const redirectUrl = JSON.parse(answer.body.replace(/^[0-9a-f]+\r\n|\r\n0\r\n$/g, "")).result.data.redirectUrl as string;
    const cancelled = await fetch(`${server.url}${redirectUrl}`, { method: "POST", body: new URLSearchParams({ action: "cancel" }), redirect: "manual" });
    expect(cancelled.status).toBe(303);
    expect(cancelled.headers.get("location")?.startsWith(`${server.url}/`)).toBe(true);
  });

  test("the callback secret is not in the source: each development process draws its own, and the old default is refused", async () => {
    const first = loadConfig({ NODE_ENV: "development" }).acquirerSecret;
    const second = loadConfig({ NODE_ENV: "development" }).acquirerSecret;
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first).not.toBe(second);
    const body = JSON.stringify({ paymentId: crypto.randomUUID(), amountOre: 500_000, status: "captured" });
    const response = await fetch(`${server.url}/payments/callback`, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signPayload("development-acquirer-secret", body) },
      body,
    });
    expect(response.status).toBe(401);
  });

  test("the outbox page answers loopback peers only, judged by the connection's address and never by a header", async () => {
    expect((await fetch(`${server.url}/dev/outbox`)).status).toBe(200);
    // A peer from the network: the same handler as the running server, given the address Bun would report.
    for (const peer of ["192.0.2.7", "::ffff:10.0.0.5", "2001:db8::1", null]) {
      const handler = createHttpHandler({ services: server.services, clientDist: "./client/dist", peerAddress: () => peer });
      const forged = new Request("http://127.0.0.1/dev/outbox", { headers: { "x-forwarded-for": "127.0.0.1", host: "127.0.0.1" } });
      expect((await handler(forged)).status).toBe(403);
    }
    for (const peer of ["127.0.0.1", "::1", "::ffff:127.0.0.1"]) {
      const handler = createHttpHandler({ services: server.services, clientDist: "./client/dist", peerAddress: () => peer });
      expect((await handler(new Request("http://127.0.0.1/dev/outbox"))).status).toBe(200);
    }
  });
});
