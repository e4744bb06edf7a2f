// The kitchen's side of orders: today's queue, one step forward at a time, pickup, and the events a reconnecting screen missed.
import { db, prepared } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { copenhagenDate } from "../../../common/calendar.ts";
import { appendEvent, getOrder, nextStatus, orderSelect, setStatus, toOrders, type Order, type OrderEvent, type OrderStatus } from "./records.ts";

// Today's kitchen queue is on a measured hot path (live-stream backfill), so it is compiled once.
const queueOrders = prepared<{ canteenId: number; deliveryDay: string }>()((p) =>
  orderSelect().where("o.canteen_id", "=", p.canteenId).where("o.delivery_day", "=", p.deliveryDay).where("o.status", "<>", "cancelled").orderBy("o.id"),
);

export function kitchenQueue(tx: Tx, canteenId: number, deliveryDay: string, nowMs: number = Date.now()): Order[] {
  return toOrders(tx, queueOrders.all(tx, { canteenId, deliveryDay }), nowMs);
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
