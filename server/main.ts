// Entry point: `bun server/main.ts` starts Kantinekort with configuration from the environment.
import { loadConfig } from "./config.ts";
import { startServer } from "./app.ts";
import { log } from "./ops/logger.ts";
import { watchEventLoop } from "./loop-delay.ts";

const config = loadConfig();
const running = await startServer(config);
log.info({ url: running.url }, `Kantinekort listening on ${running.url} (database ${config.databasePath}, synchronous=${config.synchronous}, batch ≤ ${config.writeBatchMax})`);
// Keys are never logged; the README documents the default demo key.
if (config.seedDemo) log.info("Demo data on (demo cards and the demo till key are listed in the README).");
// Benchmarks only (bench/run.ts): event-loop delay and commit times, written to a file at stop; never a route.
const loopDelay = process.env.LOOP_DELAY_REPORT ? watchEventLoop(process.env.LOOP_DELAY_REPORT, running.services.store.writer) : null;

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, `${signal}: finishing open writes and stopping`);
  await running.stop();
  loopDelay?.write();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
