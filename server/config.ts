// Reads the server's configuration from environment variables (validated with zod), with documented defaults.
import { isIP } from "node:net";
import * as z from "zod";
import type { BackupRetention } from "./ops/retention.ts";

const booleanText = z.enum(["true", "false", "auto"]);
const onOff = z.enum(["true", "false"]);

/** The README publishes these, so a production server never accepts them. */
const PUBLIC_DEMO_POS_KEY = "demo-terminal-key-kantinen-0001";
const PUBLIC_DEMO_KITCHEN_TOKEN = "demo-kitchen-screen-token-0001";

const environmentSchema = z.object({
  NODE_ENV: z.string().default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_PATH: z.string().min(1).default("./data/kantinekort.sqlite"),
  SQLITE_SYNCHRONOUS: z.enum(["FULL", "NORMAL", "EXTRA"]).default("FULL"),
  WRITE_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(256),
  WRITER_MAX_QUEUED: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  WRITE_SYNC: z.enum(["thread", "inline"]).default("thread"),
  SEED_DEMO: booleanText.default("auto"),
  POS_DEMO_KEY: z.string().min(16).default(PUBLIC_DEMO_POS_KEY),
  KITCHEN_DEMO_TOKEN: z.string().min(16).default(PUBLIC_DEMO_KITCHEN_TOKEN),
  MAX_SALE_ORE: z.coerce.number().int().min(1).default(100_000),
  TILL_OFFLINE_MAX_SALE_ORE: z.coerce.number().int().min(0).default(5_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  DISK_FREE_MIN_MB: z.coerce.number().min(0).default(200),
  CLIENT_DIST: z.string().default("./client/dist"),
  CPR_ENCRYPTION_KEY: z.string().optional(),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default("Kantinekort <no-reply@kantinekort.local>"),
  PUBLIC_URL: z.string().url().optional(),
  ACQUIRER: z.enum(["simulator", "quickpay"]).default("simulator"),
  QUICKPAY_API_KEY: z.string().min(1).optional(),
  QUICKPAY_PRIVATE_KEY: z.string().min(1).optional(),
  QUICKPAY_API_URL: z.string().url().default("https://api.quickpay.net"),
  QUICKPAY_TEST_MODE: booleanText.default("auto"),
  ACQUIRER_SECRET: z.string().min(16).optional(),
  SIMULATOR_DUPLICATE_CALLBACKS: z.enum(["true", "false"]).default("false"),
  SIMULATOR_TIMEOUT_MS: z.coerce.number().int().min(0).max(60_000).default(2_000),
  ALLOW_TEST_PAYMENTS_IN_PRODUCTION: onOff.default("false"),
  ALLOW_NETWORK_IN_DEVELOPMENT: onOff.default("false"),
  TRUST_PROXY: z.string().default("false"),
  MAX_STREAMS_PER_SESSION: z.coerce.number().int().min(1).max(100).default(4),
  MAX_STREAMS_PER_KITCHEN_SCREEN: z.coerce.number().int().min(1).max(100).default(3),
  STREAM_MAX_QUEUED_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  // Operations (server/ops): log level, the metrics bearer token, scheduled backups.
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
  METRICS_TOKEN: z.string().min(16).optional(),
  BACKUP_DIR: z.string().min(1).optional(),
  BACKUP_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
  // Which scheduled backups stay (server/ops/retention.ts): age tiers, then a count cap and a size cap.
  BACKUP_KEEP_HOURS: z.coerce.number().int().min(0).max(8_760).default(24),
  BACKUP_KEEP_DAYS: z.coerce.number().int().min(0).max(3_660).default(7),
  BACKUP_KEEP_WEEKS: z.coerce.number().int().min(0).max(520).default(4),
  BACKUP_KEEP_MONTHS: z.coerce.number().int().min(0).max(120).default(12),
  BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).optional(),
  BACKUP_MAX_GB: z.coerce.number().positive().max(1_000_000).optional(),
  // Backup signatures (issue 29): the HMAC key, and the keys of before a rotation (comma-separated) that still verify.
  BACKUP_SIGNING_KEY: z.string().min(32).optional(),
  BACKUP_SIGNING_KEYS_OLD: z.string().optional(),
});

/** Whether a HOST value only listens on this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/** Whether a peer address (as Bun's server.requestIP reports it) is this machine. */
export function isLoopbackAddress(address: string | null): boolean {
  if (!address) return false;
  const bare = address.toLowerCase().replace(/^::ffff:/, "");
  return bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * Which proxies may name the client in X-Forwarded-For: none (the peer is the client), a number of hops (the last N
 * addresses before ours are proxies), or the proxies' own addresses.
 */
export type TrustProxy = { kind: "none" } | { kind: "hops"; hops: number } | { kind: "addresses"; addresses: string[] };

export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim();
  if (value === "" || value === "false" || value === "0") return { kind: "none" };
  if (/^\d{1,2}$/.test(value)) return { kind: "hops", hops: Number(value) };
  const addresses = value.split(",").map((part) => part.trim()).filter(Boolean);
  if (addresses.length === 0 || addresses.some((address) => isIP(address) === 0)) {
    throw new Error(`Invalid configuration: TRUST_PROXY must be false, a number of proxy hops (1-99) or a comma-separated list of proxy IP addresses, not "${text}"`);
  }
  return { kind: "addresses", addresses: addresses.map((address) => address.toLowerCase()) };
}

export interface Config {
  production: boolean;
  host: string;
  port: number;
  databasePath: string;
  synchronous: "FULL" | "NORMAL" | "EXTRA";
  writeBatchMax: number;
  /** Most writes waiting for the writer (WRITER_MAX_QUEUED); beyond it a write answers 503 "busy" at once. */
  writerMaxQueued: number;
  /** FULL only: where the fsync runs before a write is answered — on a thread (default) or in COMMIT on the event loop. */
  writeSync: "thread" | "inline";
  /** Whether demo data is loaded into an empty database at start. */
  seedDemo: boolean;
  posDemoKey: string;
  kitchenDemoToken: string;
  maxSaleOre: number;
  /** Largest sale the browser till (Kasse) may queue on the device while the server cannot be reached; 0 turns offline sales off. */
  tillOfflineMaxSaleOre: number;
  maxBodyBytes: number;
  /** /readyz says "not ready" (storage) while the database's filesystem has less free space than this (DISK_FREE_MIN_MB). */
  diskFreeMinBytes: number;
  clientDist: string;
  /** 32 bytes (hex or base64) for CPR encryption; required in production. */
  cprEncryptionKey: string | null;
  /** SMTP connection URL; without it mail goes to the outbox table (shown at /dev/outbox outside production). */
  smtpUrl: string | null;
  mailFrom: string;
  /** The public base URL used in e-mailed links and callback URLs; required in production, else the loopback origin. */
  publicUrl: string | null;
  acquirer: "simulator" | "quickpay";
  /** QuickPay (ACQUIRER=quickpay): the API user's key, the account's private key (signs callbacks) and the API address. */
  quickpay: { apiKey: string; privateKey: string; apiUrl: string; acceptTestMode: boolean; requestTimeoutMs?: number } | null;
  /** The simulator's shared secret for callback signatures: required in production, random per process in development. */
  acquirerSecret: string;
  simulatorDuplicateCallbacks: boolean;
  simulatorTimeoutMs: number;
  /**
   * A staging site's explicit opt-in to the payment simulator (and demo data) in production: the portal then shows
   * a TEST banner on every page. Never set on a site that handles real money.
   */
  testPaymentsInProduction: boolean;
  /** Development was explicitly allowed to listen beyond this machine (ALLOW_NETWORK_IN_DEVELOPMENT=true). */
  networkInDevelopment: boolean;
  trustProxy: TrustProxy;
  /** Open event streams one session may hold at a time (a tab holds one). */
  maxStreamsPerSession: number;
  /** Open event streams one kitchen screen token may hold at a time. */
  maxStreamsPerKitchenScreen: number;
  /** Events one stream may have waiting for a reader that does not read; beyond it the stream is dropped. */
  streamMaxQueuedEvents: number;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Bearer token for /metrics from anywhere but this machine; without it /metrics answers loopback peers only. */
  metricsToken: string | null;
  /** Scheduled backups: off without a directory. */
  backup: { dir: string; intervalMinutes: number; retention: BackupRetention } | null;
  /** HMAC-SHA-256 key for backup signatures (BACKUP_SIGNING_KEY); required in production, a public development key otherwise. */
  backupSigningKey: string | null;
  /** Keys used before a rotation (BACKUP_SIGNING_KEYS_OLD): backups they signed still verify at a restore. */
  backupSigningKeysOld: string[];
}

type Environment = z.infer<typeof environmentSchema>;

/** Refuses, in this order, the settings that are unsafe together: public demo secrets, test money or an open network where they do not belong. */
function refuseUnsafeSettings(
  env: Environment,
  { production, seedDemo, testPaymentsInProduction, networkInDevelopment }: { production: boolean; seedDemo: boolean; testPaymentsInProduction: boolean; networkInDevelopment: boolean },
): void {
  // A production server with demo data would otherwise accept a till key and a screen token printed in the README.
  if (production && seedDemo && (env.POS_DEMO_KEY === PUBLIC_DEMO_POS_KEY || env.KITCHEN_DEMO_TOKEN === PUBLIC_DEMO_KITCHEN_TOKEN)) {
    throw new Error("Invalid configuration: with NODE_ENV=production and SEED_DEMO=true, set POS_DEMO_KEY and KITCHEN_DEMO_TOKEN to secrets of your own (the defaults are public)");
  }
  // QuickPay needs its two keys and nothing else: the same three settings start it in development and production.
  if (env.ACQUIRER === "quickpay" && (!env.QUICKPAY_API_KEY || !env.QUICKPAY_PRIVATE_KEY)) {
    throw new Error("Invalid configuration: ACQUIRER=quickpay needs QUICKPAY_API_KEY and QUICKPAY_PRIVATE_KEY");
  }
  // The simulator approves public test cards, so in production it would credit money that no card paid for; demo data
  // holds balances nobody paid for and published passwords. Both need a staging site's explicit opt-in.
  if (production && env.ACQUIRER === "simulator" && !testPaymentsInProduction) {
    throw new Error(
      "Invalid configuration: NODE_ENV=production with the built-in payment simulator (ACQUIRER=simulator) would credit deposits no card paid for. Configure a real acquirer, or on a staging site set ALLOW_TEST_PAYMENTS_IN_PRODUCTION=true (every page then shows a TEST banner).",
    );
  }
  if (production && seedDemo && !testPaymentsInProduction) {
    throw new Error("Invalid configuration: demo data (SEED_DEMO=true) in production holds unpaid balances and published passwords; only a staging site with ALLOW_TEST_PAYMENTS_IN_PRODUCTION=true may load it.");
  }
  if (production && env.ACQUIRER === "simulator" && !env.ACQUIRER_SECRET) throw new Error("Invalid configuration: ACQUIRER_SECRET must be set in production (at least 16 characters)");
  // Links in mails and the acquirer's callback URL must never follow a request's Host header.
  if (production && !env.PUBLIC_URL) throw new Error("Invalid configuration: PUBLIC_URL must be set in production (the address users reach the portal at, e.g. https://kantine.example.dk)");
  // Development mode has a mail outbox page and a public CPR key: it listens on this machine only unless told otherwise.
  if (!production && !isLoopbackHost(env.HOST) && !networkInDevelopment) {
    throw new Error(
      `Invalid configuration: HOST=${env.HOST} serves the network, but NODE_ENV=${env.NODE_ENV} is not production (demo data, the mail outbox page, development keys). Use HOST=127.0.0.1, run with NODE_ENV=production, or acknowledge with ALLOW_NETWORK_IN_DEVELOPMENT=true.`,
    );
  }
}

/** QuickPay's settings when it is the acquirer (its two keys were checked by refuseUnsafeSettings), else null. */
function quickPaySettings(env: Environment, production: boolean): Config["quickpay"] {
  return env.ACQUIRER === "quickpay"
    ? {
        apiKey: env.QUICKPAY_API_KEY!,
        privateKey: env.QUICKPAY_PRIVATE_KEY!,
        apiUrl: env.QUICKPAY_API_URL,
        // Test-mode payments (QuickPay's test cards) are credited outside production only, unless told otherwise.
        acceptTestMode: env.QUICKPAY_TEST_MODE === "true" || (env.QUICKPAY_TEST_MODE === "auto" && !production),
      }
    : null;
}

/** Scheduled backups when BACKUP_DIR is set, else null. */
function backupSettings(env: Environment): Config["backup"] {
  return env.BACKUP_DIR
    ? {
        dir: env.BACKUP_DIR,
        intervalMinutes: env.BACKUP_INTERVAL_MINUTES,
        retention: {
          hours: env.BACKUP_KEEP_HOURS,
          days: env.BACKUP_KEEP_DAYS,
          weeks: env.BACKUP_KEEP_WEEKS,
          months: env.BACKUP_KEEP_MONTHS,
          maxFiles: env.BACKUP_KEEP ?? null,
          maxBytes: env.BACKUP_MAX_GB === undefined ? null : Math.round(env.BACKUP_MAX_GB * 1e9),
        },
      }
    : null;
}

export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    throw new Error(`Invalid configuration: ${parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ")}`);
  }
  const env = parsed.data;
  const production = env.NODE_ENV === "production";
  // Demo data is never loaded in production unless asked for explicitly.
  const seedDemo = env.SEED_DEMO === "true" || (env.SEED_DEMO === "auto" && !production);
  const testPaymentsInProduction = production && env.ALLOW_TEST_PAYMENTS_IN_PRODUCTION === "true";
  const networkInDevelopment = env.ALLOW_NETWORK_IN_DEVELOPMENT === "true";
  refuseUnsafeSettings(env, { production, seedDemo, testPaymentsInProduction, networkInDevelopment });
  const backupSigningKeysOld = (env.BACKUP_SIGNING_KEYS_OLD ?? "").split(",").map((key) => key.trim()).filter(Boolean);
  if (backupSigningKeysOld.some((key) => key.length < 32)) throw new Error("Invalid configuration: each key in BACKUP_SIGNING_KEYS_OLD must be at least 32 characters (comma-separated)");
  return {
    production,
    host: env.HOST,
    port: env.PORT,
    databasePath: env.DATABASE_PATH,
    synchronous: env.SQLITE_SYNCHRONOUS,
    writeBatchMax: env.WRITE_BATCH_MAX,
    writerMaxQueued: env.WRITER_MAX_QUEUED,
    writeSync: env.WRITE_SYNC,
    seedDemo,
    posDemoKey: env.POS_DEMO_KEY,
    kitchenDemoToken: env.KITCHEN_DEMO_TOKEN,
    maxSaleOre: env.MAX_SALE_ORE,
    tillOfflineMaxSaleOre: env.TILL_OFFLINE_MAX_SALE_ORE,
    maxBodyBytes: env.MAX_BODY_BYTES,
    diskFreeMinBytes: Math.round(env.DISK_FREE_MIN_MB * 1024 * 1024),
    clientDist: env.CLIENT_DIST,
    cprEncryptionKey: env.CPR_ENCRYPTION_KEY ?? null,
    smtpUrl: env.SMTP_URL ?? null,
    mailFrom: env.MAIL_FROM,
    publicUrl: env.PUBLIC_URL ?? null,
    acquirer: env.ACQUIRER,
    quickpay: quickPaySettings(env, production),
    // No default in the source: a development process signs with a secret nobody else knows and that dies with it.
    acquirerSecret: env.ACQUIRER_SECRET ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
    simulatorDuplicateCallbacks: env.SIMULATOR_DUPLICATE_CALLBACKS === "true",
    simulatorTimeoutMs: env.SIMULATOR_TIMEOUT_MS,
    testPaymentsInProduction,
    networkInDevelopment,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    maxStreamsPerSession: env.MAX_STREAMS_PER_SESSION,
    maxStreamsPerKitchenScreen: env.MAX_STREAMS_PER_KITCHEN_SCREEN,
    streamMaxQueuedEvents: env.STREAM_MAX_QUEUED_EVENTS,
    // Tests (NODE_ENV=test) log warnings and errors only, unless asked for more.
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === "test" ? "warn" : "info"),
    metricsToken: env.METRICS_TOKEN ?? null,
    backup: backupSettings(env),
    backupSigningKey: env.BACKUP_SIGNING_KEY ?? null,
    backupSigningKeysOld,
  };
}
