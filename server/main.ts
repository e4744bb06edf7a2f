// Entry point: `bun server/main.ts` starts Kantinekort with configuration from the environment.
import { loadConfig } from "./config.ts";
import { startServer } from "./app.ts";
import { log } from "./ops/logger.ts";

const config = loadConfig();
const running = await startServer(config);
log.info({ url: running.url }, `Kantinekort listening on ${running.url} (database ${config.databasePath}, synchronous=${config.synchronous}, batch ≤ ${config.writeBatchMax})`);
// Keys are never logged; the README documents the default demo key.
if (config.seedDemo) log.info("Demo data on (demo cards and the demo till key are listed in the README).");

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, `${signal}: finishing open writes and stopping`);
  await running.stop();
  process.exit(0);
}
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
