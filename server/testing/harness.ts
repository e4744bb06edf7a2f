// Test helpers: a fresh migrated SQLite file per test, small fixtures written through the ledger, and a real HTTP server.
import type { Store } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { loadConfig, type Config } from "../config.ts";
import { startServer, type RunningServer } from "../app.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { openAccount, postTransfer, systemAccount } from "../ledger/ledger.ts";
import { createHeavyReads } from "../services/reads/pool.ts";
import { startLedgerWatch } from "../services/reads/verify-schedule.ts";
import { createInProcessBus } from "../events/bus.ts";
import { appRouter } from "../routers/_app.ts";
import { createCallerFactory, type AppServices } from "../trpc.ts";
import { OutboxMailer } from "../mail/mailer.ts";
import { CprCipher } from "../auth/cpr.ts";
import { AcquirerSimulator } from "../acquirer/simulator.ts";

// The database-only helpers live in db/testing.ts, so that db/ tests need nothing from server/.
import { tempDatabasePath } from "../../db/testing.ts";
export { createTestStore, tempDatabasePath, type TestStore } from "../../db/testing.ts";

export interface Fixture {
  tenantId: number;
  canteenId: number;
  revenueAccountId: number;
  clearingAccountId: number;
  terminalId: number;
  terminalKey: string;
}

let terminalCounter = 0;

/** A tenant with one canteen and one terminal. */
export async function createCanteen(store: Store, name = "Kantinen"): Promise<Fixture> {
  terminalCounter += 1;
  const terminalKey = `test-terminal-key-${terminalCounter}-${crypto.randomUUID()}`;
  return store.write((tx) => {
    const now = Date.now();
    const tenantId = tx.run(db.insertInto("tenants").values({ name: `Skole ${name}`, created_at: now })).lastInsertRowid;
    const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: `${name} omsætning` }, now);
    const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name, revenue_account_id: revenueAccountId, created_at: now })).lastInsertRowid;
    const terminalId = tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: "Kasse", api_key_hash: hashApiKey(terminalKey), created_at: now })).lastInsertRowid;
    return { tenantId, canteenId, revenueAccountId, clearingAccountId: systemAccount(tx, "acquirer_clearing", now), terminalId, terminalKey };
  });
}

export interface TestCard {
  userId: number;
  accountId: number;
  cardNumber: string;
}

let cardCounter = 0;

/** A cardholder with one card, funded through a real deposit transfer. */
export async function createCard(
  store: Store,
  fixture: Fixture,
  options: { balanceOre?: number; status?: "active" | "blocked"; limits?: { daily?: number; weekly?: number; monthly?: number }; code?: string; name?: string; email?: string } = {},
): Promise<TestCard> {
  cardCounter += 1;
  // Only cards that tests log in with pay for a real (slow) argon2id hash.
  const codeHash = options.code ? await Bun.password.hash(options.code, { algorithm: "argon2id" }) : "not-a-real-hash";
  const cardNumber = `4${String(cardCounter).padStart(13, "0")}`;
  return store.write((tx) => {
    const now = Date.now();
    const userId = tx.run(
      db.insertInto("users").values({
        tenant_id: fixture.tenantId,
        role: "cardholder",
        name: options.name === undefined ? `Bruger ${cardCounter}` : options.name || null,
        email: options.email ?? null,
        created_at: now,
      }),
    ).lastInsertRowid;
    const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId }, now);
    tx.run(
      db.insertInto("cards").values({
        card_number: cardNumber,
        user_id: userId,
        account_id: accountId,
        verification_code_hash: codeHash,
        status: options.status ?? "active",
        limit_daily_ore: options.limits?.daily ?? null,
        limit_weekly_ore: options.limits?.weekly ?? null,
        limit_monthly_ore: options.limits?.monthly ?? null,
        created_at: now,
      }),
    );
    if (options.balanceOre) {
      const result = postTransfer(tx, { id: `fund:${cardNumber}`, debitAccountId: fixture.clearingAccountId, creditAccountId: accountId, amountOre: options.balanceOre, kind: "deposit" }, now);
      if (result.status !== "posted") throw new Error("funding failed");
    }
    return { userId, accountId, cardNumber };
  });
}

export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({ NODE_ENV: "test", SEED_DEMO: "false", PORT: "0" }), ...overrides };
}

/** Services for createCaller tests: a real store and bus, no HTTP. */
export function servicesFor(store: Store, overrides: Partial<Config> = {}): AppServices {
  const reads = createHeavyReads(store, { inline: true });
  return {
    store,
    bus: createInProcessBus(),
    config: testConfig(overrides),
    mailer: new OutboxMailer(store),
    cpr: CprCipher.development(),
    acquirer: new AcquirerSimulator({ secret: "test-acquirer-secret", callbackRetryDelaysMs: [0, 20, 50], timeoutMs: 50 }),
    reads,
    ledgerWatch: startLedgerWatch(reads, { scheduled: false }),
  };
}

const createCaller = createCallerFactory(appRouter);

export function callerFor(services: AppServices, headers: Record<string, string> = {}) {
  return createCaller({ services, headers: new Headers(headers), clientAddress: "127.0.0.1" });
}

export interface TestServer extends RunningServer {
  databasePath: string;
  close(): Promise<void>;
}

/** The real server (migrations, Bun.serve, tRPC) on a free loopback port and a fresh database file. */
export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const { path, cleanup } = tempDatabasePath();
  const running = await startServer(testConfig({ databasePath: path, host: "127.0.0.1", port: 0, ...overrides }));
  return {
    ...running,
    databasePath: path,
    async close() {
      await running.stop();
      cleanup();
    },
  };
}

/** Row counts of every table that a write could touch: used to prove that bad input wrote nothing. */
export function tableCounts(store: Store): Record<string, number> {
  return store.read((tx) => {
    const counts: Record<string, number> = {};
    for (const table of ["transfers", "declined_transfers", "sales", "refunds", "ledger_accounts", "cards", "users"] as const) {
      counts[table] = tx.first(db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as("n")))!.n;
    }
    counts.balanceSum = tx.first(db.selectFrom("ledger_accounts").select((eb) => eb.fn.coalesce(eb.fn.sum<number>(eb.fn("abs", ["balance_ore"])), eb.lit(0)).as("n")))!.n;
    return counts;
  });
}

export interface PortalResponse<T = any> {
  status: number;
  text: string;
  data: T;
  error: { message: string; data: { code: string; issues?: Array<{ path: string; message: string }> } } | undefined;
}

/** A browser-like portal client over real HTTP: keeps the session cookie and sends the CSRF header on mutations. */
export class PortalClient {
  cookie: string | null = null;

  constructor(readonly baseUrl: string) {}

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const [, value] = pair!.split("=");
      this.cookie = value ? `kk_session=${value}` : null;
    }
  }

  async query<T = any>(path: string, input?: unknown): Promise<PortalResponse<T>> {
    const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const response = await fetch(`${this.baseUrl}/trpc/${path}${query}`, { headers: this.cookie ? { cookie: this.cookie } : {} });
    return this.read<T>(response);
  }

  async mutate<T = any>(path: string, input?: unknown, options: { csrf?: boolean } = {}): Promise<PortalResponse<T>> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.csrf !== false) headers["x-kantinekort-csrf"] = "1";
    if (this.cookie) headers.cookie = this.cookie;
    const response = await fetch(`${this.baseUrl}/trpc/${path}`, { method: "POST", headers, body: input === undefined ? undefined : JSON.stringify(input) });
    return this.read<T>(response);
  }

  async get(path: string): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, { headers: this.cookie ? { cookie: this.cookie } : {} });
  }

  private async read<T>(response: Response): Promise<PortalResponse<T>> {
    this.remember(response);
    const text = await response.text();
    const body = text ? JSON.parse(text) : {};
    return { status: response.status, text, data: body.result?.data, error: body.error };
  }

  async login(cardNumber: string, password: string): Promise<PortalResponse> {
    return this.mutate("auth.login", { cardNumber, password });
  }
}

/** Reads the newest mail to a recipient from the outbox table. */
export function lastMailTo(store: Store, recipient: string): { subject: string; body: string } | null {
  return store.read((tx) => tx.first(db.selectFrom("outbox").select(["subject", "body_text as body"]).where("recipient", "=", recipient).orderBy("id", "desc").limit(1)) ?? null);
}

/** Columns that change without a write of the request's own: reading with a session slides its expiry. */
const BACKGROUND_TABLES = new Set(["report_days", "ledger_seals"]);
const FINGERPRINT_IGNORED_COLUMNS: Record<string, string[]> = { sessions: ["expires_at"] };

/**
 * A fingerprint of every table (row count and a hash of all its rows), to prove that a request wrote nothing at
 * all: unlike counting a few tables, it also sees an UPDATE and a write to a table added later.
 */
export function databaseFingerprint(store: Store): Record<string, string> {
  // Raw SQL on purpose: it walks whatever tables and columns the file has (sqlite_master, pragma_table_info), which a
  // builder typed by db/schema.ts cannot name.
  return store.read((tx) => {
    const fingerprint: Record<string, string> = {};
    const tables = tx.sqlite.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>;
    for (const { name } of tables) {
      // Written by background jobs on their own schedule, never by the request under test: kept report day totals
      // (the day keeper) and the ledger's seals (the sealer, after commit, over transfers that already exist).
      if (BACKGROUND_TABLES.has(name)) continue;
      const ignored = FINGERPRINT_IGNORED_COLUMNS[name] ?? [];
      const columns = (tx.sqlite.query(`SELECT name FROM pragma_table_info(?)`).all(name) as Array<{ name: string }>).map((column) => column.name).filter((column) => !ignored.includes(column));
      const rows = tx.sqlite.query(`SELECT ${columns.map((column) => `"${column}"`).join(", ")} FROM "${name}" ORDER BY ${columns.map((_, index) => index + 1).join(", ")}`).values();
      const hasher = new Bun.CryptoHasher("sha256");
      for (const row of rows) hasher.update(JSON.stringify(row, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : typeof value === "bigint" ? String(value) : value)));
      fingerprint[name] = `${rows.length} rows, ${hasher.digest("hex")}`;
    }
    return fingerprint;
  });
}
