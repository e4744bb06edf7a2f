// Builds the running application: migrate, open the store, seed demo data when configured, and serve HTTP.
import type { Server } from "bun";
import { openStore } from "../db/connect.ts";
import { migrateToLatest } from "../db/migrate.ts";
import { seedDemo } from "./seed.ts";
import { isLoopbackHost, type Config } from "./config.ts";
import { createInProcessBus } from "./events/bus.ts";
import { createHttpHandler, withSecurityHeaders } from "./http.ts";
import type { AppServices } from "./context.ts";
import { CprCipher } from "./auth/cpr.ts";
import { OutboxMailer, SmtpMailer } from "./mail/mailer.ts";
import { AcquirerSimulator } from "./acquirer/simulator.ts";
import { autoTopUpsSettled } from "./services/payments/auto-top-up.ts";
import { reconcilePending, recoverAtStart } from "./services/payments/reconciliation.ts";
import { setOwnOrigin } from "./services/payments/callback-address.ts";
import { QuickPayAcquirer } from "./acquirer/quickpay.ts";
import { resetMailsSettled } from "./routers/auth.ts";
import type { Acquirer } from "./acquirer/acquirer.ts";
import { scheduleRetention } from "./services/retention.ts";
import { errorField, log, setLogLevel } from "./ops/logger.ts";
import { setBackupClock, writerObservers } from "./ops/metrics.ts";
import { startBackupSchedule, type BackupSchedule } from "./backups/scheduler.ts";
import { backupStatus } from "./backups/backup.ts";
import { createHeavyReads } from "./services/reads/pool.ts";
import { startLedgerWatch } from "./services/reads/verify-schedule.ts";
import { startDayKeeper } from "./services/reads/keep-days.ts";
import { startSealer, type Sealer } from "./ledger/sealer.ts";
import { signingKeys } from "./ops/backup-signature.ts";

/** The acquirer named by ACQUIRER: QuickPay, or the embedded simulator (the development default). */
export function acquirerFor(config: Config): Acquirer {
  if (config.acquirer === "quickpay" && config.quickpay) {
    return new QuickPayAcquirer({ ...config.quickpay });
  }
  // Production with the simulator is refused by loadConfig unless a staging site opted in (ALLOW_TEST_PAYMENTS_IN_PRODUCTION).
  return new AcquirerSimulator({
    secret: config.acquirerSecret,
    duplicateCallbacks: config.simulatorDuplicateCallbacks,
    timeoutMs: config.simulatorTimeoutMs,
  });
}

/** Production refuses to start without a real CPR key; development uses a fixed, public one and says so. */
export function cprCipherFor(config: Config): CprCipher {
  if (config.cprEncryptionKey) return new CprCipher(config.cprEncryptionKey);
  if (config.production) throw new Error("CPR_ENCRYPTION_KEY must be set in production (32 bytes as 64 hex characters)");
  log.warn("CPR_ENCRYPTION_KEY is not set: CPR numbers are encrypted with a fixed development key. Never use this database for real data.");
  return CprCipher.development();
}

export async function createServices(config: Config): Promise<AppServices> {
  setLogLevel(config.logLevel);
  const cpr = cprCipherFor(config);
  // Production refuses to start without its own backup signing key; development signs with a public one and says so.
  if (signingKeys(config).development) log.warn("BACKUP_SIGNING_KEY is not set: backups are signed with the public development key, which anyone can forge. Never use this for real data.");
  const acquirer = acquirerFor(config);
  if (config.testPaymentsInProduction) log.warn("ALLOW_TEST_PAYMENTS_IN_PRODUCTION=true: the payment simulator is on and every page shows a TEST banner. Never on a site with real money.");
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous, syncOffLoop: config.writeSync === "thread", writer: { maxBatch: config.writeBatchMax, maxQueued: config.writerMaxQueued, ...writerObservers } });
  // Under FULL, checkpoints run on a worker thread; starting it now keeps its start-up off the first busy minute.
  store.writer.startCheckpointThread();
  if (config.seedDemo) await seedDemo(store, { posDemoKey: config.posDemoKey, kitchenDemoToken: config.kitchenDemoToken });
  const mailer = config.smtpUrl ? new SmtpMailer(config.smtpUrl, config.mailFrom) : new OutboxMailer(store);
  const reads = createHeavyReads(store);
  const services: AppServices = { store, bus: createInProcessBus(), config, mailer, cpr, acquirer, reads, ledgerWatch: startLedgerWatch(reads) };
  // A top-up still pending at start was cut off by a crash or restart: ask the acquirer, else free its account, or
  // auto top-up stops for good.
  const recovered = await recoverAtStart(services);
  if (recovered > 0) log.warn({ recovered }, "recovered automatic top-up(s) interrupted by the last shutdown");
  return services;
}

export interface RunningServer {
  url: string;
  services: AppServices;
  server: Server<undefined>;
  /** Scheduled backups (BACKUP_DIR), or null when they are off. */
  backups: BackupSchedule | null;
  /** Seals new transfers into the ledger's hash chain (ledger/sealer.ts). */
  sealer: Sealer;
  stop(): Promise<void>;
}

/** How often pending payments are read back from the acquirer (lost callbacks). */
const RECONCILE_EVERY_MS = 60_000;

/** How long a graceful stop waits for requests in flight before it closes the remaining connections. */
const STOP_GRACE_MS = 10_000;

/** The origin links point at when PUBLIC_URL is not set: this machine, never a name taken from a request. */
export function loopbackOrigin(host: string, port: number): string {
  const name = isLoopbackHost(host) ? host : "127.0.0.1";
  return `http://${name.includes(":") && !name.startsWith("[") ? `[${name}]` : name}:${port}`;
}

export async function startServer(configuration: Config): Promise<RunningServer> {
  // A copy, because the loopback origin (with the port actually bound) is filled in below.
  const config = { ...configuration };
  const services = await createServices(config);
  let server: Server<undefined>;
  const shutdown = new AbortController();
  const handle = createHttpHandler({
    services,
    clientDist: config.clientDist,
    peerAddress: (request) => server.requestIP(request)?.address ?? null,
    shutdownSignal: shutdown.signal,
  });
  server = Bun.serve({
    hostname: config.host,
    port: config.port,
    // Seconds without bytes before Bun closes a connection; SSE streams send pings well within it.
    idleTimeout: 30,
    // MAX_BODY_BYTES is enforced in the request log (server/ops/http.ts), so that a refused body gets its log line:
    // Bun's own refusal comes before any of our code. Bodies are never read past MAX_BODY_BYTES there.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: handle,
    error(error) {
      // One line, no stack trace: the details of a failure we did not foresee are for a debugger, not the log.
      log.error({ err: errorField(error) }, "unhandled request error");
      return withSecurityHeaders(new Response("Internal server error", { status: 500 }));
    },
  });
  // Runs before the first request is handled (Bun calls fetch only once this function has returned to the event loop).
  config.publicUrl ??= loopbackOrigin(config.host, server.port!);
  const url = `http://${config.host}:${server.port}`;
  setOwnOrigin(url);
  // Lost callbacks are recovered by reading pending payments back from the acquirer: once now, then every minute.
  const reconcile = () => void reconcilePending(services).catch((error) => log.error({ err: errorField(error, true) }, "payment reconciliation failed"));
  reconcile();
  const reconciler = setInterval(reconcile, RECONCILE_EVERY_MS);
  // Expired sessions, old login records, spent reset links and old mail are purged now and every 10 minutes.
  const stopRetention = scheduleRetention(services.store);
  // The metrics' backup age comes from the backups table, so manual backups (npm run backup) count too.
  setBackupClock(() => services.store.read(backupStatus).lastSuccessAt);
  // New transfers are sealed into the ledger's hash chain after commit, hashed on the heavy-read worker (decision 004).
  const sealer = startSealer(services.store, { propose: (maxTransfers) => services.reads.run("sealProposal", { maxTransfers }) });
  const backups = config.backup ? startBackupSchedule(services, { ...config.backup, beforeCopy: () => sealer.sealNow() }) : null;
  // Closed days' report totals are computed in the background (on the heavy-read worker), a month at a time.
  const dayKeeper = startDayKeeper(services.store, services.reads);
  return {
    url,
    services,
    server,
    backups,
    sealer,
    async stop() {
      // A sale queued in the writer still commits, so its till must get the answer: stop accepting connections,
      // end the event streams, let requests in flight finish (bounded), then drain the writer and close the files.
      shutdown.abort();
      clearInterval(reconciler);
      stopRetention();
      await backups?.stop();
      let graceTimer: ReturnType<typeof setTimeout> | undefined;
      const graceOver = new Promise<void>((resolve) => {
        graceTimer = setTimeout(resolve, STOP_GRACE_MS);
      });
      await Promise.race([server.stop(false), graceOver]);
      await server.stop(true);
      // Work that outlives its request (an automatic top-up waiting on the card charge, a reset mail) records its
      // outcome before the database closes, within the same grace period: a charge whose answer found the store closed
      // would be recorded as interrupted at the next start although the card may have been charged.
      await Promise.race([Promise.all([autoTopUpsSettled(), resetMailsSettled()]), graceOver]);
      clearTimeout(graceTimer);
      dayKeeper.stop();
      // The last sales are sealed before the worker and the files close.
      await sealer.stop();
      services.ledgerWatch.stop();
      services.reads.close();
      await services.store.close();
    },
  };
}
