// Webshop checkout and cancel: a basket paid from the card balance in one transaction, refunded in full before the cut-off.
import { db, prepared } from "../../../db/query.ts";
import type { WriteTx } from "../../../db/tx.ts";
import { declineMessage } from "../../../common/declines.ts";
import { postSystemTransfer, postTransfer, type Transfer } from "../../ledger/ledger.ts";
import { cutoffInstant } from "../../../common/calendar.ts";
import { IdempotencyConflictError } from "../pos.ts";
import { spendingLimitReason } from "../spending-limits.ts";
import { actableAccount } from "../access.ts";
import { appendEvent, getOrder, type Order, type OrderEvent } from "./records.ts";
import { canteenCutoff, menuFor } from "./menus.ts";

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
