// The writer's side of the checkpoint thread (db/checkpointer.ts): starts it, reads its reports, and holds new
// transactions back when the WAL runs far ahead of the checkpoints (wal-sync only).
import type { Database as SqliteDatabase } from "bun:sqlite";
import { statSync } from "node:fs";

/** Start the checkpoint thread once the WAL file is this large (SQLite's own default checkpoints at ~4 MB). */
const CHECKPOINTER_START_BYTES = 4 * 1024 * 1024;
/** Un-checkpointed WAL frames (4 KiB pages: ~64 MiB) beyond which the writer waits for a checkpoint to catch up. */
const MAX_WAL_FRAMES = 16_384;
/** The longest such a wait lasts (a reader that holds an old snapshot can keep a checkpoint from finishing). */
const MAX_PAUSE_MS = 1_000;
/**
 * WAL frames (~16 MiB) after which the writer holds its next transaction back for one checkpoint, so that the WAL
 * restarts from its beginning. Under steady load a checkpoint never takes in the whole WAL (commits keep arriving while
 * it runs), so without this the WAL grows until MAX_WAL_FRAMES and the writer then waits for a checkpoint of the whole
 * backlog: a ~120 ms stall every few seconds at 1,000 sales/s (issue 16). Asked for at once, right after a checkpoint
 * that caught up, the held-back checkpoint has only a few milliseconds of commits left to copy.
 */
const RESTART_WAL_FRAMES = 4_096;
/** The longest a restart pause lasts; the writer goes on without a restart after it. */
const MAX_RESTART_PAUSE_MS = 50;
/**
 * After a pause that ran out without its checkpoint catching up, no pause for this long. What kept the checkpoint
 * back then was a reader's snapshot (a report, the ledger check, a backup on another connection), not the writer:
 * holding the tills back does not help it, and pausing again and again while a long read runs stopped every till for
 * seconds (issue 27, seen with the heavy-read worker at 3M sales). The WAL grows meanwhile, and starts over after.
 */
const PAUSE_BACKOFF_MS = 5_000;
/** At most one restart pause in this time (a reader holding an old snapshot can keep the WAL from restarting). */
const RESTART_PAUSE_EVERY_MS = 1_000;

/** The writer's counters this driver keeps (see GroupCommitWriter.stats). */
export interface CheckpointStats {
  checkpoints: number;
  pauses: number;
  restartPauses: number;
  pauseMsMax: number;
  pausesRunOut: number;
  walRestarts: number;
}

/**
 * Checkpoints copy the WAL back into the database file and sync it: SQLite would run them inside a COMMIT, on the
 * event loop, every ~1,000 pages. Here a worker thread with its own connection runs them (PASSIVE: never blocking
 * the writer), and the writer waits (without blocking the loop) only if the WAL ever runs far ahead of it.
 */
export class CheckpointDriver {
  private checkpointer: Worker | null = null;
  private checkpointerFailed = false;
  private pausedSince: number | null = null;
  private lastRestartPause = -Infinity;
  private lastCheckpointLog = 0;
  /** Numbers the checkpoints asked for by pauses, so a pause ends on its own checkpoint's report. */
  private pauseRequest = 0;
  /** Whether the checkpoint asked for by the current pause has reported (the thread answers in order). */
  private pauseAnswered = false;
  private pauseTimer: ReturnType<typeof setTimeout> | null = null;
  /** No pause before this time (performance.now()): the last one ran out, a reader holds the WAL (PAUSE_BACKOFF_MS). */
  private noPauseUntil = -Infinity;

  /** `onResume` is told when a pause ends, so the writer schedules the transactions it held back. */
  constructor(
    private readonly sqlite: SqliteDatabase,
    private readonly databasePath: string,
    private readonly stats: CheckpointStats,
    private readonly onResume: () => void,
  ) {}

  /** Whether new transactions are held back for a checkpoint right now. */
  get paused(): boolean {
    return this.pausedSince !== null;
  }

  /**
   * Starts the checkpoint thread now rather than when the WAL first passes 4 MB: creating a Worker blocks the event
   * loop while its runtime starts (tens of ms, much more on a busy machine), so the server does it before it serves.
   */
  start(): void {
    if (!this.checkpointer && !this.checkpointerFailed) this.startCheckpointer();
  }

  /** After a WAL sync: starts the thread once the WAL has grown past CHECKPOINTER_START_BYTES. */
  startWhenWalIsLarge(walPath: string): void {
    if (this.checkpointer || this.checkpointerFailed) return;
    try {
      // A cheap size check, after the answers went out.
      if (statSync(walPath).size >= CHECKPOINTER_START_BYTES) this.startCheckpointer();
    } catch {
      // The size check is only a trigger; the next sync looks again.
    }
  }

  /** Stops the checkpoint thread (waiting up to two seconds for it to end). */
  async stop(): Promise<void> {
    if (!this.checkpointer) return;
    const checkpointer = this.checkpointer;
    checkpointer.postMessage({ type: "stop" });
    await new Promise<void>((resolve) => {
      const done = setTimeout(resolve, 2_000);
      checkpointer.addEventListener("close", () => {
        clearTimeout(done);
        resolve();
      });
    });
    this.checkpointer = null;
  }

  private startCheckpointer(): void {
    try {
      const worker = new Worker(new URL("./checkpointer.ts", import.meta.url).href);
      worker.addEventListener("message", (event: MessageEvent) => this.onCheckpoint(event.data as { log: number; checkpointed: number; asked?: number }));
      worker.addEventListener("error", (event) => {
        console.error(`checkpoint thread failed (${(event as ErrorEvent).message}); SQLite checkpoints in COMMIT again`);
        this.checkpointerFailed = true;
        this.checkpointer = null;
        this.inlineCheckpoints();
        this.resume();
      });
      (worker as unknown as { unref(): void }).unref();
      worker.postMessage({ type: "start", path: this.databasePath });
      this.checkpointer = worker;
    } catch (error) {
      console.error("checkpoint thread could not start; SQLite checkpoints in COMMIT again", error);
      this.checkpointerFailed = true;
      this.inlineCheckpoints();
    }
  }

  private inlineCheckpoints(): void {
    // Raw SQL: a pragma (connection setting) that Kysely cannot express. 1000 pages is SQLite's default.
    this.sqlite.run("PRAGMA wal_autocheckpoint = 1000");
  }

  private onCheckpoint(report: { log: number; checkpointed: number; asked?: number }): void {
    this.stats.checkpoints += 1;
    if (report.log < this.lastCheckpointLog) this.stats.walRestarts += 1;
    this.lastCheckpointLog = report.log;
    const behind = report.log - report.checkpointed;
    if (this.pausedSince !== null) {
      // Only the checkpoint asked for during the pause, and those after it, saw the whole WAL: one begun before it may
      // report "caught up" on a shorter WAL, and resuming then would leave frames behind (and the WAL would not restart).
      if (report.asked === this.pauseRequest) this.pauseAnswered = true;
      if (this.pauseAnswered && behind <= 0) this.resume();
      return;
    }
    const now = performance.now();
    if (now < this.noPauseUntil) return;
    if (report.log > MAX_WAL_FRAMES && behind > 0) {
      // The WAL is far ahead: let the checkpoint catch up, so the next transaction starts the WAL from its beginning.
      this.pause(MAX_PAUSE_MS);
    } else if (report.log >= RESTART_WAL_FRAMES && now - this.lastRestartPause >= RESTART_PAUSE_EVERY_MS) {
      this.lastRestartPause = now;
      this.stats.restartPauses += 1;
      this.pause(MAX_RESTART_PAUSE_MS);
    }
  }

  /** Holds new transactions back (answers of committed ones still go out) and asks for a checkpoint at once. */
  private pause(atMostMs: number): void {
    this.pausedSince = performance.now();
    this.stats.pauses += 1;
    this.pauseTimer = setTimeout(() => {
      // Ran out: the checkpoint could not catch up, so something other than the writer holds the WAL.
      this.stats.pausesRunOut += 1;
      this.noPauseUntil = performance.now() + PAUSE_BACKOFF_MS;
      this.resume();
    }, atMostMs);
    this.pauseRequest += 1;
    this.pauseAnswered = false;
    this.checkpointer?.postMessage({ type: "now", asked: this.pauseRequest });
  }

  /** Ends a pause (if one is on) and lets the writer go on. */
  resume(): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer);
    this.pauseTimer = null;
    if (this.pausedSince === null) return;
    this.stats.pauseMsMax = Math.max(this.stats.pauseMsMax, performance.now() - this.pausedSince);
    this.pausedSince = null;
    this.onResume();
  }
}
