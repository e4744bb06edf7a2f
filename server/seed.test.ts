// Demo data: the README's card table matches what is seeded, a till can sell at once, and production never seeds by default.
import { readFileSync } from "node:fs";
import { afterEach, expect, test } from "vitest";
import { loadConfig } from "./config.ts";
import { startTestServer, type TestServer } from "./testing/harness.ts";
import { formatOre } from "../common/money.ts";

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function readmeDemoCards(): Array<{ cardNumber: string; code: string; balance: string; status: string }> {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const header = "| Card number | Verification code | Balance | Status |";
  const lines = readme.split("\n");
  const start = lines.indexOf(header);
  expect(start).toBeGreaterThan(-1);
  const rows: Array<{ cardNumber: string; code: string; balance: string; status: string }> = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    const [cardNumber, code, balance, status] = line.split("|").slice(1, -1).map((cell) => cell.trim());
    rows.push({ cardNumber: cardNumber!, code: code!, balance: balance!, status: status! });
  }
  return rows;
}

test("the README's demo cards exist with the stated balance, status and verification code", async () => {
  server = await startTestServer({ seedDemo: true });
  const rows = readmeDemoCards();
  expect(rows.length).toBeGreaterThanOrEqual(3);
  for (const row of rows) {
    const card = server.services.store.read(
      (tx) =>
        tx.sqlite
          .query("SELECT c.status, c.verification_code_hash, a.balance_ore FROM cards c JOIN ledger_accounts a ON a.id = c.account_id WHERE c.card_number = ?")
          .get(row.cardNumber) as { status: string; verification_code_hash: string; balance_ore: number } | null,
    );
    expect(card, row.cardNumber).not.toBeNull();
    expect(row.status).toBe(card!.status === "active" ? "Aktiv" : "Spærret");
    // README writes "250,00 kr."; the formatter writes "250,00 kr." with a no-break space.
    expect(row.balance.replace(/\s/g, " ")).toBe(formatOre(card!.balance_ore).replace(/\s/g, " "));
    expect(await Bun.password.verify(row.code, card!.verification_code_hash)).toBe(true);
    expect(card!.verification_code_hash).toMatch(/^\$argon2id\$/);
  }
  const statuses = new Set(rows.map((row) => `${row.status}:${row.balance}`));
  expect(statuses).toContain("Aktiv:0,00 kr.");
  expect(statuses).toContain("Aktiv:250,00 kr.");
  expect([...statuses].some((status) => status.startsWith("Spærret"))).toBe(true);
});

test("a till can sell with the demo key straight away, and seeding twice adds nothing", async () => {
  server = await startTestServer({ seedDemo: true });
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.services.config.posDemoKey}` },
    body: JSON.stringify({ saleId: "demo-sale-0001", cardNumber: "12345678901234", amountOre: 3_500 }),
  });
  expect((await response.json()).result.data).toMatchObject({ status: "approved", balanceOre: 21_500 });
  const { seedDemo } = await import("./seed.ts");
  expect(await seedDemo(server.services.store, { posDemoKey: "another-key-0000000" })).toBe(false);
  expect(server.services.store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM tenants").get() as { n: number }).n)).toBe(1);
});

test("production never loads demo data unless asked for", () => {
  // A staging site (the simulator by explicit opt-in) with every production secret: the only production that may seed.
  const staging = { NODE_ENV: "production", ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true", ACQUIRER_SECRET: "staging-acquirer-secret-01", PUBLIC_URL: "https://staging.example.dk" };
  expect(loadConfig(staging).seedDemo).toBe(false);
  const ownSecrets = { POS_DEMO_KEY: "our-own-till-key-0000000001", KITCHEN_DEMO_TOKEN: "our-own-screen-token-000001" };
  expect(loadConfig({ ...staging, SEED_DEMO: "true", ...ownSecrets }).seedDemo).toBe(true);
  // The README's public demo key and token are refused in production.
  expect(() => loadConfig({ NODE_ENV: "production", SEED_DEMO: "true" })).toThrow(/POS_DEMO_KEY/);
  expect(() => loadConfig({ NODE_ENV: "production", SEED_DEMO: "true", POS_DEMO_KEY: ownSecrets.POS_DEMO_KEY })).toThrow(/KITCHEN_DEMO_TOKEN/);
  expect(loadConfig({}).seedDemo).toBe(true);
  expect(loadConfig({ SEED_DEMO: "false" }).seedDemo).toBe(false);
  expect(() => loadConfig({ PORT: "abc" })).toThrow(/PORT/);
});

test("migrations run down and up again", async () => {
  const { migrateDown, migrateToLatest } = await import("../db/migrate.ts");
  const { tempDatabasePath } = await import("./testing/harness.ts");
  const { path, cleanup } = tempDatabasePath();
  try {
    await migrateToLatest(path);
    const down = await migrateDown(path);
    expect(down.results?.[0]?.status).toBe("Success");
    const up = await migrateToLatest(path);
    expect(up.results?.[0]?.status).toBe("Success");
  } finally {
    cleanup();
  }
});
