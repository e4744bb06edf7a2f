// The ledger verified continuously (issue 27): each new transfer is checked once, the whole book again on a schedule.
import { db } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";
import { accountViolations, checkedAccountColumns, type TransferSums } from "./check.ts";

export interface VerifierReport {
  /** False when any rule is broken; the violations name the accounts. */
  ok: boolean;
  violations: string[];
  /** Every transfer up to this sequence number has been checked against the account rows. */
  verifiedThroughSeq: number;
  verifiedAtMs: number;
  /** When the whole book was last summed from the first transfer. */
  lastFullAtMs: number;
  /** Transfers read by this step (all of them on a full check). */
  transfersRead: number;
  full: boolean;
}

/** Most violations a report carries; the count of the rest is said in words. */
const VIOLATIONS_MAX = 50;

/**
 * Keeps, per account, the sums of its transfers up to a sequence number. A step reads only the transfers after it
 * (in the caller's snapshot, so the account rows it compares with are of the same moment), checks the accounts those
 * transfers touched against their sums, and checks the whole table of accounts against the running totals in one
 * aggregate: a balance edited on an account no new transfer touched still shows at the next step.
 */
export class LedgerVerifier {
  private sums = new Map<number, TransferSums>();
  private throughSeq = 0;
  private totalOre = 0;
  private lastFullAtMs: number | null = null;

  step(tx: Tx, options: { full?: boolean; nowMs?: number } = {}): VerifierReport {
    const nowMs = options.nowMs ?? Date.now();
    const full = options.full === true || this.lastFullAtMs === null;
    if (full) {
      this.sums = new Map();
      this.throughSeq = 0;
      this.totalOre = 0;
    }
    const touched = new Set<number>();
    const add = (accountId: number, debitOre: number, creditOre: number) => {
      const entry = this.sums.get(accountId);
      if (entry) {
        entry.debitsOre += debitOre;
        entry.creditsOre += creditOre;
      } else this.sums.set(accountId, { debitsOre: debitOre, creditsOre: creditOre });
      touched.add(accountId);
    };
    const violations: string[] = [];
    let expectedSeq = this.throughSeq;
    const transfersRead = tx.each(
      db.selectFrom("transfers").select(["seq", "debit_account_id", "credit_account_id", "amount_ore"]).where("seq", ">", this.throughSeq).orderBy("seq"),
      (row) => {
        if (!(row.amount_ore > 0) || !Number.isSafeInteger(row.amount_ore)) violations.push(`transfer ${row.seq}: amount ${row.amount_ore} is not a positive whole number of øre`);
        add(row.debit_account_id, row.amount_ore, 0);
        add(row.credit_account_id, 0, row.amount_ore);
        this.totalOre += row.amount_ore;
        expectedSeq = row.seq;
      },
    );
    this.throughSeq = expectedSeq;
    if (full) this.lastFullAtMs = nowMs;

    // The accounts the new transfers touched (every account on a full check), each against its sums.
    const none: TransferSums = { debitsOre: 0, creditsOre: 0 };
    const accounts = full
      ? tx.all(db.selectFrom("ledger_accounts").select(checkedAccountColumns))
      : touched.size === 0
        ? []
        : tx.all(db.selectFrom("ledger_accounts").select(checkedAccountColumns).where("id", "in", [...touched]));
    const seen = new Set<number>();
    for (const account of accounts) {
      seen.add(account.id);
      violations.push(...accountViolations(account, this.sums.get(account.id) ?? none));
    }
    for (const accountId of touched) if (!seen.has(accountId)) violations.push(`transfers name account ${accountId}, which does not exist`);

    // The whole table at once: money is conserved, and every account's totals add up to the transfers read so far.
    const totals = tx.first(
      db.selectFrom("ledger_accounts").select((eb) => [
        eb.fn.coalesce(eb.fn.sum<number>("balance_ore"), eb.lit(0)).as("balance_sum"),
        eb.fn.coalesce(eb.fn.sum<number>("debits_ore"), eb.lit(0)).as("debits_sum"),
        eb.fn.coalesce(eb.fn.sum<number>("credits_ore"), eb.lit(0)).as("credits_sum"),
        eb.fn.coalesce(eb.fn.sum<number>(eb.case().when(eb.and([eb("kind", "=", "cardholder"), eb("balance_ore", "<", 0)])).then(1).else(0).end()), eb.lit(0)).as("negative_cardholders"),
      ]),
    )!;
    if (totals.balance_sum !== 0) violations.unshift(`sum of all balances is ${totals.balance_sum} øre, not 0`);
    if (totals.debits_sum !== this.totalOre) violations.push(`the accounts' debits add up to ${totals.debits_sum} øre, the transfers to ${this.totalOre} øre`);
    if (totals.credits_sum !== this.totalOre) violations.push(`the accounts' credits add up to ${totals.credits_sum} øre, the transfers to ${this.totalOre} øre`);
    if (totals.negative_cardholders > 0 && !violations.some((line) => line.includes("below zero"))) violations.push(`${totals.negative_cardholders} cardholder account(s) below zero`);

    const lastFullAtMs = this.lastFullAtMs ?? nowMs;
    // A broken book is checked in full at the next step, so it is never reported as mended by a partial look.
    if (violations.length > 0) this.lastFullAtMs = null;
    const shown = violations.length > VIOLATIONS_MAX ? [...violations.slice(0, VIOLATIONS_MAX), `… and ${violations.length - VIOLATIONS_MAX} more`] : violations;
    return { ok: violations.length === 0, violations: shown, verifiedThroughSeq: this.throughSeq, verifiedAtMs: nowMs, lastFullAtMs, transfersRead, full };
  }
}
