// The counter's sale ids (checkout.ts): a retry keeps its id, another sale never reuses one, a lost answer is remembered.
import { describe, expect, test } from "vitest";
import { createCheckout, type CounterSale } from "./checkout.ts";
import type { SaleAnswer } from "./state.ts";

const basket = [{ name: "Dagens ret", quantity: 2, unitPriceOre: 3_500 }];
const card = "12345678901234";

/** A till whose answers the test chooses, recording every sale it was asked to make and every one given up. */
function scriptedTill(...answers: Array<SaleAnswer["kind"] | "lost" | "server_error">) {
  const sold: CounterSale[] = [];
  const givenUp: CounterSale[] = [];
  return {
    sold,
    givenUp,
    till: {
      async sell(sale: CounterSale): Promise<SaleAnswer> {
        sold.push(sale);
        const next = answers.shift() ?? "approved";
        const base = { saleId: sale.saleId, amountOre: sale.amountOre };
        if (next === "approved") return { kind: "approved", ...base, balanceOre: 0 };
        if (next === "declined") return { kind: "declined", ...base, balanceOre: 0, reason: "insufficient_funds", message: { da: "Ikke penge nok", en: "Not enough money" } };
        if (next === "pending") return { kind: "pending", ...base };
        if (next === "server_error") return { kind: "failed", ...base, cause: "server_error" };
        return { kind: "failed", ...base, cause: "over_offline_limit" };
      },
      async giveUp(sale: CounterSale): Promise<void> {
        givenUp.push(sale);
      },
    },
  };
}

function ids() {
  let next = 0;
  return () => `sale-id-${++next}`;
}

describe("sale ids at the counter", () => {
  test("a retry of the same basket and card after a lost answer keeps the sale id", async () => {
    const { till, sold } = scriptedTill("lost", "lost", "approved");
    const checkout = createCheckout(till, ids());
    await checkout.pay(card, basket);
    await checkout.pay(card, basket);
    await checkout.pay(card, basket);
    expect(sold.map((sale) => sale.saleId)).toEqual(["sale-id-1", "sale-id-1", "sale-id-1"]);
    expect(sold[0]).toEqual({ saleId: "sale-id-1", cardNumber: card, amountOre: 7_000, items: basket });
  });

  test("after an answer the same basket and card is a new sale with a new id", async () => {
    for (const answered of ["approved", "declined", "pending"] as const) {
      const { till, sold } = scriptedTill(answered, "approved");
      const checkout = createCheckout(till, ids());
      await checkout.pay(card, basket);
      await checkout.pay(card, basket);
      expect(sold.map((sale) => sale.saleId)).toEqual(["sale-id-1", "sale-id-2"]);
    }
  });

  test("another card or another basket never reuses a waiting sale id", async () => {
    const { till, sold } = scriptedTill("lost", "lost", "lost");
    const checkout = createCheckout(till, ids());
    await checkout.pay(card, basket);
    await checkout.pay("98765432109876", basket);
    await checkout.pay("98765432109876", [{ ...basket[0]!, quantity: 3 }]);
    expect(sold.map((sale) => sale.saleId)).toEqual(["sale-id-1", "sale-id-2", "sale-id-3"]);
  });

  test("next customer after a lost answer hands that sale to the till for a later check, and starts a new id", async () => {
    const { till, sold, givenUp } = scriptedTill("lost", "approved");
    const checkout = createCheckout(till, ids());
    const { sale } = await checkout.pay(card, basket);
    checkout.nextCustomer();
    expect(givenUp).toEqual([sale]);
    await checkout.pay(card, basket);
    expect(sold.map((made) => made.saleId)).toEqual(["sale-id-1", "sale-id-2"]);
    checkout.nextCustomer();
    expect(givenUp).toHaveLength(1);
  });

  test("a server error is an answer: nothing is given up, but a retry keeps the id (the server refused it unbooked)", async () => {
    const { till, sold, givenUp } = scriptedTill("server_error", "approved");
    const checkout = createCheckout(till, ids());
    await checkout.pay(card, basket);
    await checkout.pay(card, basket);
    expect(sold.map((made) => made.saleId)).toEqual(["sale-id-1", "sale-id-1"]);
    checkout.nextCustomer();
    expect(givenUp).toEqual([]);
  });
});
