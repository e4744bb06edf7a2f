// /healthz and /readyz over real HTTP against a real database file: ready, and each way of not being ready.
import { afterAll, beforeAll, expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { renameSync } from "node:fs";
import { startTestServer, type TestServer } from "../testing/harness.ts";
import { migrateDown, migrateToLatest } from "../../db/migrate.ts";
import { createHttpHandler } from "../http.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

async function readyz(): Promise<{ status: number; body: { status: string; checks: Record<string, string> }; text: string }> {
  const response = await fetch(`${server.url}/readyz`);
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text), text };
}

test("healthz answers 200 while the process runs; readyz 200 when every check passes, naming no path or secret", async () => {
  const health = await fetch(`${server.url}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });
  const ready = await readyz();
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: "ready", checks: { server: "ok", database: "ok", migrations: "ok", writer: "ok", storage: "ok" } });
  expect(ready.text).not.toContain(server.databasePath);
  expect(ready.text).not.toContain(server.services.config.acquirerSecret);
  expect((await fetch(`${server.url}/readyz`, { method: "POST" })).status).toBe(405);
});

test("readyz is 503 while the database file is removed from DATABASE_PATH, and 200 again once it is back", async () => {
  const aside = `${server.databasePath}.aside`;
  renameSync(server.databasePath, aside);
  try {
    const gone = await readyz();
    expect(gone.status).toBe(503);
    expect(gone.body.status).toBe("not ready");
    expect(gone.body.checks.database).toMatch(/gone/);
    // The process itself is alive: liveness is not readiness.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    renameSync(aside, server.databasePath);
  }
  expect((await readyz()).status).toBe(200);
});

test("readyz is 503 while a migration is pending, and 200 once the database is migrated", async () => {
  const down = await migrateDown(server.databasePath);
  const name = down.results![0]!.migrationName;
  const pending = await readyz();
  expect(pending.status).toBe(503);
  expect(pending.body.checks.migrations).toBe(`pending: ${name}`);
  await migrateToLatest(server.databasePath);
  expect((await readyz()).status).toBe(200);
});

test("readyz is 503 when the database was migrated by newer code (a migration this server does not know)", async () => {
  const other = new Database(server.databasePath);
  try {
    other.run("PRAGMA busy_timeout = 5000");
    other.query("INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)").run("29991231T2359_from_the_future", new Date().toISOString());
    const newer = await readyz();
    expect(newer.status).toBe(503);
    expect(newer.body.checks.migrations).toMatch(/does not know.*29991231T2359_from_the_future/);
  } finally {
    other.query("DELETE FROM kysely_migration WHERE name = ?").run("29991231T2359_from_the_future");
    other.close();
  }
  expect((await readyz()).status).toBe(200);
});

test("readyz is 503 when the writer cannot commit (another process holds the write lock), and 200 once it is free", async () => {
  const other = new Database(server.databasePath);
  other.run("PRAGMA busy_timeout = 0");
  other.run("BEGIN IMMEDIATE");
  try {
    // The server's writer waits its busy timeout (5 s) for the lock, then gives up: the probe write fails.
    const stuck = await readyz();
    expect(stuck.status).toBe(503);
    expect(stuck.body.checks.writer).toMatch(/a write failed: .*locked/);
    expect(stuck.body.checks.database).toBe("ok");
  } finally {
    other.run("ROLLBACK");
    other.close();
  }
  expect((await readyz()).status).toBe(200);
}, 20_000);

test("readyz is 503 once the server is stopping (the shutdown signal has fired), healthz still 200", async () => {
  const shutdown = new AbortController();
  shutdown.abort();
  const handle = createHttpHandler({ services: server.services, clientDist: server.services.config.clientDist, peerAddress: () => "127.0.0.1", shutdownSignal: shutdown.signal });
  const answer = await handle(new Request("http://127.0.0.1/readyz"));
  expect(answer.status).toBe(503);
  expect((await answer.json()).checks.server).toBe("stopping");
  expect((await handle(new Request("http://127.0.0.1/healthz"))).status).toBe(200);
});
