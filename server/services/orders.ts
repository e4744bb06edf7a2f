// Webshop pre-orders and the kitchen queue: menus per day, atomic checkout from the card balance, cancel with refund, order states.
import type { Tx, WriteTx } from "../../db/tx.ts";
import { declineMessage } from "../../common/declines.ts";
import { postTransfer, type Transfer } from "../ledger/ledger.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../ledger/calendar.ts";
import { IdempotencyConflictError, spendingLimitReason, type SpendingLimits } from "./pos.ts";
import { actableAccount } from "./access.ts";

export type OrderStatus = "received" | "in_progress" | "ready" | "delivered" | "cancelled";

/** The kitchen moves an order one step forward at a time; cancelling is the cardholder's (before cut-off). */
export const nextStatus: Record<OrderStatus, OrderStatus | null> = {
  received: "in_progress",
  in_progress: "ready",
  ready: "delivered",
  delivered: null,
  cancelled: null,
};

export interface MenuProduct {
  productId: number;
  name: string;
  description: string | null;
  category: string;
  priceOre: number;
  allergens: string | null;
  /** How many more can be ordered for the day; null when there is no limit. */
  remaining: number | null;
}

export interface OrderLine {
  productId: number;
  name: string;
  unitPriceOre: number;
  quantity: number;
  lineTotalOre: number;
  comment: string | null;
}

export interface Order {
  orderId: number;
  orderNumber: string;
  userId: number;
  cardholderName: string | null;
  accountId: number;
  canteenId: number;
  deliveryDay: string;
  status: OrderStatus;
  totalOre: number;
  lines: OrderLine[];
  createdAt: number;
  updatedAt: number;
  /** Whether the cardholder may still cancel (status received and before the cut-off). */
  cancellable: boolean;
}

export interface OrderEvent {
  seq: number;
  order: Order;
}

export function orderNumber(orderId: number): string {
  return `O-${String(orderId).padStart(6, "0")}`;
}

interface OrderRow {
  id: number;
  user_id: number;
  user_name: string | null;
  account_id: number;
  canteen_id: number;
  delivery_day: string;
  status: OrderStatus;
  total_ore: number;
  created_at: number;
  updated_at: number;
  order_cutoff_time: string;
}

// The name shown with an order (kitchen screen, pickup) is the paying account's holder: when a guardian orders for a
// child, the child is the one who collects the food with their card.
const ORDER_SELECT = `SELECT o.id, o.user_id, u.name AS user_name, o.account_id, o.canteen_id, o.delivery_day, o.status, o.total_ore, o.created_at, o.updated_at, c.order_cutoff_time
  FROM orders o JOIN ledger_accounts a ON a.id = o.account_id JOIN users u ON u.id = a.owner_user_id JOIN canteens c ON c.id = o.canteen_id`;

function linesOf(tx: Tx, orderIds: number[]): Map<number, OrderLine[]> {
  const byOrder = new Map<number, OrderLine[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = tx.sqlite
    .query(`SELECT order_id, product_id, name, unit_price_ore, quantity, comment FROM order_lines WHERE order_id IN (${orderIds.map(() => "?").join(",")}) ORDER BY id`)
    .all(...orderIds) as Array<{ order_id: number; product_id: number; name: string; unit_price_ore: number; quantity: number; comment: string | null }>;
  for (const row of rows) {
    const list = byOrder.get(row.order_id) ?? [];
    list.push({ productId: row.product_id, name: row.name, unitPriceOre: row.unit_price_ore, quantity: row.quantity, lineTotalOre: row.unit_price_ore * row.quantity, comment: row.comment });
    byOrder.set(row.order_id, list);
  }
  return byOrder;
}

function toOrders(tx: Tx, rows: OrderRow[], nowMs: number): Order[] {
  const lines = linesOf(tx, rows.map((row) => row.id));
  return rows.map((row) => ({
    orderId: row.id,
    orderNumber: orderNumber(row.id),
    userId: row.user_id,
    cardholderName: row.user_name,
    accountId: row.account_id,
    canteenId: row.canteen_id,
    deliveryDay: row.delivery_day,
    status: row.status,
    totalOre: row.total_ore,
    lines: lines.get(row.id) ?? [],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    cancellable: row.status === "received" && nowMs < cutoffInstant(row.delivery_day, row.order_cutoff_time),
  }));
}

export function getOrder(tx: Tx, orderId: number, nowMs: number = Date.now()): Order | null {
  const row = tx.sqlite.query(`${ORDER_SELECT} WHERE o.id = ?`).get(orderId) as OrderRow | null;
  return row ? toOrders(tx, [row], nowMs)[0]! : null;
}

export function listUserOrders(tx: Tx, userId: number, nowMs: number = Date.now()): Order[] {
  const rows = tx.sqlite.query(`${ORDER_SELECT} WHERE o.user_id = ? ORDER BY o.delivery_day DESC, o.id DESC LIMIT 200`).all(userId) as OrderRow[];
  return toOrders(tx, rows, nowMs);
}

export function kitchenQueue(tx: Tx, canteenId: number, deliveryDay: string, nowMs: number = Date.now()): Order[] {
  const rows = tx.sqlite
    .query(`${ORDER_SELECT} WHERE o.canteen_id = ? AND o.delivery_day = ? AND o.status <> 'cancelled' ORDER BY o.id`)
    .all(canteenId, deliveryDay) as OrderRow[];
  return toOrders(tx, rows, nowMs);
}

function canteenCutoff(tx: Tx, canteenId: number): string | null {
  return (tx.sqlite.query("SELECT order_cutoff_time FROM canteens WHERE id = ?").get(canteenId) as { order_cutoff_time: string } | null)?.order_cutoff_time ?? null;
}

/** Days (from today, two weeks ahead) that have a menu and are still open for orders. */
export function orderableDays(tx: Tx, canteenId: number, nowMs: number = Date.now()): string[] {
  const cutoff = canteenCutoff(tx, canteenId);
  if (!cutoff) return [];
  const today = copenhagenDate(nowMs);
  const rows = tx.sqlite
    .query("SELECT DISTINCT delivery_day FROM menu_items WHERE canteen_id = ? AND delivery_day >= ? AND delivery_day <= ? ORDER BY delivery_day")
    .all(canteenId, today, addDays(today, 14)) as Array<{ delivery_day: string }>;
  return rows.map((row) => row.delivery_day).filter((day) => nowMs < cutoffInstant(day, cutoff));
}

function orderedQuantities(tx: Tx, canteenId: number, deliveryDay: string): Map<number, number> {
  const rows = tx.sqlite
    .query(
      `SELECT l.product_id, SUM(l.quantity) AS quantity FROM order_lines l JOIN orders o ON o.id = l.order_id
       WHERE o.canteen_id = ? AND o.delivery_day = ? AND o.status <> 'cancelled' GROUP BY l.product_id`,
    )
    .all(canteenId, deliveryDay) as Array<{ product_id: number; quantity: number }>;
  return new Map(rows.map((row) => [row.product_id, row.quantity]));
}

export function menuFor(tx: Tx, canteenId: number, deliveryDay: string): MenuProduct[] {
  const ordered = orderedQuantities(tx, canteenId, deliveryDay);
  const rows = tx.sqlite
    .query(
      `SELECT p.id, p.name, p.description, p.category, p.price_ore, p.allergens, m.quantity_limit
       FROM menu_items m JOIN products p ON p.id = m.product_id
       WHERE m.canteen_id = ? AND m.delivery_day = ? AND p.active = 1 ORDER BY p.category, p.name`,
    )
    .all(canteenId, deliveryDay) as Array<{ id: number; name: string; description: string | null; category: string; price_ore: number; allergens: string | null; quantity_limit: number | null }>;
  return rows.map((row) => ({
    productId: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    priceOre: row.price_ore,
    allergens: row.allergens,
    remaining: row.quantity_limit === null ? null : Math.max(0, row.quantity_limit - (ordered.get(row.id) ?? 0)),
  }));
}

export type CheckoutDecline =
  | "account_not_found"
  | "card_blocked"
  | "no_menu"
  | "cutoff_passed"
  | "product_not_on_menu"
  | "sold_out"
  | "limit_daily_exceeded"
  | "limit_weekly_exceeded"
  | "limit_monthly_exceeded"
  | "insufficient_funds";

export interface CheckoutRequest {
  accountId: number;
  canteenId: number;
  deliveryDay: string;
  lines: Array<{ productId: number; quantity: number; comment?: string | undefined }>;
  idempotencyKey: string;
}

export type CheckoutResult =
  | { ok: true; order: Order; transfers: Transfer[]; event: OrderEvent | null; replayed: boolean }
  | { ok: false; reason: CheckoutDecline; productId?: number; message?: { da: string; en: string } };

/** An empty or blank comment is stored as none, so it must compare as none: otherwise an identical retry is a conflict. */
function canonicalLines(lines: CheckoutRequest["lines"]): string {
  return JSON.stringify(lines.map((line) => [line.productId, line.quantity, line.comment?.trim() || null]));
}

function appendEvent(tx: WriteTx, orderId: number, nowMs: number): OrderEvent {
  const order = getOrder(tx, orderId, nowMs)!;
  const seq = Number(
    tx.sqlite
      .query("INSERT INTO order_events (order_id, user_id, canteen_id, delivery_day, status, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(order.orderId, order.userId, order.canteenId, order.deliveryDay, order.status, nowMs).lastInsertRowid,
  );
  return { seq, order };
}

/**
 * Pays for a basket from the card balance in one transaction: menu, cut-off, sold-out limits, spending limits and
 * the balance are checked, then one ledger transfer (card → canteen revenue) and the order are written together.
 */
export function checkout(tx: WriteTx, userId: number, request: CheckoutRequest, nowMs: number = Date.now()): CheckoutResult {
  const lineKey = canonicalLines(request.lines);
  const existing = tx.sqlite
    .query("SELECT o.id, o.account_id, o.delivery_day, o.canteen_id FROM orders o WHERE o.user_id = ? AND o.idempotency_key = ?")
    .get(userId, request.idempotencyKey) as { id: number; account_id: number; delivery_day: string; canteen_id: number } | null;
  if (existing) {
    const order = getOrder(tx, existing.id, nowMs)!;
    const sameLines = canonicalLines(order.lines.map((line) => ({ productId: line.productId, quantity: line.quantity, comment: line.comment ?? undefined }))) === lineKey;
    if (existing.account_id !== request.accountId || existing.delivery_day !== request.deliveryDay || existing.canteen_id !== request.canteenId || !sameLines) {
      throw new IdempotencyConflictError("this checkout was already submitted with another basket");
    }
    return { ok: true, order, transfers: [], event: null, replayed: true };
  }

  // A guardian may pay from a child's account too; the rule lives in access.ts.
  if (!actableAccount(tx, userId, request.accountId)) return { ok: false, reason: "account_not_found" };
  const cards = tx.sqlite
    .query("SELECT status, limit_daily_ore, limit_weekly_ore, limit_monthly_ore FROM cards WHERE account_id = ? ORDER BY status = 'active' DESC, id DESC")
    .all(request.accountId) as Array<SpendingLimits & { status: string }>;
  const card = cards[0];
  if (!card || card.status !== "active") return { ok: false, reason: "card_blocked", message: declineMessage("card_blocked") };

  const cutoff = canteenCutoff(tx, request.canteenId);
  const menu = cutoff ? menuFor(tx, request.canteenId, request.deliveryDay) : [];
  if (menu.length === 0 || !cutoff) return { ok: false, reason: "no_menu" };
  if (nowMs >= cutoffInstant(request.deliveryDay, cutoff)) return { ok: false, reason: "cutoff_passed" };

  const wanted = new Map<number, number>();
  for (const line of request.lines) wanted.set(line.productId, (wanted.get(line.productId) ?? 0) + line.quantity);
  let totalOre = 0;
  for (const [productId, quantity] of wanted) {
    const product = menu.find((item) => item.productId === productId);
    if (!product) return { ok: false, reason: "product_not_on_menu", productId };
    if (product.remaining !== null && quantity > product.remaining) return { ok: false, reason: "sold_out", productId };
    totalOre += product.priceOre * quantity;
  }
  if (totalOre <= 0) return { ok: false, reason: "product_not_on_menu" };

  const limit = spendingLimitReason(tx, request.accountId, card, totalOre, nowMs);
  if (limit) return { ok: false, reason: limit, message: declineMessage(limit) };

  const canteen = tx.sqlite.query("SELECT name, revenue_account_id FROM canteens WHERE id = ?").get(request.canteenId) as { name: string; revenue_account_id: number };
  const description = `Webshop ${canteen.name}: ${request.lines
    .map((line) => {
      const name = menu.find((item) => item.productId === line.productId)!.name;
      return line.quantity > 1 ? `${line.quantity} × ${name}` : name;
    })
    .join(", ")}`.slice(0, 500);
  const posted = postTransfer(
    tx,
    {
      id: `order:${userId}:${request.idempotencyKey}`,
      debitAccountId: request.accountId,
      creditAccountId: canteen.revenue_account_id,
      amountOre: totalOre,
      kind: "order",
      reference: `delivery:${request.deliveryDay}`,
      description,
    },
    nowMs,
  );
  if (posted.status !== "posted") return { ok: false, reason: "insufficient_funds", message: declineMessage("insufficient_funds") };

  const orderId = Number(
    tx.sqlite
      .query(
        "INSERT INTO orders (user_id, account_id, canteen_id, delivery_day, status, total_ore, idempotency_key, transfer_id, created_at, updated_at) VALUES (?, ?, ?, ?, 'received', ?, ?, ?, ?, ?)",
      )
      .run(userId, request.accountId, request.canteenId, request.deliveryDay, totalOre, request.idempotencyKey, posted.transfer.id, nowMs, nowMs).lastInsertRowid,
  );
  const insertLine = tx.sqlite.query("INSERT INTO order_lines (order_id, product_id, name, unit_price_ore, quantity, comment) VALUES (?, ?, ?, ?, ?, ?)");
  for (const line of request.lines) {
    const product = menu.find((item) => item.productId === line.productId)!;
    insertLine.run(orderId, line.productId, product.name, product.priceOre, line.quantity, line.comment?.trim() || null);
  }
  const event = appendEvent(tx, orderId, nowMs);
  return { ok: true, order: event.order, transfers: [posted.transfer], event, replayed: false };
}

export type CancelResult = { ok: true; order: Order; transfers: Transfer[]; event: OrderEvent | null } | { ok: false; reason: "not_found" | "not_cancellable" };

/** The cardholder cancels before the cut-off: a full refund with a correcting transfer, once. */
export function cancelOrder(tx: WriteTx, userId: number, orderId: number, nowMs: number = Date.now()): CancelResult {
  const order = getOrder(tx, orderId, nowMs);
  if (!order || order.userId !== userId) return { ok: false, reason: "not_found" };
  if (order.status === "cancelled") return { ok: true, order, transfers: [], event: null };
  if (!order.cancellable) return { ok: false, reason: "not_cancellable" };
  const canteen = tx.sqlite.query("SELECT name, revenue_account_id FROM canteens WHERE id = ?").get(order.canteenId) as { name: string; revenue_account_id: number };
  const posted = postTransfer(
    tx,
    {
      id: `order-refund:${orderId}`,
      debitAccountId: canteen.revenue_account_id,
      creditAccountId: order.accountId,
      amountOre: order.totalOre,
      kind: "refund",
      reference: `order:${orderId}`,
      description: `Annulleret ordre ${order.orderNumber} (${canteen.name})`,
    },
    nowMs,
  );
  if (posted.status !== "posted") throw new Error(`order refund declined: ${posted.reason}`);
  tx.sqlite.query("UPDATE orders SET status = 'cancelled', refund_transfer_id = ?, updated_at = ? WHERE id = ?").run(posted.transfer.id, nowMs, orderId);
  const event = appendEvent(tx, orderId, nowMs);
  return { ok: true, order: event.order, transfers: [posted.transfer], event };
}

export type AdvanceResult = { ok: true; order: Order; event: OrderEvent | null } | { ok: false; reason: "not_found" | "invalid_transition" };

/** The kitchen moves an order of its own canteen to the next state (or confirms it is already there). */
export function advanceOrder(tx: WriteTx, canteenId: number, orderId: number, to: OrderStatus, nowMs: number = Date.now()): AdvanceResult {
  const order = getOrder(tx, orderId, nowMs);
  if (!order || order.canteenId !== canteenId) return { ok: false, reason: "not_found" };
  if (order.status === to) return { ok: true, order, event: null };
  if (nextStatus[order.status] !== to) return { ok: false, reason: "invalid_transition" };
  tx.sqlite.query("UPDATE orders SET status = ?, updated_at = ? WHERE id = ?").run(to, nowMs, orderId);
  const event = appendEvent(tx, orderId, nowMs);
  return { ok: true, order: event.order, event };
}

/** Pickup at the till or screen: today's ready (or earlier) orders, found by order number or by card number. */
export function deliverOrders(tx: WriteTx, canteenId: number, lookup: { orderNumber?: string; cardNumber?: string }, nowMs: number = Date.now()): OrderEvent[] {
  const today = copenhagenDate(nowMs);
  let ids: number[] = [];
  if (lookup.orderNumber) {
    const match = /^O-(\d{1,9})$/i.exec(lookup.orderNumber.trim());
    if (match) ids = [Number(match[1])];
  } else if (lookup.cardNumber) {
    ids = (tx.sqlite
      .query(
        `SELECT o.id FROM orders o JOIN cards c ON c.account_id = o.account_id
         WHERE c.card_number = ? AND o.canteen_id = ? AND o.delivery_day = ? AND o.status IN ('received','in_progress','ready')`,
      )
      .all(lookup.cardNumber, canteenId, today) as Array<{ id: number }>).map((row) => row.id);
  }
  const events: OrderEvent[] = [];
  for (const id of ids) {
    const order = getOrder(tx, id, nowMs);
    if (!order || order.canteenId !== canteenId || order.deliveryDay !== today) continue;
    if (order.status === "delivered" || order.status === "cancelled") continue;
    tx.sqlite.query("UPDATE orders SET status = 'delivered', updated_at = ? WHERE id = ?").run(nowMs, id);
    events.push(appendEvent(tx, id, nowMs));
  }
  return events;
}

/** Events after `afterSeq` for a kitchen (canteen and day) or a cardholder: what a reconnecting screen missed. */
export function orderEventsSince(tx: Tx, scope: { canteenId: number; deliveryDay: string } | { userId: number }, afterSeq: number, nowMs: number = Date.now()): OrderEvent[] {
  // Read in pages, so a screen that was away for a busy day gets everything it missed, not the first page only.
  const pageSize = 1000;
  const page = (after: number) =>
    (
      "userId" in scope
        ? tx.sqlite.query("SELECT seq, order_id, status FROM order_events WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(scope.userId, after, pageSize)
        : tx.sqlite
            .query("SELECT seq, order_id, status FROM order_events WHERE canteen_id = ? AND delivery_day = ? AND seq > ? ORDER BY seq LIMIT ?")
            .all(scope.canteenId, scope.deliveryDay, after, pageSize)
    ) as Array<{ seq: number; order_id: number; status: OrderStatus }>;
  const rows: Array<{ seq: number; order_id: number; status: OrderStatus }> = [];
  for (let next = page(afterSeq); next.length > 0; next = next.length === pageSize ? page(next[next.length - 1]!.seq) : []) rows.push(...next);
  // Each replayed event carries the state it recorded, so a resumed screen sees the same sequence a live one saw.
  return rows.map((row) => {
    const order = getOrder(tx, row.order_id, nowMs)!;
    return { seq: row.seq, order: { ...order, status: row.status, cancellable: order.cancellable && row.status === "received" } };
  });
}

/** Per-product counts of what is still to be made ("Skal laves: 12 × Dagens ret"): orders already Klar are done. */
export function preparationCounts(orders: readonly Order[]): Array<{ name: string; quantity: number }> {
  const counts = new Map<string, number>();
  for (const order of orders) {
    if (order.status !== "received" && order.status !== "in_progress") continue;
    for (const line of order.lines) counts.set(line.name, (counts.get(line.name) ?? 0) + line.quantity);
  }
  return [...counts].map(([name, quantity]) => ({ name, quantity })).sort((a, b) => b.quantity - a.quantity || a.name.localeCompare(b.name, "da"));
}
