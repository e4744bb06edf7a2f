// The heavy reads that run on their own connection in a worker thread (reads/pool.ts): reports, searches, the ledger check.
import type { Tx } from "../../../db/tx.ts";
import { checkLedger } from "../../ledger/check.ts";
import { LedgerVerifier } from "../../ledger/verifier.ts";
import { proposeSeal } from "../../ledger/chain.ts";
import { dailyReport } from "../backoffice/reports.ts";
import { missingClosedDays, periodReport, periodReportWithin, dayTotalsOf } from "../backoffice/period-report.ts";
import { countCardholders, searchCardholders } from "../backoffice/cards.ts";

/** One verifier per worker: its running totals live as long as the worker (a new worker starts with a full check). */
const verifier = new LedgerVerifier();

/**
 * Each job reads in one snapshot (the worker opens a read transaction around it) and returns plain data, which is
 * copied to the server's thread. A job never writes: the worker's connection is read-only.
 */
export const heavyReadJobs = {
  dailyReport: (tx: Tx, args: { tenantId: number; day: string }) => dailyReport(tx, args.tenantId, args.day),
  periodReport: (tx: Tx, args: { tenantId: number; from: string; to: string; nowMs: number }) => periodReport(tx, args.tenantId, args.from, args.to, args.nowMs),
  periodReportWithin: (tx: Tx, args: { tenantId: number; from: string; to: string; nowMs: number; budgetMs: number }) => periodReportWithin(tx, args.tenantId, args.from, args.to, args.nowMs, args.budgetMs),
  /** Up to `limit` closed days without kept totals, newest first (the day keeper computes them one job each). */
  missingClosedDays: (tx: Tx, args: { tenantId: number; from: string; to: string; nowMs: number; limit: number }) => missingClosedDays(tx, args.tenantId, args.from, args.to, args.nowMs, args.limit),
  /** One day's totals: a job of its own, so that no snapshot is held longer than one day's reading. */
  dayTotals: (tx: Tx, args: { tenantId: number; day: string }) => dayTotalsOf(dailyReport(tx, args.tenantId, args.day)),
  searchCardholders: (tx: Tx, args: { tenantId: number; query: string; limit: number; offset: number }) => searchCardholders(tx, args.tenantId, args.query, args.limit, args.offset),
  countCardholders: (tx: Tx, args: { tenantId: number; query: string }) => countCardholders(tx, args.tenantId, args.query),
  checkLedger: (tx: Tx, _args: Record<string, never>) => checkLedger(tx),
  /** The background verifier's step: the transfers since its last step (or a full check when it has none). */
  verifyLedger: (tx: Tx, args: { full: boolean; nowMs: number }) => verifier.step(tx, args),
  /** The sealer's next batch of the hash chain (ledger/sealer.ts), hashed here so the tills' event loop never does. */
  sealProposal: (tx: Tx, args: { maxTransfers: number }) => proposeSeal(tx, args.maxTransfers),
} satisfies Record<string, (tx: Tx, args: never) => unknown>;

export type HeavyReadJobs = typeof heavyReadJobs;
export type HeavyReadJob = keyof HeavyReadJobs;
export type HeavyReadArgs<K extends HeavyReadJob> = Parameters<HeavyReadJobs[K]>[1];
export type HeavyReadResult<K extends HeavyReadJob> = ReturnType<HeavyReadJobs[K]>;
