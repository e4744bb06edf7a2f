// Group commit: concurrent write jobs are gathered into one SQLite transaction (a savepoint each) and one fsync.
import type { Database as SqliteDatabase } from "bun:sqlite";
import { makeTx, type WriteTx } from "./tx.ts";

export interface WriterOptions {
  /** Most jobs in one transaction. 1 gives the plain path: one transaction (and one fsync) per job. */
  maxBatch?: number;
  /** Told after every commit: jobs in the transaction and its time from BEGIN to COMMIT (metrics). */
  onCommit?: (jobs: number, seconds: number) => void;
  /** Told when a transaction could not begin or commit (every job in it failed). */
  onCommitFailed?: (error: unknown) => void;
}

interface Job {
  fn: (tx: WriteTx) => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The only place that opens write transactions. Each job runs synchronously inside its own savepoint,
 * so one failing job (an invariant violation, a constraint) is undone without touching its neighbours.
 * Jobs are answered only after COMMIT returns, so an acknowledged write is on disk (synchronous=FULL).
 */
export class GroupCommitWriter {
  readonly maxBatch: number;
  private readonly queue: Job[] = [];
  private scheduled = false;
  private readonly tx: WriteTx;
  private idleWaiters: Array<() => void> = [];
  /** Transaction-control statements, prepared once: compiling them per job showed up in the benchmark. */
  private readonly control: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", { run(): unknown }>;
  /**
   * Counters for benchmarks: transactions committed, jobs run, and the time the event loop spent blocked in batches
   * (running the jobs and COMMIT) and in COMMIT alone, in milliseconds.
   */
  readonly stats = { commits: 0, jobs: 0, batchMsTotal: 0, batchMsMax: 0, commitMsTotal: 0, commitMsMax: 0 };
  private readonly onCommit: WriterOptions["onCommit"];
  private readonly onCommitFailed: WriterOptions["onCommitFailed"];

  constructor(private readonly sqlite: SqliteDatabase, options: WriterOptions = {}) {
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.onCommit = options.onCommit;
    this.onCommitFailed = options.onCommitFailed;
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
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every queued job has been committed. */
  drain(): Promise<void> {
    if (this.queue.length === 0 && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length > 0) this.commitBatch(batch);
    if (this.queue.length > 0) {
      this.schedule();
    } else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private commitBatch(batch: Job[]): void {
    const started = performance.now();
    const outcomes: Outcome[] = [];
    let committing = 0;
    try {
      this.control.begin.run();
    } catch (error) {
      this.onCommitFailed?.(error);
      for (const job of batch) job.reject(error);
      return;
    }
    try {
      for (const job of batch) {
        this.control.savepoint.run();
        try {
          const value = job.fn(this.tx);
          if (value instanceof Promise) throw new Error("write jobs must be synchronous");
          this.control.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
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
      this.onCommitFailed?.(error);
      for (const job of batch) job.reject(error);
      return;
    }
    const finished = performance.now();
    this.stats.commits += 1;
    this.stats.jobs += batch.length;
    this.stats.batchMsTotal += finished - started;
    this.stats.batchMsMax = Math.max(this.stats.batchMsMax, finished - started);
    this.stats.commitMsTotal += finished - committing;
    this.stats.commitMsMax = Math.max(this.stats.commitMsMax, finished - committing);
    this.onCommit?.(batch.length, (finished - started) / 1000);
    batch.forEach((job, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}
