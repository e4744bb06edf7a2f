// Spending limits (per day, week and month, Copenhagen calendar) on a card's net spending: the till's sales and the webshop's orders.
import type { Selectable } from "kysely";
import type { Tx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { CardsTable } from "../../db/schema.ts";
import { LIMIT_DECLINE_PRECEDENCE, type LimitDeclineReason } from "../../common/declines.ts";
import { currentPeriodStarts } from "../../common/calendar.ts";

/**
 * Net spending (sales and orders less their refunds) on an account since each period start. A refund counts at
 * the time of the purchase it reverses, not at its own time: refunding yesterday's sale today must not give the
 * card extra room today. POS refunds reference their sale's transfer id without its `sale:` prefix (the sale id for
 * sales recorded before issue 29, `<terminal id>/<sale id>` since); order cancellations (transfer id
 * `order-refund:<order id>`) reference `order:<order id>`, whose transfer the orders table names.
 */
const spending = prepared<{ accountId: number; since: number; dayStart: number; weekStart: number; monthStart: number }>()((p) => {
  const purchases = db
    .selectFrom("transfers")
    .select(["created_at", "amount_ore as signed"])
    .where("debit_account_id", "=", p.accountId)
    .where("kind", "in", ["sale", "order"])
    .where("created_at", ">=", p.since);
  const refunds = db
    .selectFrom("transfers as refund")
    .innerJoin("transfers as purchase", (join) =>
      join
        .on((eb) =>
          eb(
            "purchase.id",
            "=",
            eb
              .case()
              .when("refund.id", "like", "order-refund:%")
              .then(
                eb
                  .selectFrom("orders")
                  .select("orders.transfer_id")
                  .where("orders.id", "=", eb.cast<number>(eb.fn<string>("substr", ["refund.reference", eb.lit(7)]), "integer")),
              )
              .else(eb(eb.val("sale:"), "||", eb.ref("refund.reference")))
              .end(),
          ),
        )
        .on("purchase.debit_account_id", "=", p.accountId)
        .on("purchase.kind", "in", ["sale", "order"]),
    )
    .select((eb) => ["purchase.created_at", eb.neg(eb.ref("refund.amount_ore")).as("signed")])
    .where("refund.credit_account_id", "=", p.accountId)
    .where("refund.kind", "=", "refund")
    .where("refund.created_at", ">=", p.since)
    .where("purchase.created_at", ">=", p.since);
  return db
    .selectFrom(purchases.unionAll(refunds).as("spent"))
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>(eb.case().when("created_at", ">=", p.dayStart).then(eb.ref("signed")).end()), eb.lit(0)).as("day"),
      eb.fn.coalesce(eb.fn.sum<number>(eb.case().when("created_at", ">=", p.weekStart).then(eb.ref("signed")).end()), eb.lit(0)).as("week"),
      eb.fn.coalesce(eb.fn.sum<number>(eb.case().when("created_at", ">=", p.monthStart).then(eb.ref("signed")).end()), eb.lit(0)).as("month"),
    ]);
});

/** Net spending on an account in the current Copenhagen day, week and month (see `spending`). */
export function spentSince(tx: Tx, accountId: number, nowMs: number): { day: number; week: number; month: number } {
  const periods = currentPeriodStarts(nowMs);
  const since = Math.min(periods.weekStartMs, periods.monthStartMs);
  return spending.first(tx, { accountId, since, dayStart: periods.dayStartMs, weekStart: periods.weekStartMs, monthStart: periods.monthStartMs })!;
}

/** A card's spending limits, as the cards table holds them. */
export type SpendingLimits = Pick<Selectable<CardsTable>, "limit_daily_ore" | "limit_weekly_ore" | "limit_monthly_ore">;

/** The first spending limit (day, week, month) that `amountOre` more would exceed on this account, or null. */
export type LimitReason = LimitDeclineReason;

/** Which column and period each limit decline is about. */
export const LIMIT_OF: Record<LimitDeclineReason, { column: keyof SpendingLimits; period: "day" | "week" | "month" }> = {
  limit_daily_exceeded: { column: "limit_daily_ore", period: "day" },
  limit_weekly_exceeded: { column: "limit_weekly_ore", period: "week" },
  limit_monthly_exceeded: { column: "limit_monthly_ore", period: "month" },
};

/** Whether `amountOre` more would pass this limit of the card, given what was spent in its period (no limit: never). */
export function exceedsLimit(limits: SpendingLimits, spent: () => { day: number; week: number; month: number }, amountOre: number, reason: LimitDeclineReason): boolean {
  const limit = limits[LIMIT_OF[reason].column];
  return limit !== null && spent()[LIMIT_OF[reason].period] + amountOre > limit;
}

export function spendingLimitReason(tx: Tx, accountId: number, limits: SpendingLimits, amountOre: number, nowMs: number): LimitReason | null {
  if (limits.limit_daily_ore === null && limits.limit_weekly_ore === null && limits.limit_monthly_ore === null) return null;
  const spent = spentSince(tx, accountId, nowMs);
  return LIMIT_DECLINE_PRECEDENCE.find((reason) => exceedsLimit(limits, () => spent, amountOre, reason)) ?? null;
}
