// POS domain rules: the atomic, idempotent sale and refund, and the till's balance lookup.
import type { TerminalIdentity } from "../auth/terminal.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { Selectable } from "kysely";
import type { RefundsTable } from "../../db/schema.ts";
import type { RefundInput, SaleInput } from "../../common/limits.ts";
import { declineMessage, SALE_DECLINE_PRECEDENCE, type DeclineReason, type LimitDeclineReason, type SaleDeclineReason } from "../../common/declines.ts";
import { getBalance, postSystemTransfer, postTransfer, type Transfer } from "../ledger/ledger.ts";
import { exceedsLimit, spentSince } from "./spending-limits.ts";

/** The terminal a request was authenticated as (see auth/terminal.ts). */
export type { TerminalIdentity };

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

// The sale path's queries, compiled once (issue 11): a till's sale runs each of them at most once.
/**
 * The card, its limits and its balance, if it belongs to the till's school: a card of another tenant is as unknown to
 * this terminal as a card that does not exist. Written with scalar subqueries instead of
 * joins: the same plan (three primary-key searches), but bun:sqlite ran the joined form at ~11 µs and this one at
 * ~2.5 µs per sale (issue 16; every sale asks this once).
 */
export const cardForTerminal = prepared<{ cardNumber: string; tenantId: number }>()((p) =>
  db
    .selectFrom("cards as c")
    .select((eb) => [
      "c.id",
      "c.account_id",
      "c.status",
      "c.limit_daily_ore",
      "c.limit_weekly_ore",
      "c.limit_monthly_ore",
      eb.selectFrom("ledger_accounts as a").select("a.balance_ore").whereRef("a.id", "=", "c.account_id").$asScalar().as("balance_ore"),
    ])
    .where("c.card_number", "=", p.cardNumber)
    .where((eb) => eb(eb.selectFrom("users as u").select("u.tenant_id").whereRef("u.id", "=", "c.user_id"), "=", p.tenantId)),
);

const SALE_COLUMNS = ["id", "terminal_id", "card_number", "card_id", "amount_ore", "items_json", "status", "reason", "transfer_id", "balance_after_ore"] as const;
/** A sale id is an idempotency key of one terminal: two tills may use the same id for two sales (issue 29). */
const saleById = prepared<{ terminalId: number; id: string }>()((p) =>
  db.selectFrom("sales").select(SALE_COLUMNS).where("terminal_id", "=", p.terminalId).where("id", "=", p.id),
);
type StoredSale = NonNullable<ReturnType<typeof saleById.first>>;
const insertSale = prepared<{ [K in keyof StoredSale]: StoredSale[K] } & { created_at: number }>()((p) =>
  db.insertInto("sales").values({
    id: p.id,
    terminal_id: p.terminal_id,
    card_number: p.card_number,
    card_id: p.card_id,
    amount_ore: p.amount_ore,
    items_json: p.items_json,
    status: p.status,
    reason: p.reason,
    transfer_id: p.transfer_id,
    balance_after_ore: p.balance_after_ore,
    created_at: p.created_at,
  }),
);

function findCard(tx: Tx, cardNumber: string, tenantId: number) {
  return cardForTerminal.first(tx, { cardNumber, tenantId });
}

/** What a sale's checks look at; the spending is read only when a limit is set and a check asks for it. */
interface SaleFacts {
  card: ReturnType<typeof findCard> | null;
  amountOre: number;
  maxSaleOre: number;
  spent: () => { day: number; week: number; month: number };
}

/** Each rule of a sale, as a test of whether it is broken; run in SALE_DECLINE_PRECEDENCE's order (common/declines.ts). */
const SALE_CHECKS: Record<SaleDeclineReason, (facts: SaleFacts) => boolean> = {
  card_unknown: (facts) => facts.card === null,
  card_blocked: (facts) => facts.card!.status !== "active",
  amount_over_sale_maximum: (facts) => facts.amountOre > facts.maxSaleOre,
  limit_daily_exceeded: (facts) => overLimit(facts, "limit_daily_exceeded"),
  limit_weekly_exceeded: (facts) => overLimit(facts, "limit_weekly_exceeded"),
  limit_monthly_exceeded: (facts) => overLimit(facts, "limit_monthly_exceeded"),
  insufficient_funds: (facts) => facts.card!.balance_ore < facts.amountOre,
};

function overLimit(facts: SaleFacts, reason: LimitDeclineReason): boolean {
  return exceedsLimit(facts.card!, facts.spent, facts.amountOre, reason);
}

/** The reason a sale is declined: the first broken rule in SALE_DECLINE_PRECEDENCE, or null when none is. */
function firstSaleDecline(facts: SaleFacts): SaleDeclineReason | null {
  for (const reason of SALE_DECLINE_PRECEDENCE) if (SALE_CHECKS[reason](facts)) return reason;
  return null;
}

function saleResultFromRow(row: StoredSale, replayed: boolean): SaleResult {
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
 * One sale, all in the caller's write transaction. A replay is answered first; then the checks run in
 * SALE_DECLINE_PRECEDENCE's order (the terminal key was checked before): card known → card active → amount within the
 * sale maximum → daily, weekly, monthly limits → balance. The ledger's own balance check stays the last word.
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
  const existing = saleById.first(tx, { terminalId: terminal.terminalId, id: input.saleId });
  if (existing) {
    if (existing.card_number !== input.cardNumber || existing.amount_ore !== input.amountOre || existing.items_json !== itemsJson) {
      throw new IdempotencyConflictError(`sale ${input.saleId} was already recorded with different details`);
    }
    return { result: saleResultFromRow(existing, true), transfers: [] };
  }

  const card = findCard(tx, input.cardNumber, terminal.tenantId) ?? null;
  let spent: { day: number; week: number; month: number } | null = null;
  let reason: DeclineReason | null = firstSaleDecline({
    card,
    amountOre: input.amountOre,
    maxSaleOre: options.maxSaleOre,
    spent: () => (spent ??= spentSince(tx, card!.account_id, nowMs)),
  });

  let transfer: Transfer | null = null;
  let balanceAfter = card?.balance_ore ?? null;
  if (!reason && card) {
    const posted = postTransfer(
      tx,
      {
        // Scoped by the terminal like the sale id itself; `/` cannot occur in an id, so this never meets an older
        // `sale:<id>` transfer.
        id: `sale:${terminal.terminalId}/${input.saleId}`,
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

  const row: StoredSale = {
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
  insertSale.run(tx, { ...row, created_at: nowMs });
  return { result: saleResultFromRow(row, false), transfers: transfer ? [transfer] : [] };
}

const REFUND_COLUMNS = ["id", "sale_id", "terminal_id", "amount_ore", "requested_amount_ore", "status", "reason", "balance_after_ore"] as const;
type StoredRefund = Pick<Selectable<RefundsTable>, (typeof REFUND_COLUMNS)[number]>;

function refundResultFromRow(row: StoredRefund, replayed: boolean): RefundResult {
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

/** A refund id is an idempotency key of one terminal, like a sale id. */
const refundById = prepared<{ terminalId: number; id: string }>()((p) =>
  db.selectFrom("refunds").select([...REFUND_COLUMNS, "sale_terminal_id"]).where("terminal_id", "=", p.terminalId).where("id", "=", p.id),
);

/**
 * The sales with this id made by any terminal of the canteen: one primary-key search per terminal of the canteen (a
 * handful), so no index on the sale id alone has to be kept up on every sale.
 */
const canteenSalesById = prepared<{ canteenId: number; id: string }>()((p) =>
  db
    .selectFrom("sales as s")
    .innerJoin("cards as c", "c.id", "s.card_id")
    .select(["s.terminal_id", "s.status", "s.amount_ore", "s.transfer_id", "c.account_id"])
    .where("s.terminal_id", "in", (eb) => eb.selectFrom("terminals").select("terminals.id").where("terminals.canteen_id", "=", p.canteenId))
    .where("s.id", "=", p.id),
);

const refundedOfSale = prepared<{ saleTerminalId: number; saleId: string }>()((p) =>
  db
    .selectFrom("refunds")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount_ore"), eb.lit(0)).as("total"))
    .where("sale_terminal_id", "=", p.saleTerminalId)
    .where("sale_id", "=", p.saleId)
    .where("status", "=", "approved"),
);

/** The lookups of pos.refund and of a sale's replay, for the query-plan test. */
export const posQueries = { saleById, refundById, canteenSalesById, refundedOfSale };

/**
 * The sale a refund names: the refunding terminal's own sale with that id, else the one sale with that id at another
 * till of the same canteen (refunding at the next till is normal counter practice). Two other tills of the canteen
 * with that id leave it ambiguous, and a sale of another canteen or school is never seen: both are "not found".
 */
function saleToRefund(tx: Tx, terminal: TerminalIdentity, saleId: string) {
  const candidates = canteenSalesById.all(tx, { canteenId: terminal.canteenId, id: saleId });
  const sale = candidates.find((candidate) => candidate.terminal_id === terminal.terminalId) ?? (candidates.length === 1 ? candidates[0] : undefined);
  return sale && sale.status === "approved" && sale.transfer_id !== null ? { ...sale, transfer_id: sale.transfer_id } : undefined;
}

/**
 * A full or partial refund of an approved sale made in the same canteen. Never more than what remains of
 * the sale; idempotent by refund id (per terminal). Money goes back from the canteen's revenue to the card's account.
 */
export function recordRefund(tx: WriteTx, terminal: TerminalIdentity, input: RefundInput, nowMs: number = Date.now()): PosOutcome<RefundResult> {
  const requestedAmountOre = input.amountOre ?? null;
  const existing = refundById.first(tx, { terminalId: terminal.terminalId, id: input.refundId });
  if (existing) {
    // The request is compared as it was sent ("the rest" is not the same request as an amount), also after a
    // decline: the same id with another amount is a client bug, and the decline is not its answer.
    if (existing.sale_id !== input.saleId || existing.requested_amount_ore !== requestedAmountOre) {
      throw new IdempotencyConflictError(`refund ${input.refundId} was already recorded with different details`);
    }
    return { result: refundResultFromRow(existing, true), transfers: [] };
  }

  // Only this canteen's sales are looked at: a sale of another canteen or school is as absent as an id that was never
  // used, so that its decline (and the decline stored for a replay) carries nothing of that sale or its card.
  const sale = saleToRefund(tx, terminal, input.saleId);

  let reason: DeclineReason | null = null;
  let amountOre = input.amountOre ?? 0;
  if (!sale) {
    reason = "sale_not_found";
  } else {
    const refunded = refundedOfSale.first(tx, { saleTerminalId: sale.terminal_id, saleId: input.saleId })!.total;
    const remaining = sale.amount_ore - refunded;
    if (input.amountOre === undefined) amountOre = remaining;
    if (remaining <= 0) reason = "already_refunded";
    else if (amountOre > remaining) reason = "refund_exceeds_sale";
  }

  let transfer: Transfer | null = null;
  if (!reason && sale) {
    const posted = postSystemTransfer(
      tx,
      {
        id: `refund:${terminal.terminalId}/${input.refundId}`,
        debitAccountId: terminal.revenueAccountId,
        creditAccountId: sale.account_id,
        amountOre,
        kind: "refund",
        // The spending query finds the refunded purchase as `sale:` + this reference.
        reference: sale.transfer_id.slice("sale:".length),
        description: `${terminal.canteenName}: refusion`,
      },
      nowMs,
    );
    // Revenue accounts may go negative, so a refund is only declined on a missing account: a bug.
    transfer = posted;
  }
  const balanceAfter = transfer ? transfer.creditBalanceAfterOre : sale ? getBalance(tx, sale.account_id) ?? null : null;
  const row: StoredRefund = {
    id: input.refundId,
    sale_id: input.saleId,
    terminal_id: terminal.terminalId,
    amount_ore: amountOre,
    requested_amount_ore: requestedAmountOre,
    status: transfer ? "approved" : "declined",
    reason,
    balance_after_ore: balanceAfter,
  };
  tx.run(db.insertInto("refunds").values({ ...row, sale_terminal_id: sale?.terminal_id ?? null, transfer_id: transfer?.id ?? null, created_at: nowMs }));
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
