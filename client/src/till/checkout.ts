// The till's never-charge-twice rule at the counter: which sale id a payment carries, and what "next customer" leaves behind.
import { createIdempotencyKeys } from "../idempotency.ts";
import { newSaleId } from "./api.ts";
import type { SaleAnswer, SaleItem, Till } from "./state.ts";

export type CounterSale = { saleId: string; cardNumber: string; amountOre: number; items: SaleItem[] };

/**
 * One customer at a time. A retry of the same basket and card keeps its sale id (the server answers a sale it already
 * has instead of charging it again); another basket or card, or any sale after an answer, gets a new one. A sale whose
 * answer was lost and that was not queued is handed to `till.giveUp` when staff move on, so it is checked later.
 */
export function createCheckout(till: Pick<Till, "sell" | "giveUp">, newId: () => string = newSaleId) {
  const saleIds = createIdempotencyKeys(newId);
  let unanswered: CounterSale | null = null;
  return {
    /** The sale id this payment carries: the last attempt's when nothing changed since and no answer came. */
    saleIdFor(request: { cardNumber: string; items: SaleItem[] }): string {
      return saleIds.keyFor(request);
    },
    async pay(cardNumber: string, items: SaleItem[]): Promise<{ sale: CounterSale; answer: SaleAnswer }> {
      const amountOre = items.reduce((sum, item) => sum + item.quantity * item.unitPriceOre, 0);
      const sale: CounterSale = { saleId: saleIds.keyFor({ cardNumber, items }), cardNumber, amountOre, items };
      const answer = await till.sell(sale);
      // Lost or refused for the queue (over the limit, no storage): the server may have it. A server error is an answer.
      unanswered = answer.kind === "failed" && answer.cause !== "server_error" ? sale : null;
      // Answered (or queued under its id): the next sale is a new one even with the same basket and card.
      if (answer.kind !== "failed") saleIds.settle();
      return { sale, answer };
    },
    /** Staff move on: a sale left without an answer is remembered for a later check; the next sale gets a new id. */
    nextCustomer(): void {
      if (unanswered) void till.giveUp(unanswered);
      unanswered = null;
      saleIds.settle();
    },
  };
}

export type Checkout = ReturnType<typeof createCheckout>;
