// Orders as the cardholder and the kitchen see them: the row mapping, one order, a user's list, and the order-event log.
import type { InferResult } from "kysely";
import { db, prepared } from "../../../db/query.ts";
import type { Order, OrderLine, OrderStatus } from "../../events/types.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import type { Transfer } from "../../ledger/ledger.ts";
import { cutoffInstant } from "../../../common/calendar.ts";
import { publishTransfers } from "../../ledger/events.ts";
import type { EventBus } from "../../events/bus.ts";

export type { Order, OrderLine, OrderStatus };

/** The kitchen moves an order one step forward at a time; cancelling is the cardholder's (before cut-off). */
export const nextStatus: Record<OrderStatus, OrderStatus | null> = {
  received: "in_progress",
  in_progress: "ready",
  ready: "delivered",
  delivered: null,
  cancelled: null,
};

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
export function orderSelect() {
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

export function toOrders(tx: Tx, rows: OrderRow[], nowMs: number): Order[] {
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
/** An order's new state (the kitchen's steps, pickup); the event is appended separately (appendEvent). */
export const setStatus = prepared<{ orderId: number; status: OrderStatus; nowMs: number }>()((p) =>
  db.updateTable("orders").set({ status: p.status, updated_at: p.nowMs }).where("id", "=", p.orderId),
);

/** Records an order's current state as its next event, on the site-wide and the canteen's own position. */
export function appendEvent(tx: WriteTx, orderId: number, nowMs: number): OrderEvent {
  const order = getOrder(tx, orderId, nowMs)!;
  // Write jobs run one at a time, so the next position is the last one plus one; the unique index would refuse a twin.
  const canteenSeq = lastCanteenSeq(tx, order.canteenId) + 1;
  const seq = insertEvent.run(tx, { orderId: order.orderId, userId: order.userId, canteenId: order.canteenId, canteenSeq, deliveryDay: order.deliveryDay, status: order.status, createdAt: nowMs }).lastInsertRowid;
  return { seq, canteenSeq, order };
}
