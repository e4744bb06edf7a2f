// Runs the ledger verifier in the heavy-read worker on a timer, keeps its last answer, and raises the alarm when it fails.
import type { VerifierReport } from "../../ledger/verifier.ts";
import { errorField, log } from "../../ops/logger.ts";
import { ledgerVerification } from "../../ops/metrics.ts";
import type { HeavyReads } from "./pool.ts";

export interface LedgerWatch {
  /** The verifier's last answer; null until its first step has finished. */
  latest(): VerifierReport | null;
  /** Runs one step now (tests, and the report when asked for a fresh look); resolves with its answer. */
  stepNow(options?: { full?: boolean }): Promise<VerifierReport>;
  stop(): void;
}

/** New transfers are verified this often; a broken ledger shows within about this long (the issue asks for a minute). */
export const VERIFY_EVERY_MS = 10_000;
/** The whole book is summed from its first transfer again this often, whatever the steps found. */
export const VERIFY_FULL_EVERY_MS = 6 * 60 * 60_000;

export function startLedgerWatch(reads: HeavyReads, options: { everyMs?: number; fullEveryMs?: number; firstDelayMs?: number; scheduled?: boolean } = {}): LedgerWatch {
  const everyMs = options.everyMs ?? VERIFY_EVERY_MS;
  const fullEveryMs = options.fullEveryMs ?? VERIFY_FULL_EVERY_MS;
  let latest: VerifierReport | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function record(report: VerifierReport): VerifierReport {
    if (latest?.ok !== false && !report.ok) log.error({ violations: report.violations.slice(0, 10), throughSeq: report.verifiedThroughSeq }, "LEDGER VERIFICATION FAILED");
    else if (latest?.ok === false && report.ok) log.warn({ throughSeq: report.verifiedThroughSeq }, "ledger verification passes again");
    latest = report;
    ledgerVerification.ok.set(report.ok ? 1 : 0);
    ledgerVerification.throughSeq.set(report.verifiedThroughSeq);
    ledgerVerification.atSeconds.set(Math.floor(report.verifiedAtMs / 1000));
    ledgerVerification.lastFullSeconds.set(Math.floor(report.lastFullAtMs / 1000));
    return report;
  }

  function stepNow(stepOptions: { full?: boolean } = {}): Promise<VerifierReport> {
    // One step at a time; a second caller waits for the step under way (a full request then runs after it).
    const after = running ?? Promise.resolve(null);
    const next = after.then(() => {
        const full = stepOptions.full === true || latest === null || Date.now() - latest.lastFullAtMs >= fullEveryMs;
        return reads.run("verifyLedger", { full, nowMs: Date.now() }, { timeoutMs: 120_000 });
      })
      .then(record);
    // The marker of "a step is under way" never rejects: the caller of stepNow gets the step's own error.
    const marker: Promise<unknown> = next.then(
      () => undefined,
      () => undefined,
    );
    running = marker;
    return next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      stepNow()
        .catch((error) => log.error({ err: errorField(error) }, "ledger verifier step failed"))
        .finally(() => schedule(everyMs));
    }, delayMs);
    timer.unref?.();
  }
  // Unscheduled (createCaller tests): steps run only when asked for.
  if (options.scheduled !== false) schedule(options.firstDelayMs ?? 2_000);

  return {
    latest: () => latest,
    stepNow,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
