// Typed publish/subscribe behind an interface; the in-process bus can later be swapped for LISTEN/NOTIFY or Redis.
import { errorField, log } from "../ops/logger.ts";
import type { AutoTopUpResult, LowBalanceEvent, Order } from "./types.ts";
export interface BalanceEvent {
  /** The transfer's sequence number: the event id a reconnecting client resumes from. */
  seq: number;
  accountId: number;
  transferId: string;
  kind: string;
  /** Signed change for this account: negative when money left it. */
  amountOre: number;
  balanceOre: number;
  description: string | null;
  createdAt: number;
}

/** The result of one automatic top-up attempt (see server/services/payments/outcomes.ts). */
export type AutoTopUpEvent = AutoTopUpResult;

/** An order changed state (placed, moved by the kitchen, delivered, cancelled); the order as it is now. */
export interface OrderEvent {
  /** Site-wide position (a cardholder's stream: their own events only). */
  seq: number;
  /** Position among the order's canteen's events (a kitchen screen's stream). */
  canteenSeq: number;
  order: Order;
}

/** Some sessions of a user ended (logout, password change or reset, a replaced card): open streams re-check theirs. */
export interface SessionsEndedEvent {
  userId: number;
}

/** Which accounts a user may act on changed (a guardian link was made or removed): open streams re-read theirs. */
export interface AccessChangedEvent {
  userId: number;
}

/** A card was blocked or unblocked in the back office: the holder's and guardians' open pages show it at once. */
export interface CardStatusEvent {
  accountId: number;
  cardNumber: string;
  status: "active" | "blocked";
  createdAt: number;
}

/** A kitchen screen was revoked in the back office: its open queue stream ends. */
export interface ScreenRevokedEvent {
  screenId: number;
}

/** A sale left a card under its payer's low-balance alert (server/services/payer.ts). */
export type { LowBalanceEvent };

export interface EventMap {
  /** Keyed by user id (the cardholder's Ordrer) and by "<canteen id>:<delivery day>" (the kitchen queue). */
  order: OrderEvent;
  /** Keyed by ledger account id. */
  balance: BalanceEvent;
  /** Keyed by user id. */
  autoTopUp: AutoTopUpEvent;
  /** Keyed by the payer's user id. */
  lowBalance: LowBalanceEvent;
  /** Keyed by user id. */
  sessionsEnded: SessionsEndedEvent;
  /** Keyed by the guardian's user id. */
  accessChanged: AccessChangedEvent;
  /** Keyed by screen id. */
  screenRevoked: ScreenRevokedEvent;
  /** Keyed by the user id of the card's holder and of each of their guardians. */
  cardStatus: CardStatusEvent;
}

export type Listener<T> = (event: T) => void;

export interface EventBus {
  publish<K extends keyof EventMap>(topic: K, key: string | number, event: EventMap[K]): void;
  subscribe<K extends keyof EventMap>(topic: K, key: string | number, listener: Listener<EventMap[K]>): () => void;
  /** Number of live listeners, for leak checks in tests and the soak benchmark. */
  listenerCount(): number;
}

export function createInProcessBus(): EventBus {
  const listeners = new Map<string, Set<Listener<any>>>();
  let count = 0;
  return {
    publish(topic, key, event) {
      const set = listeners.get(`${topic}:${key}`);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(event);
        } catch (error) {
          // One broken subscriber must not stop the others from hearing about a committed movement.
          log.error({ err: errorField(error, true) }, "event listener failed");
        }
      }
    },
    subscribe(topic, key, listener) {
      const name = `${topic}:${key}`;
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener);
      count += 1;
      return () => {
        if (set!.delete(listener)) count -= 1;
        if (set!.size === 0) listeners.delete(name);
      };
    },
    listenerCount: () => count,
  };
}
