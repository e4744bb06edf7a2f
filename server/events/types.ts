// What the live events carry: the bus owns these shapes, and the services that publish them build them. Nothing here
// imports above server/events (tools/layering.test.ts): a service imports its event's type from here, never the reverse.
import type { OrderStatus } from "../../db/schema.ts";

export type { OrderStatus };

/** One line of a webshop order. */
export interface OrderLine {
  productId: number;
  name: string;
  unitPriceOre: number;
  quantity: number;
  lineTotalOre: number;
  comment: string | null;
}

/** A webshop order as it is now (server/services/orders.ts). */
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
  /** The cut-off of the delivery day (UTC ms): orders are taken, and received ones cancelled, until then. */
  cancellableUntil: number;
}

/** The result of one automatic top-up attempt (server/services/payments/outcomes.ts). */
export interface AutoTopUpResult {
  seq: number;
  userId: number;
  accountId: number;
  paymentId: string;
  status: "captured" | "declined" | "failed";
  reason: string | null;
  amountOre: number;
  balanceOre: number;
  agreementPaused: boolean;
  createdAt: number;
}

/** A sale left a card under its payer's low-balance alert (server/services/payer.ts). */
export interface LowBalanceEvent {
  userId: number;
  accountId: number;
  balanceOre: number;
  thresholdOre: number;
  createdAt: number;
}
