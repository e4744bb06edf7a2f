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

export function declineMessage(reason: DeclineReason): { da: string; en: string } {
  return declineReasons[reason];
}
