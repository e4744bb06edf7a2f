// A full disk for real: the database on a small tmpfs, filled with a ballast file. Sales answer 503 with Retry-After and
// a plain message and write nothing, /readyz says "not ready" (storage), the log has one line per interval with a count,
// and once the ballast is gone the same sale id is approved, the server is ready again and the ledger holds.
import { afterAll, beforeAll, expect, test } from "vitest";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { checkLedger } from "../ledger/check.ts";
import { createCanteen, createCard, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import { onLogLine } from "./logger.ts";
import { flushStorageLog, setStorageLogInterval } from "./storage.ts";

const mountDir = mkdtempSync(join(tmpdir(), "kk-full-disk-"));
// Tests run as root here and in CI; elsewhere mounting is refused and the test says why it is skipped.
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountDir]).status === 0;
const ballastPath = join(mountDir, "ballast");

let server: TestServer;
let canteen: Fixture;
let card: TestCard;

beforeAll(async () => {
  if (!mounted) return;
  // One interval for the whole test, ended by hand below: the count is then exact, whatever the machine's speed.
  setStorageLogInterval(3_600_000);
  server = await startTestServer({ databasePath: join(mountDir, "kantinekort.db"), diskFreeMinBytes: 0 });
  canteen = await createCanteen(server.services.store);
  card = await createCard(server.services.store, canteen, { balanceOre: 100_000 });
});
afterAll(async () => {
  if (!mounted) return;
  setStorageLogInterval(10_000);
  await server?.close();
  // Lazy: the server's last file handles may close a moment after it stopped.
  spawnSync("umount", ["-l", mountDir]);
  rmSync(mountDir, { recursive: true, force: true });
});

function sell(saleId: string, amountOre = 1_000) {
  return fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber: card.cardNumber, amountOre }),
  });
}

/** Writes zeros into the ballast file until the filesystem has no room left. */
function fillDisk(): void {
  const fd = openSync(ballastPath, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOSPC") throw error;
    // The last bytes (less than a chunk) too, so that not even one page of WAL fits.
    try {
      for (;;) writeSync(fd, chunk, 0, 512);
    } catch {
      // Full.
    }
  } finally {
    closeSync(fd);
  }
}

const transferCount = () => server.services.store.read((tx) => (tx.sqlite.query("SELECT count(*) AS n FROM transfers").get() as { n: number }).n);

test.skipIf(!mounted)("a full disk: 503 + Retry-After + a plain message, nothing written, not ready, one log line per interval; freed, it sells again", async () => {
  const first = await sell(`before-${crypto.randomUUID()}`);
  expect((await first.json()).result.data.status).toBe("approved");
  const transfersBefore = transferCount();

  const lines: string[] = [];
  const stop = onLogLine((line) => lines.push(line));
  try {
    fillDisk();
    const saleIds = Array.from({ length: 20 }, (_, index) => `full-${index}-${crypto.randomUUID()}`);
    const refused = await Promise.all(saleIds.map((saleId) => sell(saleId)));
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
      const body = (await response.json()) as any;
      expect(body.error.data.code).toBe("SERVICE_UNAVAILABLE");
      expect(body.error.data.reason).toBe("storage_unavailable");
      expect(body.error.message).toBe("The server cannot store sales right now – try again shortly");
      expect(body.error.data.messages.da).toBe("Serveren kan ikke gemme salg lige nu – prøv igen om lidt");
      expect(JSON.stringify(body)).not.toMatch(/SQLITE|at .*\.ts/);
    }
    // Nothing of a refused sale was written.
    expect(transferCount()).toBe(transfersBefore);

    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    const readiness = (await notReady.json()) as any;
    expect(readiness.reason).toBe("storage");
    expect(readiness.checks.storage).toMatch(/SQLITE_FULL/);

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/kantinekort_storage_errors_total\{code="SQLITE_FULL"\} \d+/);
    expect(metrics).toMatch(/kantinekort_storage_writable 0/);

    // One line at the first failure, then one summary for the interval that counts the rest (the readiness probe too).
    await new Promise((resolve) => setImmediate(resolve));
    flushStorageLog();
    const storageLines = lines.filter((line) => line.includes("storage error"));
    expect(storageLines).toHaveLength(2);
    const [opening, summary] = storageLines.map((line) => JSON.parse(line));
    expect(opening.msg).toMatch(/^storage error: SQLITE_FULL ×\d+ \(the database's disk is full\)/);
    expect(summary.msg).toMatch(/^storage error: SQLITE_FULL ×\d+ in the last 3600 s/);
    expect(opening.storageCode).toBe("SQLITE_FULL");
    // Every refused write is counted: the 20 sales and the readiness probe.
    expect(opening.writes + summary.writes).toBe(21);
    expect(lines.some((line) => line.includes('"stack"'))).toBe(false);
    expect(lines.filter((line) => line.includes('"level":"error"') && !line.includes("storage error"))).toEqual([]);

    // Space again: the same sale id the till kept is approved once, and the server is ready by itself.
    rmSync(ballastPath);
    const retried = await sell(saleIds[0]!);
    expect(retried.status).toBe(200);
    expect((await retried.json()).result.data).toMatchObject({ status: "approved", replayed: false });
    const again = await sell(saleIds[0]!);
    expect((await again.json()).result.data).toMatchObject({ status: "approved", replayed: true });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(transferCount()).toBe(transfersBefore + 1);
    expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  } finally {
    stop();
    rmSync(ballastPath, { force: true });
  }
});

test.skipIf(!mounted)("free space below DISK_FREE_MIN_MB: not ready (storage) although commits succeed", async () => {
  // The tmpfs has 16 MB in all: a 64 MB floor is above whatever is free.
  server.services.config.diskFreeMinBytes = 64 * 1024 * 1024;
  try {
    const answer = await fetch(`${server.url}/readyz`);
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as any;
    expect(body.reason).toBe("storage");
    expect(body.checks.writer).toBe("ok");
    expect(body.checks.storage).toMatch(/MB free on the database's filesystem, below DISK_FREE_MIN_MB \(64 MB\)/);
  } finally {
    server.services.config.diskFreeMinBytes = 0;
  }
  expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
});

test.skipIf(mounted)("full-disk tests skipped: mounting a tmpfs was refused (they need root, as in CI)", () => {});
