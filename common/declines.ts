// Reason codes for declined sales and refunds, with the texts tills and the portal show (Danish first, then English).
export const declineReasons = {
  card_unknown: { da: "Kortet findes ikke", en: "Card not found" },
  card_blocked: { da: "Kortet er spærret", en: "Card is blocked" },
  amount_over_sale_maximum: { da: "Beløbet er over det højeste tilladte køb", en: "Amount is above the largest allowed sale" },
  limit_daily_exceeded: { da: "Dagligt maks. forbrug er nået", en: "Daily spending limit reached" },
  limit_weekly_exceeded: { da: "Ugentligt maks. forbrug er nået", en: "Weekly spending limit reached" },
  limit_monthly_exceeded: { da: "Månedligt maks. forbrug er nået", en: "Monthly spending limit reached" },
  insufficient_funds: { da: "Ikke penge nok på kortet", en: "Insufficient balance" },
  sale_not_found: { da: "Salget findes ikke", en: "Sale not found" },
  already_refunded: { da: "Salget er allerede refunderet", en: "Sale already refunded" },
  refund_exceeds_sale: { da: "Refusionen er større end det, der kan refunderes", en: "Refund exceeds what remains of the sale" },
} as const;

export type DeclineReason = keyof typeof declineReasons;

/**
 * The order a sale's checks run in, and so the reason a sale that breaks several rules gets: the first that fails
 * (after the terminal key and the input's shape). `server/services/pos.ts` runs its checks in exactly this order,
 * `server/services/declines.test.ts` tries every combination of broken rules against it, and the README lists it.
 */
export const SALE_DECLINE_PRECEDENCE = [
  "card_unknown",
  "card_blocked",
  "amount_over_sale_maximum",
  "limit_daily_exceeded",
  "limit_weekly_exceeded",
  "limit_monthly_exceeded",
  "insufficient_funds",
] as const satisfies readonly DeclineReason[];

export type SaleDeclineReason = (typeof SALE_DECLINE_PRECEDENCE)[number];

/** The spending limits among them, in the same order (the webshop checks them too). */
export const LIMIT_DECLINE_PRECEDENCE = SALE_DECLINE_PRECEDENCE.filter((reason): reason is Extract<SaleDeclineReason, `limit_${string}`> => reason.startsWith("limit_"));

export type LimitDeclineReason = (typeof LIMIT_DECLINE_PRECEDENCE)[number];

/** A refund's declines (server/services/pos.ts recordRefund). */
export const REFUND_DECLINE_REASONS = ["sale_not_found", "already_refunded", "refund_exceeds_sale"] as const satisfies readonly DeclineReason[];

// Every reason is a sale's or a refund's: a new one must be placed in one of the lists above.
type Unplaced = Exclude<DeclineReason, SaleDeclineReason | (typeof REFUND_DECLINE_REASONS)[number]>;
const everyReasonPlaced: [Unplaced] extends [never] ? true : Unplaced = true;
void everyReasonPlaced;

export function declineMessage(reason: DeclineReason): { da: string; en: string } {
  return declineReasons[reason];
}
