// POS domain rules: the atomic, idempotent sale and refund, and the till's balance lookup.
import type { Tx, WriteTx } from "../../db/tx.ts";
import type { RefundInput, SaleInput } from "../../common/limits.ts";
import { declineMessage, type DeclineReason } from "../../common/declines.ts";
import { getBalance, postTransfer, type Transfer } from "../ledger/ledger.ts";
import { currentPeriodStarts } from "../ledger/calendar.ts";

/** The terminal a request was authenticated as (see auth/terminal.ts). */
export interface TerminalIdentity {
  terminalId: number;
  terminalName: string;
  canteenId: number;
  canteenName: string;
  tenantId: number;
  revenueAccountId: number;
}

export interface SaleResult {
  saleId: string;
  status: "approved" | "declined";
  reason?: DeclineReason;
  message?: { da: string; en: string };
  amountOre: number;
  /** The card's balance after the sale (or at the decline); null when the card is unknown. */
  balanceOre: number | null;
  /** True when this answer is a replay of an earlier request with the same id. */
  replayed: boolean;
}

export interface RefundResult {
  refundId: string;
  saleId: string;
  status: "approved" | "declined";
  reason?: DeclineReason;
  message?: { da: string; en: string };
  amountOre: number;
  balanceOre: number | null;
  replayed: boolean;
}

/** A retry reused an id for a different request: a client bug, reported as a conflict. */
export class IdempotencyConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdempotencyConflictError";
  }
}

export interface PosOutcome<T> {
  result: T;
  /** Transfers written by this call (empty on declines and replays): published after commit. */
  transfers: Transfer[];
}

interface CardRow {
  id: number;
  account_id: number;
  status: "active" | "blocked";
  limit_daily_ore: number | null;
  limit_weekly_ore: number | null;
  limit_monthly_ore: number | null;
  balance_ore: number;
}

interface SaleRow {
  id: string;
  terminal_id: number;
  card_number: string;
  card_id: number | null;
  amount_ore: number;
  items_json: string | null;
  status: "approved" | "declined";
  reason: DeclineReason | null;
  transfer_id: string | null;
  balance_after_ore: number | null;
}

function findCard(tx: Tx, cardNumber: string, tenantId: number): CardRow | undefined {
  // A card of another tenant is as unknown to this terminal as a card that does not exist.
  return (tx.sqlite
    .query(
      `SELECT c.id, c.account_id, c.status, c.limit_daily_ore, c.limit_weekly_ore, c.limit_monthly_ore, a.balance_ore
       FROM cards c JOIN users u ON u.id = c.user_id JOIN ledger_accounts a ON a.id = c.account_id
       WHERE c.card_number = ? AND u.tenant_id = ?`,
    )
    .get(cardNumber, tenantId) ?? undefined) as CardRow | undefined;
}

/**
 * Net spending (sales and orders less their refunds) on an account since each period start. A refund counts at
 * the time of the purchase it reverses, not at its own time: refunding yesterday's sale today must not give the
 * card extra room today. POS refunds reference the sale id (its transfer is `sale:<id>`); order cancellations
 * (transfer id `order-refund:<order id>`) reference `order:<order id>`, whose transfer the orders table names.
 */
function spentSince(tx: Tx, accountId: number, nowMs: number): { day: number; week: number; month: number } {
  const periods = currentPeriodStarts(nowMs);
  const since = Math.min(periods.weekStartMs, periods.monthStartMs);
  const row = tx.sqlite
    .query(
      `SELECT
         COALESCE(SUM(CASE WHEN created_at >= ?1 THEN signed END), 0) AS day,
         COALESCE(SUM(CASE WHEN created_at >= ?2 THEN signed END), 0) AS week,
         COALESCE(SUM(CASE WHEN created_at >= ?3 THEN signed END), 0) AS month
       FROM (
         SELECT created_at, amount_ore AS signed FROM transfers
           WHERE debit_account_id = ?4 AND kind IN ('sale', 'order') AND created_at >= ?5
         UNION ALL
         SELECT purchase.created_at, -refund.amount_ore AS signed
           FROM transfers refund
           JOIN transfers purchase ON purchase.id = CASE
               WHEN refund.id LIKE 'order-refund:%'
                 THEN (SELECT transfer_id FROM orders WHERE id = CAST(substr(refund.reference, 7) AS INTEGER))
               ELSE 'sale:' || refund.reference
             END
             AND purchase.debit_account_id = ?4 AND purchase.kind IN ('sale', 'order')
           WHERE refund.credit_account_id = ?4 AND refund.kind = 'refund' AND refund.created_at >= ?5 AND purchase.created_at >= ?5
       )`,
    )
    .get(periods.dayStartMs, periods.weekStartMs, periods.monthStartMs, accountId, since) as { day: number; week: number; month: number };
  return row;
}

export interface SpendingLimits {
  limit_daily_ore: number | null;
  limit_weekly_ore: number | null;
  limit_monthly_ore: number | null;
}

/** The first spending limit (day, week, month) that `amountOre` more would exceed on this account, or null. */
export type LimitReason = "limit_daily_exceeded" | "limit_weekly_exceeded" | "limit_monthly_exceeded";

export function spendingLimitReason(tx: Tx, accountId: number, limits: SpendingLimits, amountOre: number, nowMs: number): LimitReason | null {
  if (limits.limit_daily_ore === null && limits.limit_weekly_ore === null && limits.limit_monthly_ore === null) return null;
  const spent = spentSince(tx, accountId, nowMs);
  if (limits.limit_daily_ore !== null && spent.day + amountOre > limits.limit_daily_ore) return "limit_daily_exceeded";
  if (limits.limit_weekly_ore !== null && spent.week + amountOre > limits.limit_weekly_ore) return "limit_weekly_exceeded";
  if (limits.limit_monthly_ore !== null && spent.month + amountOre > limits.limit_monthly_ore) return "limit_monthly_exceeded";
  return null;
}

function saleResultFromRow(row: SaleRow, replayed: boolean): SaleResult {
  return {
    saleId: row.id,
    status: row.status,
    ...(row.reason ? { reason: row.reason, message: declineMessage(row.reason) } : {}),
    amountOre: row.amount_ore,
    balanceOre: row.balance_after_ore,
    replayed,
  };
}

function describeSale(terminal: TerminalIdentity, input: SaleInput): string {
  if (!input.items || input.items.length === 0) return terminal.canteenName;
  const lines = input.items.map((item) => (item.quantity > 1 ? `${item.quantity} × ${item.name}` : item.name));
  return `${terminal.canteenName}: ${lines.join(", ")}`.slice(0, 500);
}

/**
 * One sale, all in the caller's write transaction. Checks in a fixed precedence (the terminal key was checked
 * before): replay → card known → card active → amount within the sale maximum → spending limits → balance.
 * Declines are stored under the sale id so that a retry gets the same answer.
 */
export function recordSale(
  tx: WriteTx,
  terminal: TerminalIdentity,
  input: SaleInput,
  options: { maxSaleOre: number; nowMs?: number },
): PosOutcome<SaleResult> {
  const nowMs = options.nowMs ?? Date.now();
  const itemsJson = input.items && input.items.length > 0 ? JSON.stringify(input.items) : null;
  const existing = tx.sqlite
    .query("SELECT id, terminal_id, card_number, card_id, amount_ore, items_json, status, reason, transfer_id, balance_after_ore FROM sales WHERE id = ?")
    .get(input.saleId) as SaleRow | null;
  if (existing) {
    if (existing.terminal_id !== terminal.terminalId || existing.card_number !== input.cardNumber || existing.amount_ore !== input.amountOre || existing.items_json !== itemsJson) {
      throw new IdempotencyConflictError(`sale ${input.saleId} was already recorded with different details`);
    }
    return { result: saleResultFromRow(existing, true), transfers: [] };
  }

  const card = findCard(tx, input.cardNumber, terminal.tenantId);
  let reason: DeclineReason | null = null;
  if (!card) reason = "card_unknown";
  else if (card.status !== "active") reason = "card_blocked";
  else if (input.amountOre > options.maxSaleOre) reason = "amount_over_sale_maximum";
  else reason = spendingLimitReason(tx, card.account_id, card, input.amountOre, nowMs);

  let transfer: Transfer | null = null;
  let balanceAfter = card?.balance_ore ?? null;
  if (!reason && card) {
    const posted = postTransfer(
      tx,
      {
        id: `sale:${input.saleId}`,
        debitAccountId: card.account_id,
        creditAccountId: terminal.revenueAccountId,
        amountOre: input.amountOre,
        kind: "sale",
        reference: input.saleId,
        description: describeSale(terminal, input),
      },
      nowMs,
    );
    if (posted.status === "posted") {
      transfer = posted.transfer;
      balanceAfter = posted.transfer.debitBalanceAfterOre;
    } else {
      reason = posted.reason === "insufficient_funds" ? "insufficient_funds" : "card_unknown";
    }
  }

  const row: SaleRow = {
    id: input.saleId,
    terminal_id: terminal.terminalId,
    card_number: input.cardNumber,
    card_id: card?.id ?? null,
    amount_ore: input.amountOre,
    items_json: itemsJson,
    status: transfer ? "approved" : "declined",
    reason,
    transfer_id: transfer?.id ?? null,
    balance_after_ore: balanceAfter,
  };
  tx.sqlite
    .query(
      "INSERT INTO sales (id, terminal_id, card_number, card_id, amount_ore, items_json, status, reason, transfer_id, balance_after_ore, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .run(row.id, row.terminal_id, row.card_number, row.card_id, row.amount_ore, row.items_json, row.status, row.reason, row.transfer_id, row.balance_after_ore, nowMs);
  return { result: saleResultFromRow(row, false), transfers: transfer ? [transfer] : [] };
}

interface RefundRow {
  id: string;
  sale_id: string;
  terminal_id: number;
  amount_ore: number;
  requested_amount_ore: number | null;
  status: "approved" | "declined";
  reason: DeclineReason | null;
  balance_after_ore: number | null;
}

function refundResultFromRow(row: RefundRow, replayed: boolean): RefundResult {
  return {
    refundId: row.id,
    saleId: row.sale_id,
    status: row.status,
    ...(row.reason ? { reason: row.reason, message: declineMessage(row.reason) } : {}),
    amountOre: row.amount_ore,
    balanceOre: row.balance_after_ore,
    replayed,
  };
}

/**
 * A full or partial refund of an approved sale made in the same canteen. Never more than what remains of
 * the sale; idempotent by refund id. Money goes back from the canteen's revenue to the card's account.
 */
export function recordRefund(tx: WriteTx, terminal: TerminalIdentity, input: RefundInput, nowMs: number = Date.now()): PosOutcome<RefundResult> {
  const requestedAmountOre = input.amountOre ?? null;
  const existing = tx.sqlite
    .query("SELECT id, sale_id, terminal_id, amount_ore, requested_amount_ore, status, reason, balance_after_ore FROM refunds WHERE id = ?")
    .get(input.refundId) as RefundRow | null;
  if (existing) {
    // The request is compared as it was sent ("the rest" is not the same request as an amount), also after a
    // decline: the same id with another amount is a client bug, and the decline is not its answer.
    if (existing.sale_id !== input.saleId || existing.terminal_id !== terminal.terminalId || existing.requested_amount_ore !== requestedAmountOre) {
      throw new IdempotencyConflictError(`refund ${input.refundId} was already recorded with different details`);
    }
    return { result: refundResultFromRow(existing, true), transfers: [] };
  }

  const sale = tx.sqlite
    .query(
      `SELECT s.amount_ore, s.card_id, c.account_id, tm.canteen_id
       FROM sales s JOIN terminals tm ON tm.id = s.terminal_id JOIN cards c ON c.id = s.card_id
       WHERE s.id = ? AND s.status = 'approved'`,
    )
    .get(input.saleId) as { amount_ore: number; card_id: number; account_id: number; canteen_id: number } | null;

  let reason: DeclineReason | null = null;
  let amountOre = input.amountOre ?? 0;
  if (!sale || sale.canteen_id !== terminal.canteenId) {
    reason = "sale_not_found";
  } else {
    const refunded = (tx.sqlite
      .query("SELECT COALESCE(SUM(amount_ore), 0) AS total FROM refunds WHERE sale_id = ? AND status = 'approved'")
      .get(input.saleId) as { total: number }).total;
    const remaining = sale.amount_ore - refunded;
    if (input.amountOre === undefined) amountOre = remaining;
    if (remaining <= 0) reason = "already_refunded";
    else if (amountOre > remaining) reason = "refund_exceeds_sale";
  }

  let transfer: Transfer | null = null;
  if (!reason && sale) {
    const posted = postTransfer(
      tx,
      {
        id: `refund:${input.refundId}`,
        debitAccountId: terminal.revenueAccountId,
        creditAccountId: sale.account_id,
        amountOre,
        kind: "refund",
        reference: input.saleId,
        description: `${terminal.canteenName}: refusion`,
      },
      nowMs,
    );
    // Revenue accounts may go negative, so a refund is only declined on a missing account: a bug.
    if (posted.status !== "posted") throw new Error(`refund transfer declined: ${posted.reason}`);
    transfer = posted.transfer;
  }
  const balanceAfter = transfer ? transfer.creditBalanceAfterOre : sale ? getBalance(tx, sale.account_id) ?? null : null;
  const row: RefundRow = {
    id: input.refundId,
    sale_id: input.saleId,
    terminal_id: terminal.terminalId,
    amount_ore: amountOre,
    requested_amount_ore: requestedAmountOre,
    status: transfer ? "approved" : "declined",
    reason,
    balance_after_ore: balanceAfter,
  };
  tx.sqlite
    .query(
      "INSERT INTO refunds (id, sale_id, terminal_id, amount_ore, requested_amount_ore, status, reason, transfer_id, balance_after_ore, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .run(row.id, row.sale_id, row.terminal_id, row.amount_ore, row.requested_amount_ore, row.status, row.reason, transfer?.id ?? null, row.balance_after_ore, nowMs);
  return { result: refundResultFromRow(row, false), transfers: transfer ? [transfer] : [] };
}

export interface CardBalance {
  cardNumber: string;
  status: "active" | "blocked";
  balanceOre: number;
}

export function lookUpBalance(tx: Tx, terminal: TerminalIdentity, cardNumber: string): CardBalance | null {
  const card = findCard(tx, cardNumber, terminal.tenantId);
  return card ? { cardNumber, status: card.status, balanceOre: card.balance_ore } : null;
}
