// Reads the server's configuration from environment variables (validated with zod), with documented defaults.
import * as z from "zod";

const booleanText = z.enum(["true", "false", "auto"]);

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
  SEED_DEMO: booleanText.default("auto"),
  POS_DEMO_KEY: z.string().min(16).default(PUBLIC_DEMO_POS_KEY),
  KITCHEN_DEMO_TOKEN: z.string().min(16).default(PUBLIC_DEMO_KITCHEN_TOKEN),
  MAX_SALE_ORE: z.coerce.number().int().min(1).default(100_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
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
});

export interface Config {
  production: boolean;
  host: string;
  port: number;
  databasePath: string;
  synchronous: "FULL" | "NORMAL" | "EXTRA";
  writeBatchMax: number;
  /** Whether demo data is loaded into an empty database at start. */
  seedDemo: boolean;
  posDemoKey: string;
  kitchenDemoToken: string;
  maxSaleOre: number;
  maxBodyBytes: number;
  clientDist: string;
  /** 32 bytes (hex or base64) for CPR encryption; required in production. */
  cprEncryptionKey: string | null;
  /** SMTP connection URL; without it mail goes to the outbox table (shown at /dev/outbox outside production). */
  smtpUrl: string | null;
  mailFrom: string;
  /** The public base URL used in e-mailed links; by default the request's own origin. */
  publicUrl: string | null;
  acquirer: "simulator" | "quickpay";
  /** QuickPay (ACQUIRER=quickpay): the API user's key, the account's private key (signs callbacks) and the API address. */
  quickpay: { apiKey: string; privateKey: string; apiUrl: string; acceptTestMode: boolean; requestTimeoutMs?: number } | null;
  /** Shared secret for acquirer callback signatures; required in production. */
  acquirerSecret: string | null;
  simulatorDuplicateCallbacks: boolean;
  simulatorTimeoutMs: number;
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
  // A production server with demo data would otherwise accept a till key and a screen token printed in the README.
  if (production && seedDemo && (env.POS_DEMO_KEY === PUBLIC_DEMO_POS_KEY || env.KITCHEN_DEMO_TOKEN === PUBLIC_DEMO_KITCHEN_TOKEN)) {
    throw new Error("Invalid configuration: with NODE_ENV=production and SEED_DEMO=true, set POS_DEMO_KEY and KITCHEN_DEMO_TOKEN to secrets of your own (the defaults are public)");
  }
  // QuickPay needs its two keys and nothing else: the same three settings start it in development and production.
  if (env.ACQUIRER === "quickpay" && (!env.QUICKPAY_API_KEY || !env.QUICKPAY_PRIVATE_KEY)) {
    throw new Error("Invalid configuration: ACQUIRER=quickpay needs QUICKPAY_API_KEY and QUICKPAY_PRIVATE_KEY");
  }
  const quickpay =
    env.ACQUIRER === "quickpay"
      ? {
          apiKey: env.QUICKPAY_API_KEY!,
          privateKey: env.QUICKPAY_PRIVATE_KEY!,
          apiUrl: env.QUICKPAY_API_URL,
          // Test-mode payments (QuickPay's test cards) are credited outside production only, unless told otherwise.
          acceptTestMode: env.QUICKPAY_TEST_MODE === "true" || (env.QUICKPAY_TEST_MODE === "auto" && !production),
        }
      : null;
  return {
    production,
    host: env.HOST,
    port: env.PORT,
    databasePath: env.DATABASE_PATH,
    synchronous: env.SQLITE_SYNCHRONOUS,
    writeBatchMax: env.WRITE_BATCH_MAX,
    seedDemo,
    posDemoKey: env.POS_DEMO_KEY,
    kitchenDemoToken: env.KITCHEN_DEMO_TOKEN,
    maxSaleOre: env.MAX_SALE_ORE,
    maxBodyBytes: env.MAX_BODY_BYTES,
    clientDist: env.CLIENT_DIST,
    cprEncryptionKey: env.CPR_ENCRYPTION_KEY ?? null,
    smtpUrl: env.SMTP_URL ?? null,
    mailFrom: env.MAIL_FROM,
    publicUrl: env.PUBLIC_URL ?? null,
    acquirer: env.ACQUIRER,
    quickpay,
    acquirerSecret: env.ACQUIRER_SECRET ?? null,
    simulatorDuplicateCallbacks: env.SIMULATOR_DUPLICATE_CALLBACKS === "true",
    simulatorTimeoutMs: env.SIMULATOR_TIMEOUT_MS,
  };
}
