// The browser till's (Kasse) own reads and checks: its canteen's catalogue, the card holder's name and photo, today's sales.
import { db } from "../../db/query.ts";
import type { Tx } from "../../db/tx.ts";
import { copenhagenDate, currentPeriodStarts } from "../../common/calendar.ts";
import { getOrder, type Order } from "./orders/records.ts";
import { declineMessage, type DeclineReason } from "../../common/declines.ts";
import type { TerminalIdentity } from "./pos.ts";

export interface TillProduct {
  id: number;
  name: string;
  category: string;
  priceOre: number;
  /** Null without a photo; a photo is only ever decoration at the till, never something a sale waits for. */
  photoVersion: number | null;
}

/** The active products of the terminal's own canteen, grouped by category in the order they were created. */
export function tillCatalogue(tx: Tx, terminal: TerminalIdentity): TillProduct[] {
  return tx.all(
    db
      .selectFrom("products")
      .select(["id", "name", "category", "price_ore as priceOre", "photo_version as photoVersion"])
      .where("canteen_id", "=", terminal.canteenId)
      .where("active", "=", 1)
      .orderBy("category")
      .orderBy("id"),
  );
}

export interface TillCardholder {
  name: string | null;
  /** The holder's photo as a data URL, so the till can show it without a session cookie; null without a photo. */
  photoDataUrl: string | null;
}

/**
 * Name and photo of a card's holder for identification at the counter; nothing else about the holder. A card of
 * another school is as unknown here as a card that does not exist.
 */
export function tillCardholder(tx: Tx, terminal: TerminalIdentity, cardNumber: string): TillCardholder | null {
  const row = tx.first(
    db
      .selectFrom("cards")
      .innerJoin("users", "users.id", "cards.user_id")
      .leftJoin("user_photos", "user_photos.user_id", "users.id")
      .select(["users.name as name", "user_photos.mime as mime", "user_photos.bytes as bytes"])
      .where("cards.card_number", "=", cardNumber)
      .where("users.tenant_id", "=", terminal.tenantId),
  );
  if (!row) return null;
  const photoDataUrl = row.mime && row.bytes ? `data:${row.mime};base64,${Buffer.from(row.bytes).toString("base64")}` : null;
  return { name: row.name, photoDataUrl };
}

export interface TillSale {
  saleId: string;
  /** Only the card number's last four digits: enough to tell sales apart, not enough to pay with. */
  cardLast4: string;
  amountOre: number;
  refundedOre: number;
  items: Array<{ name: string; quantity: number; unitPriceOre: number }>;
  status: "approved" | "declined";
  reason: DeclineReason | null;
  message: { da: string; en: string } | null;
  createdAt: number;
}

export interface TillDay {
  sales: TillSale[];
  totals: { approvedCount: number; approvedOre: number; refundedOre: number; netOre: number; declinedCount: number };
}

/** The sales this terminal made since Copenhagen midnight, newest first, each with what has been refunded of it. */
export function tillSalesToday(tx: Tx, terminal: TerminalIdentity, nowMs: number = Date.now()): TillDay {
  const { dayStartMs } = currentPeriodStarts(nowMs);
  const rows = tx.all(
    db
      .selectFrom("sales")
      .select(["id", "card_number", "amount_ore", "items_json", "status", "reason", "created_at"])
      .where("terminal_id", "=", terminal.terminalId)
      .where("created_at", ">=", dayStartMs)
      .orderBy("created_at", "desc")
      .orderBy("id"),
  );
  const refunds = tx.all(
    db
      .selectFrom("refunds")
      .innerJoin("sales", (join) => join.onRef("sales.terminal_id", "=", "refunds.sale_terminal_id").onRef("sales.id", "=", "refunds.sale_id"))
      .select(["refunds.sale_id as saleId", (eb) => eb.fn.sum<number>("refunds.amount_ore").as("refundedOre")])
      .where("sales.terminal_id", "=", terminal.terminalId)
      .where("sales.created_at", ">=", dayStartMs)
      .where("refunds.status", "=", "approved")
      .groupBy("refunds.sale_id"),
  );
  const refundedBySale = new Map(refunds.map((refund) => [refund.saleId, Number(refund.refundedOre)]));
  const sales = rows.map((row): TillSale => {
    const reason = (row.reason as DeclineReason | null) ?? null;
    return {
      saleId: row.id,
      cardLast4: row.card_number.slice(-4),
      amountOre: row.amount_ore,
      refundedOre: refundedBySale.get(row.id) ?? 0,
      items: row.items_json ? (JSON.parse(row.items_json) as TillSale["items"]) : [],
      status: row.status,
      reason,
      message: reason ? declineMessage(reason) : null,
      createdAt: row.created_at,
    };
  });
  const approved = sales.filter((sale) => sale.status === "approved");
  const approvedOre = approved.reduce((sum, sale) => sum + sale.amountOre, 0);
  const refundedOre = approved.reduce((sum, sale) => sum + sale.refundedOre, 0);
  return {
    sales,
    totals: { approvedCount: approved.length, approvedOre, refundedOre, netOre: approvedOre - refundedOre, declinedCount: sales.length - approved.length },
  };
}

/** Whether a sale was made by this terminal today: the browser till refunds only its own sales of the day. */
export function isTodaysSaleOfTerminal(tx: Tx, terminal: TerminalIdentity, saleId: string, nowMs: number = Date.now()): boolean {
  const { dayStartMs } = currentPeriodStarts(nowMs);
  const row = tx.first(
    db
      .selectFrom("sales")
      .select("id")
      .where("id", "=", saleId)
      .where("terminal_id", "=", terminal.terminalId)
      .where("created_at", ">=", dayStartMs),
  );
  return row !== undefined;
}

export interface TillPickupOrder {
  orderNumber: string;
  cardholderName: string | null;
  totalOre: number;
  lines: Array<{ name: string; quantity: number; comment: string | null }>;
}

/** What the counter hands over: an order's lines and holder, nothing about the account or its balance. */
export function pickupView(order: Order): TillPickupOrder {
  return {
    orderNumber: order.orderNumber,
    cardholderName: order.cardholderName,
    totalOre: order.totalOre,
    lines: order.lines.map((line) => ({ name: line.name, quantity: line.quantity, comment: line.comment })),
  };
}

/**
 * Today's orders of the terminal's canteen that were already handed over, for the same order number or card: a
 * pickup repeated after a lost answer then says "already handed over" instead of "nothing to hand over".
 */
export function deliveredToday(tx: Tx, terminal: TerminalIdentity, lookup: { orderNumber: string } | { cardNumber: string }, nowMs: number = Date.now()): Order[] {
  const today = copenhagenDate(nowMs);
  let query = db
    .selectFrom("orders")
    .select("orders.id")
    .where("orders.canteen_id", "=", terminal.canteenId)
    .where("orders.delivery_day", "=", today)
    .where("orders.status", "=", "delivered");
  if ("orderNumber" in lookup) {
    const match = /^O-(\d{1,9})$/i.exec(lookup.orderNumber.trim());
    if (!match) return [];
    query = query.where("orders.id", "=", Number(match[1]));
  } else {
    query = query.innerJoin("cards", "cards.account_id", "orders.account_id").where("cards.card_number", "=", lookup.cardNumber);
  }
  return tx
    .all(query.orderBy("orders.id"))
    .map((row) => getOrder(tx, row.id, nowMs))
    .filter((order): order is Order => order !== null);
}

/** Whether this terminal already recorded a refund under this id: its replay is answered even after midnight. */
export function hasRefund(tx: Tx, terminal: TerminalIdentity, refundId: string): boolean {
  return tx.first(db.selectFrom("refunds").select("id").where("id", "=", refundId).where("terminal_id", "=", terminal.terminalId)) !== undefined;
}
