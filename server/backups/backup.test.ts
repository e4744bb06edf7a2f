// Backups while the server sells, the restore drill, and the schedule, with the real command line and a real database.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../app.ts";
import { createCanteen, createCard, PortalClient, startTestServer, testConfig, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import { checkDatabaseFile } from "./backup.ts";
import { DEFAULT_RETENTION } from "../ops/retention.ts";
import { startBackupSchedule } from "./scheduler.ts";
import { until } from "../testing/sse-client.ts";
import { freePort } from "../../tools/processes.ts";

const directory = mkdtempSync(join(tmpdir(), "kantinekort-backup-test-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The site's own backup signing key, as production has one (BACKUP_SIGNING_KEY). */
const SIGNING_KEY = "backup-test-signing-key-0123456789abcdef";

/** `npm run backup|restore -- <file>` as an operator runs it: its own process, DATABASE_PATH from the environment. */
async function cli(command: "backup" | "restore", databasePath: string, file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = Bun.spawn([process.execPath, "tools/cli.ts", command, file], {
    env: { ...process.env, DATABASE_PATH: databasePath, NODE_ENV: "test", BACKUP_SIGNING_KEY: SIGNING_KEY },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

const DEMO_KEY = "backup-test-demo-till-key-0001";
const DEMO_CARD = "12345678901234";

async function sellAt(url: string, key: string, cardNumber: string, saleId: string): Promise<string> {
  const response = await fetch(`${url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ saleId, cardNumber, amountOre: 100 }),
  });
  const body = (await response.json()) as { result?: { data?: { status: string } } };
  return body.result?.data?.status ?? `HTTP ${response.status}`;
}

const sell = (server: RunningServer, fixture: Fixture, cardNumber: string, saleId: string) => sellAt(server.url, fixture.terminalKey, cardNumber, saleId);

function saleIdsIn(path: string): string[] {
  const database = new Database(path, { readonly: true });
  try {
    return (database.query("SELECT id FROM sales ORDER BY id").all() as Array<{ id: string }>).map((row) => row.id);
  } finally {
    database.close();
  }
}

function ledgerCheck(path: string): { code: number; stdout: string } {
  const run = Bun.spawnSync([process.execPath, "server/ledger/check-cli.ts", path], { stdout: "pipe", stderr: "pipe" });
  return { code: run.exitCode, stdout: run.stdout.toString() };
}

describe("npm run backup", () => {
  let server: TestServer;
  let fixture: Fixture;
  let cards: TestCard[];
  beforeAll(async () => {
    server = await startTestServer();
    fixture = await createCanteen(server.services.store);
    cards = await Promise.all(Array.from({ length: 8 }, () => createCard(server.services.store, fixture, { balanceOre: 1_000_000 })));
  });
  afterAll(async () => {
    await server.close();
  });

  test("under load: tills keep selling while the copy is made, and the copy passes quick_check and the ledger check", async () => {
    const acknowledged: Array<{ id: string; at: number }> = [];
    let selling = true;
    let sent = 0;
    const tills = cards.map(async (card, till) => {
      for (let n = 0; selling; n += 1) {
        const id = `load-${till}-${n}`;
        sent += 1;
        expect(await sell(server, fixture, card.cardNumber, id)).toBe("approved");
        acknowledged.push({ id, at: performance.now() });
      }
    });
    await until(() => acknowledged.length >= 200, "200 sales before the backup", 30_000);
    const target = join(directory, "under-load.sqlite");
    const startedAt = performance.now();
    const before = acknowledged.length;
    const backup = await cli("backup", server.databasePath, target);
    const during = acknowledged.length - before;
    selling = false;
    await Promise.all(tills);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/quick_check ok, ledger:check OK/);
    // The server never stopped selling while the copy was made.
    expect(during).toBeGreaterThan(0);
    const check = checkDatabaseFile(target);
    expect(check).toMatchObject({ ok: true, problems: [] });
    // Every sale acknowledged before the backup began is in the copy; the copy holds nothing that was never sold.
    const copied = new Set(saleIdsIn(target));
    for (const sale of acknowledged.filter((entry) => entry.at < startedAt)) expect(copied.has(sale.id), sale.id).toBe(true);
    const all = new Set(saleIdsIn(server.databasePath));
    for (const id of copied) expect(all.has(id), id).toBe(true);
    expect(copied.size).toBeLessThan(all.size);
    expect(all.size).toBe(sent);
    expect(ledgerCheck(target).code).toBe(0);
    // The attempt is recorded in the live database, for the back office.
    const recorded = server.services.store.read((tx) => tx.sqlite.query("SELECT trigger, ok, file FROM backups ORDER BY id DESC LIMIT 1").get());
    expect(recorded).toEqual({ trigger: "manual", ok: 1, file: "under-load.sqlite" });
  }, 120_000);

  test("an existing file is never overwritten, and a missing argument is a usage error", async () => {
    const target = join(directory, "exists.sqlite");
    writeFileSync(target, "keep me");
    const refused = await cli("backup", server.databasePath, target);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/exists already/);
    expect(await Bun.file(target).text()).toBe("keep me");
    const usage = Bun.spawnSync([process.execPath, "tools/cli.ts", "backup"], { env: { ...process.env, DATABASE_PATH: server.databasePath }, stderr: "pipe" });
    expect(usage.exitCode).toBe(2);
  });
});

describe("the restore drill", () => {
  /** The server as operators run it: its own process (`bun server/main.ts`) with the demo data, selling at the demo till. */
  async function serverProcess(databasePath: string) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = Bun.spawn([process.execPath, "server/main.ts"], {
      env: { ...process.env, NODE_ENV: "test", HOST: "127.0.0.1", PORT: String(port), DATABASE_PATH: databasePath, SEED_DEMO: "true", POS_DEMO_KEY: DEMO_KEY },
      stdout: "ignore",
      stderr: "ignore",
    });
    // Seeding the demo data hashes passwords (argon2id): on a busy machine that takes a while.
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`${url}/healthz`).then((answer) => answer.ok, () => false))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not come up (exit code ${child.exitCode})`);
      await Bun.sleep(100);
    }
    return {
      url,
      sell: (saleId: string) => sellAt(url, DEMO_KEY, DEMO_CARD, saleId),
      async balance(): Promise<number> {
        const answer = await fetch(`${url}/trpc/pos.balance?input=${encodeURIComponent(JSON.stringify({ cardNumber: DEMO_CARD }))}`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
        return (await answer.json()).result.data.balanceOre;
      },
      async stop() {
        child.kill("SIGTERM");
        await child.exited;
      },
    };
  }

  test("sales → backup → more sales → restore (refused while the server runs) → exactly the sales before the backup, ledger OK", async () => {
    const databasePath = join(directory, "drill.sqlite");
    const backupPath = join(directory, "drill-backup.sqlite");
    let server = await serverProcess(databasePath);
    const startBalance = await server.balance();
    const before = Array.from({ length: 25 }, (_, n) => `drill-before-${n}`);
    for (const id of before) expect(await server.sell(id)).toBe("approved");
    expect((await cli("backup", databasePath, backupPath)).code).toBe(0);
    const after = Array.from({ length: 15 }, (_, n) => `drill-after-${n}`);
    for (const id of after) expect(await server.sell(id)).toBe("approved");

    // While the server has the database open, restore refuses and changes nothing.
    const refused = await cli("restore", databasePath, backupPath);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/restore refused: .*open.*stop it first/);
    expect(saleIdsIn(databasePath)).toEqual([...before, ...after].sort());
    expect(await server.sell("drill-still-selling")).toBe("approved");
    await server.stop();

    const restored = await cli("restore", databasePath, backupPath);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(/25 sales; integrity_check ok, ledger:check OK/);
    expect(saleIdsIn(databasePath)).toEqual([...before].sort());
    expect(ledgerCheck(databasePath)).toMatchObject({ code: 0 });
    // The replaced database is kept beside it, with every sale it had.
    const previous = readdirSync(directory).find((name) => name.startsWith("drill.sqlite.before-restore-"));
    expect(previous).toBeDefined();
    expect(saleIdsIn(join(directory, previous!))).toHaveLength(41);

    // The restored database serves: ready, and the balance is the one at the backup.
    server = await serverProcess(databasePath);
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(await server.balance()).toBe(startBalance - 25 * 100);
    } finally {
      await server.stop();
    }
    expect(ledgerCheck(databasePath)).toMatchObject({ code: 0 });
  }, 120_000);

  test("a damaged or tampered backup is refused before anything is replaced", async () => {
    const databasePath = join(directory, "target.sqlite");
    const server = await startServer(testConfig({ databasePath, host: "127.0.0.1", port: 0 }));
    const fixture = await createCanteen(server.services.store);
    const card = await createCard(server.services.store, fixture, { balanceOre: 5_000 });
    await sell(server, fixture, card.cardNumber, "target-sale-1");
    const good = join(directory, "good.sqlite");
    expect((await cli("backup", databasePath, good)).code).toBe(0);
    await server.stop();

    const truncated = join(directory, "truncated.sqlite");
    writeFileSync(truncated, (await Bun.file(good).bytes()).slice(0, 8192));
    const tampered = join(directory, "tampered.sqlite");
    copyFileSync(good, tampered);
    const database = new Database(tampered);
    database.run("UPDATE ledger_accounts SET balance_ore = balance_ore + 100000, credits_ore = credits_ore + 100000 WHERE kind = 'cardholder'");
    database.close();
    const garbage = join(directory, "garbage.sqlite");
    writeFileSync(garbage, "this is not a database ".repeat(500));

    for (const [file, reason] of [[truncated, /failed its checks/], [tampered, /ledger: /], [garbage, /failed its checks/], [join(directory, "missing.sqlite"), /no file/]] as const) {
      const refused = await cli("restore", databasePath, file);
      expect(refused.code, file).toBe(1);
      expect(refused.stderr, file).toMatch(reason);
      expect(saleIdsIn(databasePath)).toEqual(["target-sale-1"]);
    }
    expect(readdirSync(directory).some((name) => name.startsWith("target.sqlite.before-restore-"))).toBe(false);
  }, 60_000);
});

describe("scheduled backups (BACKUP_DIR)", () => {
  let server: TestServer;
  const backupDir = join(directory, "scheduled");
  beforeAll(async () => {
    server = await startTestServer({ seedDemo: true, backup: { dir: backupDir, intervalMinutes: 60, retention: { ...DEFAULT_RETENTION, maxFiles: 2 } } });
  });
  afterAll(async () => {
    await server.close();
  });

  test("each run writes a checked copy, keeps the newest BACKUP_KEEP files (a count cap under the age tiers), and administrators see the last result", async () => {
    const admin = new PortalClient(server.url);
    expect((await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
    const none = await admin.query("ops.backupStatus");
    expect(none.data).toMatchObject({ schedule: { intervalMinutes: 60, retention: { hours: 24, days: 7, weeks: 4, months: 12, maxFiles: 2, maxBytes: null } }, last: null, lastSuccessAt: null });

    const names: string[] = [];
    for (let run = 0; run < 3; run += 1) {
      const outcome = await server.backups!.runNow();
      expect(outcome).toMatchObject({ ok: true });
      names.push(outcome.file.split("/").pop()!);
      // Names carry the second they were made: one a second at most.
      await Bun.sleep(1_100);
    }
    const kept = readdirSync(backupDir).sort();
    // Each backup has its signature beside it; a pruned backup's signature went with it.
    expect(kept).toEqual(names.slice(1).flatMap((name) => [name, `${name}.sig`]).sort());
    for (const name of names.slice(1)) expect(checkDatabaseFile(join(backupDir, name)).ok).toBe(true);

    const status = await admin.query("ops.backupStatus");
    expect(status.data.last).toMatchObject({ ok: true, trigger: "scheduled", file: names[2], error: null });
    expect(status.data.lastSuccessAt).toBe(status.data.last.finishedAt);
    expect(JSON.stringify(status.data)).not.toContain(backupDir);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const age = Number(/^kantinekort_backup_age_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
  }, 60_000);

  test("with a second school on the site, an administrator sees that the backup is made but not its size", async () => {
    const admin = new PortalClient(server.url);
    await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" });
    await server.backups!.runNow();
    const alone = (await admin.query("ops.backupStatus")).data;
    expect(alone.last).toMatchObject({ ok: true });
    expect(alone.last.bytes).toBeGreaterThan(0);
    await server.services.store.write((tx) => tx.sqlite.query("INSERT INTO tenants (name, created_at) VALUES ('Anden skole', 0)").run());
    try {
      const shared = (await admin.query("ops.backupStatus")).data;
      expect(shared.last).toMatchObject({ ok: true, file: alone.last.file, finishedAt: alone.last.finishedAt, bytes: null });
      expect(shared.lastSuccessAt).toBe(alone.lastSuccessAt);
    } finally {
      await server.services.store.write((tx) => tx.sqlite.query("DELETE FROM tenants WHERE name = 'Anden skole'").run());
    }
  }, 30_000);

  test("a failed backup is recorded with its reason and counts as no backup", async () => {
    const blocked = join(directory, "not-a-directory");
    writeFileSync(blocked, "a file where the backup directory should be");
    const successBefore = server.services.store.read((tx) => tx.sqlite.query("SELECT MAX(finished_at) AS at FROM backups WHERE ok = 1").get());
    const schedule = startBackupSchedule(server.services, { dir: join(blocked, "backups"), intervalMinutes: 60, retention: DEFAULT_RETENTION, firstRunDelayMs: 60_000 });
    try {
      const outcome = await schedule.runNow();
      expect(outcome.ok).toBe(false);
    } finally {
      await schedule.stop();
    }
    const admin = new PortalClient(server.url);
    await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" });
    const status = (await admin.query("ops.backupStatus")).data;
    expect(status.last).toMatchObject({ ok: false, trigger: "scheduled", bytes: null });
    expect(status.last.error).toMatch(/ENOTDIR|not a directory/i);
    expect(server.services.store.read((tx) => tx.sqlite.query("SELECT MAX(finished_at) AS at FROM backups WHERE ok = 1").get())).toEqual(successBefore);
  });

  test("the timer makes the first backup by itself, soon after start when there is none yet", async () => {
    const fresh = await startTestServer();
    const timedDir = join(directory, "timed");
    const schedule = startBackupSchedule(fresh.services, { dir: timedDir, intervalMinutes: 60, retention: DEFAULT_RETENTION, firstRunDelayMs: 100 });
    try {
      await until(() => fresh.services.store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM backups WHERE ok = 1").get() as { n: number }).n === 1, "the first scheduled backup", 30_000);
      expect(readdirSync(timedDir).filter((name) => name.endsWith(".sqlite"))).toHaveLength(1);
    } finally {
      await schedule.stop();
      await fresh.close();
    }
  }, 40_000);

  test("staff and cardholders cannot read the backup status", async () => {
    const staff = new PortalClient(server.url);
    await staff.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "Kantine2026!" });
    expect((await staff.query("ops.backupStatus")).error?.data.code).toBe("FORBIDDEN");
    const cardholder = new PortalClient(server.url);
    await cardholder.login("12345678901234", "482913");
    expect((await cardholder.query("ops.backupStatus")).error?.data.code).toBe("FORBIDDEN");
    expect((await new PortalClient(server.url).query("ops.backupStatus")).error?.data.code).toBe("UNAUTHORIZED");
  });
});
