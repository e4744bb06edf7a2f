// Group commit: concurrent write jobs are gathered into one SQLite transaction (a savepoint each) and one fsync, and
// that fsync runs off the event loop, so a slow disk never stalls the HTTP handling of other requests.
import type { Database as SqliteDatabase } from "bun:sqlite";
import type { RecordableHistogram } from "node:perf_hooks";
import { makeTx, type WriteTx } from "./tx.ts";
import { storageErrorCode } from "./storage-errors.ts";
import { CheckpointDriver } from "./checkpoint-driver.ts";
import { fdatasyncAsync, WalFile } from "./wal-file.ts";

/**
 * How a commit is made durable before its jobs are answered.
 * - `wal-sync` (what FULL means for a store): the connection commits without syncing (synchronous=NORMAL, so COMMIT
 *   only write()s the WAL frames) and the writer then fdatasyncs the WAL file on Bun's I/O thread pool. One sync
 *   covers every batch committed before it started; jobs are answered only after it. Checkpoints run on a worker
 *   thread (db/checkpointer.ts), so they never block the event loop either.
 * - `inline`: COMMIT itself syncs (synchronous=FULL or EXTRA on the connection), on the event loop.
 * - `none`: answered after COMMIT without a sync (synchronous=NORMAL: a power cut may lose the last commits).
 */
export type Durability = "wal-sync" | "inline" | "none";

export interface WriterOptions {
  /** Most jobs in one transaction. 1 gives the plain path: one transaction (and one fsync) per job. */
  maxBatch?: number;
  /** Set by openStore from the store's synchronous mode; `inline` when not given. */
  durability?: Durability;
  /** The database file (wal-sync): its `-wal` file is synced, and the checkpointer opens it. */
  databasePath?: string;
  /**
   * Syncs a file's data to disk without blocking the event loop; node:fs fdatasync by default. Only tests pass
   * another, which still calls the real one (to hold a sync back and watch that nothing is answered before it).
   */
  syncFile?: (fd: number) => Promise<void>;
  /** Told after every commit: jobs in the transaction and its time from BEGIN to COMMIT (metrics). */
  onCommit?: (jobs: number, seconds: number) => void;
  /** Told when a transaction could not begin or commit, or its sync failed (every job in it, `jobs` of them, failed). */
  onCommitFailed?: (error: unknown, jobs: number) => void;
  /**
   * Most jobs waiting for their transaction (WRITER_MAX_QUEUED); a job beyond it is refused at once with
   * WriterBusyError, so a burst larger than the disk can take answers "busy, try again" instead of growing memory
   * and every till's wait without bound. 10,000 by default: about four seconds of sales at this machine's rate.
   */
  maxQueued?: number;
  /** Told when a job is refused because the queue is full (metrics). */
  onBusy?: () => void;
}

/** A write refused before it ran because the writer's queue is full: nothing of it was written, the same request may be sent again. */
export class WriterBusyError extends Error {
  constructor(readonly queued: number) {
    super(`the writer's queue is full (${queued} writes waiting): try again shortly`);
    this.name = "WriterBusyError";
  }
}

export const DEFAULT_MAX_QUEUED = 10_000;

interface Job {
  fn: (tx: WriteTx) => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Committed {
  batch: Job[];
  outcomes: Outcome[];
}

/**
 * The only place that opens write transactions. Each job runs synchronously inside its own savepoint,
 * so one failing job (an invariant violation, a constraint) is undone without touching its neighbours.
 * Jobs are answered only once their transaction is committed and on disk (see Durability).
 */
export class GroupCommitWriter {
  readonly maxBatch: number;
  readonly maxQueued: number;
  readonly durability: Durability;
  private readonly queue: Job[] = [];
  private scheduled = false;
  private readonly tx: WriteTx;
  private idleWaiters: Array<() => void> = [];
  /** Transaction-control statements, prepared once: compiling them per job showed up in the benchmark. */
  private readonly control: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", { run(): unknown }>;
  /** Committed batches waiting for the next WAL sync (wal-sync). */
  private awaitingSync: Committed[] = [];
  private syncing = false;
  /** A failed sync: the disk may have dropped committed pages, so no further write is accepted (restart the server). */
  private broken: Error | null = null;
  private readonly wal: WalFile | null;
  private readonly syncFile: (fd: number) => Promise<void>;
  /** The checkpoint thread and the pauses it asks for (wal-sync only). */
  private readonly checkpoints: CheckpointDriver | null;
  /**
   * Counters for benchmarks: transactions committed, jobs run, the time the event loop spent blocked in batches
   * (running the jobs and COMMIT) and in COMMIT alone, and the WAL syncs (off the loop), all in milliseconds.
   */
  readonly stats = {
    commits: 0,
    jobs: 0,
    /** CPU time (process-wide, measured around each batch) — wall time above also counts time the OS ran others. */
    batchCpuMsTotal: 0,
    batchMsTotal: 0,
    batchMsMax: 0,
    commitMsTotal: 0,
    commitMsMax: 0,
    syncs: 0,
    syncMsTotal: 0,
    syncMsMax: 0,
    checkpoints: 0,
    /** Times new transactions were held back for a checkpoint (of which restartPauses to restart the WAL). */
    pauses: 0,
    restartPauses: 0,
    /** The longest time new transactions were held back, in milliseconds. */
    pauseMsMax: 0,
    /** Pauses that ran out without their checkpoint catching up (a reader held the WAL); none follows for a while. */
    pausesRunOut: 0,
    /** Times the WAL was seen to start over from its beginning (a checkpoint found it shorter than the last one did). */
    walRestarts: 0,
  };

  /**
   * The last commit that failed because of the storage (disk full, read-only, I/O error), until a commit succeeds:
   * /readyz reads it. `at` is Date.now() of the latest such failure.
   */
  storageFailure: { code: string; at: number } | null = null;

  private readonly onCommit: WriterOptions["onCommit"];
  private readonly onCommitFailed: WriterOptions["onCommitFailed"];
  private readonly onBusy: WriterOptions["onBusy"];
  /** Whether batchCpuMsTotal is kept (a few µs per batch): on only while a benchmark watches (server/loop-delay.ts). */
  measureCpu = false;
  /** Set by a benchmark (server/loop-delay.ts): each WAL sync's time is recorded here, in microseconds. */
  syncHistogram: RecordableHistogram | null = null;

  constructor(sqlite: SqliteDatabase, options: WriterOptions = {}) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.maxQueued = Math.max(1, options.maxQueued ?? DEFAULT_MAX_QUEUED);
    this.onBusy = options.onBusy;
    this.onCommit = options.onCommit;
    this.onCommitFailed = options.onCommitFailed;
    this.durability = options.durability ?? "inline";
    if (this.durability === "wal-sync" && !options.databasePath) throw new Error("wal-sync needs the database path");
    this.wal = this.durability === "wal-sync" ? new WalFile(`${options.databasePath}-wal`) : null;
    this.checkpoints =
      this.durability === "wal-sync"
        ? new CheckpointDriver(sqlite, options.databasePath!, this.stats, () => {
            if (this.queue.length > 0) this.schedule();
          })
        : null;
    this.syncFile = options.syncFile ?? fdatasyncAsync;
    this.tx = { ...makeTx(sqlite), __write: true } as WriteTx;
    // Raw SQL: transaction control and savepoints, which Kysely only offers asynchronously; a job must stay synchronous.
    this.control = {
      // IMMEDIATE takes the write lock up front, so two writers never deadlock on a lock upgrade.
      begin: sqlite.query("BEGIN IMMEDIATE"),
      commit: sqlite.query("COMMIT"),
      rollback: sqlite.query("ROLLBACK"),
      savepoint: sqlite.query("SAVEPOINT job"),
      release: sqlite.query("RELEASE job"),
      rollbackTo: sqlite.query("ROLLBACK TO job"),
    };
  }

  submit<T>(fn: (tx: WriteTx) => T): Promise<T> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.queue.length >= this.maxQueued) {
      this.onBusy?.();
      return Promise.reject(new WriterBusyError(this.queue.length));
    }
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every queued job has been committed, synced and answered. */
  drain(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for every job, then stops the checkpoint thread and lets go of the WAL file. */
  async close(): Promise<void> {
    this.checkpoints?.resume();
    await this.drain();
    await this.checkpoints?.stop();
    this.wal?.close();
  }

  private idle(): boolean {
    return this.queue.length === 0 && !this.scheduled && !this.syncing && this.awaitingSync.length === 0;
  }

  private wakeIdleWaiters(): void {
    if (!this.idle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  private schedule(): void {
    if (this.scheduled || this.checkpoints?.paused) return;
    this.scheduled = true;
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.checkpoints?.paused) return;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length > 0) this.commitBatch(batch);
    if (this.queue.length > 0) this.schedule();
    else this.wakeIdleWaiters();
  }

  private commitBatch(batch: Job[]): void {
    const started = performance.now();
    const cpuAtStart = this.measureCpu ? process.cpuUsage() : null;
    const outcomes: Outcome[] = [];
    let committing = 0;
    try {
      this.control.begin.run();
    } catch (error) {
      this.commitFailed(error, batch);
      return;
    }
    // A job that failed on the storage (a page spill into a full WAL): SQLite may then have rolled the whole
    // transaction back, and the next statement's error ("no such savepoint") would hide the real cause.
    let storageError: unknown = null;
    try {
      for (const job of batch) {
        this.control.savepoint.run();
        try {
          const value = job.fn(this.tx);
          if (value instanceof Promise) throw new Error("write jobs must be synchronous");
          this.control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          if (storageError === null && storageErrorCode(error) !== null) storageError = error;
          this.control.rollbackTo.run();
          this.control.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      committing = performance.now();
      this.control.commit.run();
    } catch (error) {
      // COMMIT itself failed (disk full, I/O error): nothing of this batch is durable, so every job fails.
      try {
        this.control.rollback.run();
      } catch {
        // The transaction may already be gone; the jobs are rejected either way.
      }
      this.commitFailed(storageError ?? error, batch);
      return;
    }
    this.storageFailure = null;
    const finished = performance.now();
    this.stats.commits += 1;
    this.stats.jobs += batch.length;
    if (cpuAtStart) {
      const cpu = process.cpuUsage(cpuAtStart);
      this.stats.batchCpuMsTotal += (cpu.user + cpu.system) / 1000;
    }
    this.stats.batchMsTotal += finished - started;
    this.stats.batchMsMax = Math.max(this.stats.batchMsMax, finished - started);
    this.stats.commitMsTotal += finished - committing;
    this.stats.commitMsMax = Math.max(this.stats.commitMsMax, finished - committing);
    this.onCommit?.(batch.length, (finished - started) / 1000);
    if (this.durability === "wal-sync") {
      this.awaitingSync.push({ batch, outcomes });
      this.startSync();
    } else {
      answer({ batch, outcomes });
    }
  }

  /** A transaction that could not begin or commit: every job in it fails with the same error, and nothing of it is written. */
  private commitFailed(error: unknown, batch: Job[]): void {
    const code = storageErrorCode(error);
    if (code !== null) this.storageFailure = { code, at: Date.now() };
    this.onCommitFailed?.(error, batch.length);
    for (const job of batch) job.reject(error);
  }

  /**
   * One fdatasync of the WAL at a time, on the I/O thread pool. Everything COMMIT wrote before the sync started is
   * on disk when it returns, so it answers every batch committed by then; batches committed meanwhile wait for the
   * next one (group commit at the disk, while the event loop goes on serving and committing).
   */
  private startSync(): void {
    if (this.syncing || this.awaitingSync.length === 0) return;
    this.syncing = true;
    const covered = this.awaitingSync;
    this.awaitingSync = [];
    const started = performance.now();
    let fd: number;
    try {
      fd = this.wal!.open();
    } catch (error) {
      this.syncFailed(covered, error);
      return;
    }
    this.syncFile(fd).then(
      () => {
        const took = performance.now() - started;
        this.stats.syncs += 1;
        this.stats.syncMsTotal += took;
        this.stats.syncMsMax = Math.max(this.stats.syncMsMax, took);
        this.syncHistogram?.record(Math.max(1, Math.round(took * 1000)));
        this.syncing = false;
        for (const committed of covered) answer(committed);
        this.afterSync();
      },
      (error) => this.syncFailed(covered, error),
    );
  }

  private afterSync(): void {
    this.startSync();
    this.wakeIdleWaiters();
    this.checkpoints!.startWhenWalIsLarge(this.wal!.path);
  }

  private syncFailed(covered: Committed[], error: unknown): void {
    // fsync failed: the kernel may have dropped the dirty pages, so what SQLite committed is not known to be on disk.
    // Never acknowledge it, and refuse every further write until an operator restarts (as PostgreSQL does).
    this.broken = new Error(`the database could not be synced to disk (${error instanceof Error ? error.message : String(error)}); restart the server`, { cause: error });
    console.error(`[DURABILITY] ${this.broken.message}`);
    const code = storageErrorCode(this.broken);
    if (code !== null) this.storageFailure = { code, at: Date.now() };
    let jobs = 0;
    for (const { batch } of [...covered, ...this.awaitingSync]) jobs += batch.length;
    this.onCommitFailed?.(this.broken, jobs + this.queue.length);
    this.syncing = false;
    for (const { batch } of covered) for (const job of batch) job.reject(this.broken);
    for (const { batch } of this.awaitingSync) for (const job of batch) job.reject(this.broken);
    this.awaitingSync = [];
    for (const job of this.queue.splice(0)) job.reject(this.broken);
    this.wakeIdleWaiters();
  }

  /** Starts the checkpoint thread before the server serves (see CheckpointDriver.start); wal-sync only. */
  startCheckpointThread(): void {
    this.checkpoints?.start();
  }
}

function answer({ batch, outcomes }: Committed): void {
  batch.forEach((job, index) => {
    const outcome = outcomes[index]!;
    if (outcome.ok) job.resolve(outcome.value);
    else job.reject(outcome.error);
  });
}
