// Webshop pre-orders and the kitchen queue: menus per day, atomic checkout from the card balance, cancel with refund, order states.
import type { InferResult } from "kysely";
import { db, prepared } from "../../db/query.ts";
import type { Order, OrderLine, OrderStatus } from "../events/types.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";
import { declineMessage } from "../../common/declines.ts";
import { postSystemTransfer, postTransfer, type Transfer } from "../ledger/ledger.ts";
import { addDays, copenhagenDate, cutoffInstant } from "../../common/calendar.ts";
import { IdempotencyConflictError, spendingLimitReason } from "./pos.ts";
import { actableAccount } from "./access.ts";
import { publishTransfers } from "../ledger/events.ts";
import type { EventBus } from "../events/bus.ts";

export type { Order, OrderLine, OrderStatus };

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
  /** Null without a photo (the shop shows a placeholder); see common/product-photos.ts for its addresses. */
  photoVersion: number | null;
  /** How many more can be ordered for the day; null when there is no limit. */
  remaining: number | null;
}



export interface OrderEvent {
  /** Site-wide position (the cardholder's own stream filters by user). */
  seq: number;
  /** Position among the order's canteen's events: what its kitchen screens see and resume from. */
  canteenSeq: number;
  order: Order;
}

/**
 * After a committed order change (never inside the transaction): its money events, and the order event for the
 * cardholder's Ordrer and for the kitchen screens of its canteen and day. Every order change publishes through here.
 */
export function publishOrderChange(services: { bus: EventBus }, transfers: readonly Transfer[], event: OrderEvent | null): void {
  publishTransfers(services.bus, transfers);
  if (event) {
    services.bus.publish("order", event.order.userId, event);
    services.bus.publish("order", `${event.order.canteenId}:${event.order.deliveryDay}`, event);
  }
}

export function orderNumber(orderId: number): string {
  return `O-${String(orderId).padStart(6, "0")}`;
}

// The name shown with an order (kitchen screen, pickup) is the paying account's holder: when a guardian orders for a
// child, the child is the one who collects the food with their card.
function orderSelect() {
  return db
    .selectFrom("orders as o")
    .innerJoin("ledger_accounts as a", "a.id", "o.account_id")
    .innerJoin("users as u", "u.id", "a.owner_user_id")
    .innerJoin("canteens as c", "c.id", "o.canteen_id")
    .select(["o.id", "o.user_id", "u.name as user_name", "o.account_id", "o.canteen_id", "o.delivery_day", "o.status", "o.total_ore", "o.created_at", "o.updated_at", "c.order_cutoff_time"]);
}

type OrderRow = InferResult<ReturnType<typeof orderSelect>>[number];

function lineColumns() {
  return db.selectFrom("order_lines").select(["order_id", "product_id", "name", "unit_price_ore", "quantity", "comment"]).orderBy("id");
}
type LineRow = InferResult<ReturnType<typeof lineColumns>>[number];

// One order (after every checkout, kitchen step and replayed event) and today's kitchen queue are on measured hot paths
// (webshop bench, live-stream backfill), so these queries are compiled once.
const orderById = prepared<{ orderId: number }>()((p) => orderSelect().where("o.id", "=", p.orderId));
const linesOfOrder = prepared<{ orderId: number }>()((p) => lineColumns().where("order_id", "=", p.orderId));
const queueOrders = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  orderSelect().where("o.canteen_id", "=", p.canteenId).where("o.delivery_day", "=", p.deliveryDay).where("o.status", "<>", "cancelled").orderBy("o.id"),
);

function groupLines(rows: readonly LineRow[]): Map<number, OrderLine[]> {
  const byOrder = new Map<number, OrderLine[]>();
  for (const row of rows) {
    const list = byOrder.get(row.order_id) ?? [];
    list.push({ productId: row.product_id, name: row.name, unitPriceOre: row.unit_price_ore, quantity: row.quantity, lineTotalOre: row.unit_price_ore * row.quantity, comment: row.comment });
    byOrder.set(row.order_id, list);
  }
  return byOrder;
}

function linesOf(tx: Tx, orderIds: number[]): Map<number, OrderLine[]> {
  if (orderIds.length === 0) return new Map();
  if (orderIds.length === 1) return groupLines(linesOfOrder.all(tx, { orderId: orderIds[0]! }));
  return groupLines(tx.all(lineColumns().where("order_id", "in", orderIds)));
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
    cancellableUntil: cutoffInstant(row.delivery_day, row.order_cutoff_time),
  }));
}

export function getOrder(tx: Tx, orderId: number, nowMs: number = Date.now()): Order | null {
  const row = orderById.first(tx, { orderId });
  return row ? toOrders(tx, [row], nowMs)[0]! : null;
}

export function listUserOrders(tx: Tx, userId: number, nowMs: number = Date.now()): Order[] {
  const rows = tx.all(orderSelect().where("o.user_id", "=", userId).orderBy("o.delivery_day", "desc").orderBy("o.id", "desc").limit(200));
  return toOrders(tx, rows, nowMs);
}

export function kitchenQueue(tx: Tx, canteenId: number, deliveryDay: string, nowMs: number = Date.now()): Order[] {
  return toOrders(tx, queueOrders.all(tx, { canteenId, deliveryDay }), nowMs);
}

const cutoffOfCanteen = prepared<{ canteenId: number }>()((p) => db.selectFrom("canteens").select("order_cutoff_time").where("id", "=", p.canteenId));

export function canteenCutoff(tx: Tx, canteenId: number): string | null {
  return cutoffOfCanteen.first(tx, { canteenId })?.order_cutoff_time ?? null;
}

/** Days (from today, two weeks ahead) that have a menu and are still open for orders. */
export function orderableDays(tx: Tx, canteenId: number, nowMs: number = Date.now()): string[] {
  const cutoff = canteenCutoff(tx, canteenId);
  if (!cutoff) return [];
  const today = copenhagenDate(nowMs);
  const rows = tx.all(
    db
      .selectFrom("menu_items")
      .select("delivery_day")
      .distinct()
      .where("canteen_id", "=", canteenId)
      .where("delivery_day", ">=", today)
      .where("delivery_day", "<=", addDays(today, 14))
      .orderBy("delivery_day"),
  );
  return rows.map((row) => row.delivery_day).filter((day) => nowMs < cutoffInstant(day, cutoff));
}

// The menu with what is left of each product is read on every checkout (webshop bench), so both queries are compiled once.
const orderedOfDay = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  db
    .selectFrom("order_lines as l")
    .innerJoin("orders as o", "o.id", "l.order_id")
    .select((eb) => ["l.product_id", eb.fn.sum<number>("l.quantity").as("quantity")])
    .where("o.canteen_id", "=", p.canteenId)
    .where("o.delivery_day", "=", p.deliveryDay)
    .where("o.status", "<>", "cancelled")
    .groupBy("l.product_id"),
);
const menuOfDay = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  db
    .selectFrom("menu_items as m")
    .innerJoin("products as p", "p.id", "m.product_id")
    .select(["p.id", "p.name", "p.description", "p.category", "p.price_ore", "p.allergens", "p.photo_version", "m.quantity_limit"])
    .where("m.canteen_id", "=", p.canteenId)
    .where("m.delivery_day", "=", p.deliveryDay)
    .where("p.active", "=", 1)
    .orderBy("p.category")
    .orderBy("p.name"),
);

function orderedQuantities(tx: Tx, canteenId: number, deliveryDay: string): Map<number, number> {
  return new Map(orderedOfDay.all(tx, { canteenId, deliveryDay }).map((row) => [row.product_id, row.quantity]));
}

export function menuFor(tx: Tx, canteenId: number, deliveryDay: string): MenuProduct[] {
  const ordered = orderedQuantities(tx, canteenId, deliveryDay);
  return menuOfDay.all(tx, { canteenId, deliveryDay }).map((row) => ({
    productId: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    priceOre: row.price_ore,
    allergens: row.allergens,
    photoVersion: row.photo_version,
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

// Every order change and checkout writes these, so they are compiled once.
const insertEvent = prepared<{ orderId: number; userId: number; canteenId: number; canteenSeq: number; deliveryDay: string; status: OrderStatus; createdAt: number }>()((p) =>
  db.insertInto("order_events").values({ order_id: p.orderId, user_id: p.userId, canteen_id: p.canteenId, canteen_seq: p.canteenSeq, delivery_day: p.deliveryDay, status: p.status, created_at: p.createdAt }),
);
// The canteen's last position, by the (canteen_id, canteen_seq) index: one step down the index, inside the write job.
const lastCanteenSeqQuery = prepared<{ canteenId: number }>()((p) =>
  db.selectFrom("order_events").select((eb) => eb.fn.coalesce(eb.fn.max("canteen_seq"), eb.lit(0)).as("canteenSeq")).where("canteen_id", "=", p.canteenId),
);

/** The end of one canteen's order-event log: the position a kitchen screen's snapshot is current to. */
export function lastCanteenSeq(tx: Tx, canteenId: number): number {
  return lastCanteenSeqQuery.first(tx, { canteenId })!.canteenSeq;
}
const orderByKey = prepared<{ userId: number; idempotencyKey: string }>()((p) =>
  db.selectFrom("orders").select(["id", "account_id", "delivery_day", "canteen_id"]).where("user_id", "=", p.userId).where("idempotency_key", "=", p.idempotencyKey),
);
// The active card decides; a blocked one counts only when there is no active card.
const cardsOfAccount = prepared<{ accountId: number }>()((p) =>
  db
    .selectFrom("cards")
    .select(["status", "limit_daily_ore", "limit_weekly_ore", "limit_monthly_ore"])
    .where("account_id", "=", p.accountId)
    .orderBy((eb) => eb("status", "=", "active"), "desc")
    .orderBy("id", "desc"),
);
const canteenForTransfer = prepared<{ canteenId: number }>()((p) => db.selectFrom("canteens").select(["name", "revenue_account_id"]).where("id", "=", p.canteenId));
const insertOrder = prepared<{ userId: number; accountId: number; canteenId: number; deliveryDay: string; totalOre: number; idempotencyKey: string; transferId: string; nowMs: number }>()((p) =>
  db.insertInto("orders").values({
    user_id: p.userId,
    account_id: p.accountId,
    canteen_id: p.canteenId,
    delivery_day: p.deliveryDay,
    status: "received",
    total_ore: p.totalOre,
    idempotency_key: p.idempotencyKey,
    transfer_id: p.transferId,
    created_at: p.nowMs,
    updated_at: p.nowMs,
  }),
);
const insertLine = prepared<{ orderId: number; productId: number; name: string; unitPriceOre: number; quantity: number; comment: string | null }>()((p) =>
  db.insertInto("order_lines").values({ order_id: p.orderId, product_id: p.productId, name: p.name, unit_price_ore: p.unitPriceOre, quantity: p.quantity, comment: p.comment }),
);
const setStatus = prepared<{ orderId: number; status: OrderStatus; nowMs: number }>()((p) =>
  db.updateTable("orders").set({ status: p.status, updated_at: p.nowMs }).where("id", "=", p.orderId),
);

function appendEvent(tx: WriteTx, orderId: number, nowMs: number): OrderEvent {
  const order = getOrder(tx, orderId, nowMs)!;
  // Write jobs run one at a time, so the next position is the last one plus one; the unique index would refuse a twin.
  const canteenSeq = lastCanteenSeq(tx, order.canteenId) + 1;
  const seq = insertEvent.run(tx, { orderId: order.orderId, userId: order.userId, canteenId: order.canteenId, canteenSeq, deliveryDay: order.deliveryDay, status: order.status, createdAt: nowMs }).lastInsertRowid;
  return { seq, canteenSeq, order };
}

/**
 * Pays for a basket from the card balance in one transaction: menu, cut-off, sold-out limits, spending limits and
 * the balance are checked, then one ledger transfer (card → canteen revenue) and the order are written together.
 */
export function checkout(tx: WriteTx, userId: number, request: CheckoutRequest, nowMs: number = Date.now()): CheckoutResult {
  const lineKey = canonicalLines(request.lines);
  const existing = orderByKey.first(tx, { userId, idempotencyKey: request.idempotencyKey });
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
  const card = cardsOfAccount.first(tx, { accountId: request.accountId });
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

  const canteen = canteenForTransfer.first(tx, { canteenId: request.canteenId })!;
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

  const orderId = insertOrder.run(tx, {
    userId,
    accountId: request.accountId,
    canteenId: request.canteenId,
    deliveryDay: request.deliveryDay,
    totalOre,
    idempotencyKey: request.idempotencyKey,
    transferId: posted.transfer.id,
    nowMs,
  }).lastInsertRowid;
  for (const line of request.lines) {
    const product = menu.find((item) => item.productId === line.productId)!;
    insertLine.run(tx, { orderId, productId: line.productId, name: product.name, unitPriceOre: product.priceOre, quantity: line.quantity, comment: line.comment?.trim() || null });
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
  const canteen = canteenForTransfer.first(tx, { canteenId: order.canteenId })!;
  const posted = postSystemTransfer(
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
  tx.run(db.updateTable("orders").set({ status: "cancelled", refund_transfer_id: posted.id, updated_at: nowMs }).where("id", "=", orderId));
  const event = appendEvent(tx, orderId, nowMs);
  return { ok: true, order: event.order, transfers: [posted], event };
}

export type AdvanceResult = { ok: true; order: Order; event: OrderEvent | null } | { ok: false; reason: "not_found" | "invalid_transition" };

/** The kitchen moves an order of its own canteen to the next state (or confirms it is already there). */
export function advanceOrder(tx: WriteTx, canteenId: number, orderId: number, to: OrderStatus, nowMs: number = Date.now()): AdvanceResult {
  const order = getOrder(tx, orderId, nowMs);
  if (!order || order.canteenId !== canteenId) return { ok: false, reason: "not_found" };
  if (order.status === to) return { ok: true, order, event: null };
  if (nextStatus[order.status] !== to) return { ok: false, reason: "invalid_transition" };
  setStatus.run(tx, { orderId, status: to, nowMs });
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
    ids = tx
      .all(
        db
          .selectFrom("orders as o")
          .innerJoin("cards as c", "c.account_id", "o.account_id")
          .select("o.id")
          .where("c.card_number", "=", lookup.cardNumber)
          .where("o.canteen_id", "=", canteenId)
          .where("o.delivery_day", "=", today)
          .where("o.status", "in", ["received", "in_progress", "ready"]),
      )
      .map((row) => row.id);
  }
  const events: OrderEvent[] = [];
  for (const id of ids) {
    const order = getOrder(tx, id, nowMs);
    if (!order || order.canteenId !== canteenId || order.deliveryDay !== today) continue;
    if (order.status === "delivered" || order.status === "cancelled") continue;
    setStatus.run(tx, { orderId: id, status: "delivered", nowMs });
    events.push(appendEvent(tx, id, nowMs));
  }
  return events;
}

// Read in pages, so a screen that was away for a busy day gets everything it missed, not the first page only.
const EVENT_PAGE_SIZE = 1000;
// The live-stream backfill runs these on every (re)connect, so they are compiled once.
const userEventsAfter = prepared<{ userId: number; afterSeq: number }>()((p) =>
  db.selectFrom("order_events").select(["seq", "canteen_seq", "order_id", "status"]).where("user_id", "=", p.userId).where("seq", ">", p.afterSeq).orderBy("seq").limit(EVENT_PAGE_SIZE),
);
const kitchenEventsAfter = prepared<{ canteenId: number; deliveryDay: string; afterSeq: number }>()((p) =>
  db
    .selectFrom("order_events")
    .select(["seq", "canteen_seq", "order_id", "status"])
    .where("canteen_id", "=", p.canteenId)
    .where("delivery_day", "=", p.deliveryDay)
    .where("canteen_seq", ">", p.afterSeq)
    .orderBy("canteen_seq")
    .limit(EVENT_PAGE_SIZE),
);

/** Events after `afterSeq` for a kitchen (canteen and day) or a cardholder: what a reconnecting screen missed. */
export function orderEventsSince(tx: Tx, scope: { canteenId: number; deliveryDay: string } | { userId: number }, afterSeq: number, nowMs: number = Date.now()): OrderEvent[] {
  const pageSize = EVENT_PAGE_SIZE;
  const page = (after: number) =>
    "userId" in scope
      ? userEventsAfter.all(tx, { userId: scope.userId, afterSeq: after })
      : kitchenEventsAfter.all(tx, { canteenId: scope.canteenId, deliveryDay: scope.deliveryDay, afterSeq: after });
  const rows: Array<ReturnType<typeof page>[number]> = [];
  // A user's events page by the site-wide seq, a canteen's by its own position (`afterSeq` is that position there).
  const position = (row: (typeof rows)[number]) => ("userId" in scope ? row.seq : row.canteen_seq);
  for (let next = page(afterSeq); next.length > 0; next = next.length === pageSize ? page(position(next[next.length - 1]!)) : []) rows.push(...next);
  // Each replayed event carries the state it recorded, so a resumed screen sees the same sequence a live one saw.
  return rows.map((row) => {
    const order = getOrder(tx, row.order_id, nowMs)!;
    return { seq: row.seq, canteenSeq: row.canteen_seq, order: { ...order, status: row.status, cancellable: order.cancellable && row.status === "received" } };
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
