// Heavy reads off the event loop that answers the tills (issue 27): a worker thread with its own connection, a bounded
// queue, and a time limit per job after which the worker is replaced and the caller told to ask for less.
import type { Store } from "../../../db/connect.ts";
import { heavyReadJobs, type HeavyReadArgs, type HeavyReadJob, type HeavyReadResult } from "./jobs.ts";
import type { JobAnswer, JobRequest } from "./worker.ts";

/** A heavy read took longer than its limit: the worker was replaced; a shorter period or a narrower search may do. */
export class HeavyReadTimeoutError extends Error {
  constructor(readonly job: string, readonly timeoutMs: number) {
    super(`${job} took longer than ${Math.round(timeoutMs / 1000)} s`);
    this.name = "HeavyReadTimeoutError";
  }
}

/** More heavy reads are waiting than the queue holds: the caller should try again shortly. */
export class HeavyReadsBusyError extends Error {
  constructor() {
    super("too many reports and searches are running; try again shortly");
    this.name = "HeavyReadsBusyError";
  }
}

export interface HeavyReads {
  run<K extends HeavyReadJob>(job: K, args: HeavyReadArgs<K>, options?: { timeoutMs?: number }): Promise<HeavyReadResult<K>>;
  /** How long the last jobs of each kind took (ms), for /metrics and the bench. */
  readonly lastMs: ReadonlyMap<HeavyReadJob, number>;
  close(): void;
}

export interface HeavyReadsOptions {
  /** Default time limit of a job. */
  timeoutMs?: number;
  /** Jobs waiting beyond the one running; one more is refused as busy. */
  queueMax?: number;
  /** Run the jobs on the store's own read connection instead of a worker (createCaller tests, which never close). */
  inline?: boolean;
}

/** A report or search that takes longer than this is stopped; a year's report at 3M sales takes well under it. */
export const HEAVY_READ_TIMEOUT_MS = 20_000;
const HEAVY_READ_QUEUE_MAX = 16;

interface Pending {
  request: JobRequest;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The heavy reads of a store. A store on a file gets a worker thread, started at the first job and kept; an in-memory
 * store (some tests) has no file another connection could open, so its jobs run inline on its read connection.
 */
export function createHeavyReads(store: Store, options: HeavyReadsOptions = {}): HeavyReads {
  const lastMs = new Map<HeavyReadJob, number>();
  const defaultTimeoutMs = options.timeoutMs ?? HEAVY_READ_TIMEOUT_MS;
  const queueMax = options.queueMax ?? HEAVY_READ_QUEUE_MAX;
  if (options.inline || store.path === ":memory:") {
    return {
      lastMs,
      async run(job, args) {
        const started = performance.now();
        const run = heavyReadJobs[job] as (tx: unknown, args: unknown) => unknown;
        const value = store.read((tx) => run(tx, args));
        lastMs.set(job, performance.now() - started);
        return value as never;
      },
      close() {},
    };
  }

  let worker: Worker | null = null;
  let running: Pending | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  function startWorker(): Worker {
    const started = new Worker(new URL("./worker.ts", import.meta.url).href);
    // The worker must not keep a stopping process alive; its jobs are answered or rejected at close.
    (started as Worker & { unref?: () => void }).unref?.();
    started.onmessage = (event: MessageEvent<JobAnswer>) => finish(event.data);
    started.onerror = (event) => {
      event.preventDefault?.();
      replaceWorker(new Error(`the heavy-read worker failed: ${event.message}`));
    };
    started.postMessage({ open: store.path });
    return started;
  }

  function replaceWorker(error: Error): void {
    worker?.terminate();
    worker = null;
    if (timer) clearTimeout(timer);
    timer = null;
    const failed = running;
    running = null;
    failed?.reject(error);
    pump();
  }

  function finish(answer: JobAnswer): void {
    if (!running || answer.id !== running.request.id) return;
    if (timer) clearTimeout(timer);
    timer = null;
    const done = running;
    running = null;
    lastMs.set(done.request.job, answer.ms);
    if (answer.ok) done.resolve(answer.value);
    else done.reject(new Error(answer.error));
    pump();
  }

  function pump(): void {
    if (running || closed) return;
    const next = queue.shift();
    if (!next) return;
    running = next;
    worker ??= startWorker();
    timer = setTimeout(() => replaceWorker(new HeavyReadTimeoutError(next.request.job, next.timeoutMs)), next.timeoutMs);
    timer.unref?.();
    worker.postMessage(next.request);
  }

  return {
    lastMs,
    run(job, args, runOptions) {
      if (closed) return Promise.reject(new Error("heavy reads are closed"));
      if (queue.length >= queueMax) return Promise.reject(new HeavyReadsBusyError());
      return new Promise((resolve, reject) => {
        queue.push({ request: { id: nextId++, job, args }, timeoutMs: runOptions?.timeoutMs ?? defaultTimeoutMs, resolve: resolve as (value: unknown) => void, reject });
        pump();
      });
    },
    close() {
      closed = true;
      const error = new Error("heavy reads are closed");
      for (const waiting of queue.splice(0)) waiting.reject(error);
      replaceWorker(error);
    },
  };
}
