// The worker thread of the heavy reads: its own read-only connection, one job at a time, each in one read transaction.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { inReadTransaction, openSqliteReadOnly } from "../../../db/connect.ts";
import type { Tx } from "../../../db/tx.ts";
import { heavyReadJobs, type HeavyReadJob } from "./jobs.ts";

declare const self: Worker;

export interface JobRequest {
  id: number;
  job: HeavyReadJob;
  args: unknown;
}

export type JobAnswer = { id: number; ok: true; value: unknown; ms: number } | { id: number; ok: false; error: string; ms: number };

let sqlite: SqliteDatabase | null = null;

self.onmessage = (event: MessageEvent<{ open: string } | JobRequest>) => {
  const message = event.data;
  if ("open" in message) {
    sqlite = openSqliteReadOnly(message.open);
    return;
  }
  const started = performance.now();
  let answer: JobAnswer;
  try {
    if (!sqlite) throw new Error("the heavy-read worker has no database open");
    const run = heavyReadJobs[message.job] as (tx: Tx, args: unknown) => unknown;
    const value = inReadTransaction(sqlite, (tx) => run(tx, message.args));
    answer = { id: message.id, ok: true, value, ms: performance.now() - started };
  } catch (error) {
    answer = { id: message.id, ok: false, error: error instanceof Error ? error.message : String(error), ms: performance.now() - started };
  }
  self.postMessage(answer);
};
