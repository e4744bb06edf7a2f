// The checkpoint thread (a Worker started by db/writer.ts): copies the WAL back into the database file on its own
// connection, so the checkpoint's writes and fsyncs never block the server's event loop.
import { Database } from "bun:sqlite";

declare const self: Worker;

/** How often the WAL is checkpointed while the server writes. */
const EVERY_MS = 100;

let database: Database | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;

function checkpoint(asked?: number): void {
  if (!database) return;
  try {
    // Raw SQL: checkpointing is a pragma, which Kysely cannot express. PASSIVE never waits for the writer or readers.
    const row = database.query("PRAGMA wal_checkpoint(PASSIVE)").get() as { busy: number; log: number; checkpointed: number };
    self.postMessage({ log: row.log, checkpointed: row.checkpointed, asked });
  } catch (error) {
    // SQLITE_BUSY (another checkpoint running, e.g. a tool's) or a transient I/O error: the next round tries again.
    void error;
  }
}

/**
 * One checkpoint, then the next one EVERY_MS after it ends (not on a fixed interval: a checkpoint that took longer than
 * the interval would otherwise be followed by another at once, and the writer's request below would wait behind it).
 */
function tick(asked?: number): void {
  checkpoint(asked);
  if (database) timer = setTimeout(tick, EVERY_MS);
}

self.onmessage = (event: MessageEvent) => {
  const message = event.data as { type: "start"; path: string } | { type: "now"; asked: number } | { type: "stop" };
  if (message.type === "now") {
    // The writer has paused between transactions so that this checkpoint can take in the whole WAL (db/writer.ts);
    // the report names the request, so the writer knows it is this checkpoint and not one begun before its pause.
    if (timer) clearTimeout(timer);
    tick(message.asked);
  } else if (message.type === "start") {
    database = new Database(message.path);
    // Raw SQL: connection settings (pragmas). FULL: the database file is synced after each checkpoint.
    database.run("PRAGMA busy_timeout = 1000");
    database.run("PRAGMA synchronous = FULL");
    timer = setTimeout(tick, EVERY_MS);
  } else {
    if (timer) clearTimeout(timer);
    timer = null;
    database?.close();
    database = null;
    process.exit(0);
  }
};
