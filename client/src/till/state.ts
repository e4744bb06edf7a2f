// The till's connection and money logic: heartbeat and online state, cached configuration and catalogue, sales with the offline queue and its replay.
import { createSignal } from "solid-js";
import { failureKind, tillClient, type TillClient } from "./api.ts";
import { indexedDbQueue, type QueuedSale, type SaleQueue } from "./queue.ts";

export type TillConfig = Awaited<ReturnType<TillClient["till"]["config"]["query"]>>;
export type TillProduct = Awaited<ReturnType<TillClient["till"]["catalogue"]["query"]>>[number];
export type TillHolder = NonNullable<Awaited<ReturnType<TillClient["till"]["cardholder"]["query"]>>>;
export type SaleItem = QueuedSale["items"][number];

export type SaleAnswer =
  | { kind: "approved"; saleId: string; amountOre: number; balanceOre: number | null }
  | { kind: "declined"; saleId: string; amountOre: number; balanceOre: number | null; reason: string; message: { da: string; en: string } }
  | { kind: "pending"; saleId: string; amountOre: number; storage?: true }
  | { kind: "failed"; saleId: string; amountOre: number; cause: "over_offline_limit" | "offline_disabled" | "server_error" | "storage_unavailable" };

/** How often the till asks the server whether it is there and whether the key is still valid. */
export const HEARTBEAT_MS = 3_000;
/** How often the catalogue is refreshed while online. */
const CATALOGUE_REFRESH_MS = 60_000;

const CONFIG_CACHE = "kk_till_config";
const CATALOGUE_CACHE = "kk_till_catalogue";

/** What the till needs of the browser, passed in so that unit tests run it on fakes (`state.test.ts`). */
export interface TillEnvironment {
  client: TillClient;
  queue: SaleQueue;
  storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  /** The browser's own guess at start-up (`navigator.onLine`); the heartbeat decides after that. */
  online: boolean;
  /** Where the browser's `online`/`offline` events arrive. */
  events: Pick<EventTarget, "addEventListener" | "removeEventListener">;
}

function browserEnvironment(key: string): TillEnvironment {
  return { client: tillClient(key), queue: indexedDbQueue, storage: localStorage, online: navigator.onLine, events: window };
}

function readCache<T>(storage: TillEnvironment["storage"], name: string): T | null {
  try {
    const text = storage.getItem(name);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

function writeCache(storage: TillEnvironment["storage"], name: string, value: unknown): void {
  try {
    storage.setItem(name, JSON.stringify(value));
  } catch {
    // A full or blocked storage only costs the offline start-up; selling online still works.
  }
}

/** Forgets what this device cached for its terminal (on unpairing), so the next pairing starts clean. */
export function clearTillCache(): void {
  localStorage.removeItem(CONFIG_CACHE);
  localStorage.removeItem(CATALOGUE_CACHE);
}

/**
 * One paired till. `onRefused` runs when the server refuses the key (revoked or unknown): the page then shows the
 * pairing screen. The configuration and catalogue are cached on the device so that a reload without a network still
 * sells, within the offline limit the server last served.
 */
export function createTill(key: string, onRefused: () => void, environment: TillEnvironment = browserEnvironment(key)) {
  const { client, queue: store, storage, events } = environment;
  const [online, setOnline] = createSignal(environment.online);
  const [config, setConfig] = createSignal<TillConfig | null>(readCache<TillConfig>(storage, CONFIG_CACHE));
  const [catalogue, setCatalogue] = createSignal<TillProduct[] | null>(readCache<TillProduct[]>(storage, CATALOGUE_CACHE));
  const [queue, setQueue] = createSignal<QueuedSale[]>([]);
  const [refused, setRefused] = createSignal(false);
  let catalogueLoadedAt = 0;
  let stopped = false;

  async function reloadQueue(): Promise<void> {
    try {
      setQueue(await store.all());
    } catch {
      // IndexedDB unavailable (private mode in some browsers): the till sells online only; nothing was queued.
      setQueue([]);
    }
  }

  /** Handles a failed call: a refused key unpairs, an unreachable server means offline. */
  function failed(error: unknown): ReturnType<typeof failureKind> {
    const kind = failureKind(error);
    if (kind === "unauthorized") {
      setRefused(true);
      onRefused();
    } else if (kind === "network") setOnline(false);
    return kind;
  }

  async function loadCatalogue(): Promise<void> {
    const products = await client.till.catalogue.query();
    setCatalogue(products);
    writeCache(storage, CATALOGUE_CACHE, products);
    catalogueLoadedAt = Date.now();
  }

  let beating = false;
  async function heartbeat(): Promise<void> {
    if (beating || stopped) return;
    beating = true;
    try {
      const fresh = await client.till.config.query();
      setConfig(fresh);
      writeCache(storage, CONFIG_CACHE, fresh);
      setOnline(true);
      if (Date.now() - catalogueLoadedAt > CATALOGUE_REFRESH_MS) await loadCatalogue();
      await flush();
    } catch (error) {
      failed(error);
    } finally {
      beating = false;
    }
  }

  let flushing: Promise<void> | null = null;
  /** Sends queued sales in the order they were made; stops at the first network failure and keeps the rest. */
  function flush(): Promise<void> {
    flushing ??= (async () => {
      try {
        // Without this key's configuration the till cannot tell whose sales these are: wait for the heartbeat.
        if (!config()) return;
        const stored = await store.all();
        let today: Set<string> | null = null;
        for (const sale of stored) {
          if (stopped) break;
          if (sale.state === "pending" && sale.terminalId !== null && config()?.terminalId !== sale.terminalId) {
            // Made before this device was paired with another key (perhaps of another canteen): never sent under it.
            await store.put({ ...sale, state: "declined", reason: "other_terminal", message: { da: "Solgt som en anden kasse, før enheden blev parret igen; ikke sendt", en: "Sold as another till before this device was paired again; not sent" } });
          } else if (sale.state === "pending") {
            try {
              // The same sale id as at the counter: a sale the server already has is answered, never charged again.
              const result = await client.pos.sale.mutate({ saleId: sale.saleId, cardNumber: sale.cardNumber, amountOre: sale.amountOre, items: sale.items });
              if (result.status === "approved") await store.remove(sale.seq!);
              else await store.put({ ...sale, state: "declined", reason: result.reason ?? "declined", ...(result.message ? { message: result.message } : {}) });
            } catch (error) {
              const kind = failed(error);
              // Unreachable, refused key or a server that cannot store now: keep this sale and the rest, same ids.
              if (kind !== "other") break;
              // The server refused the sale itself (e.g. a conflict): staff must see it, as with a decline.
              await store.put({ ...sale, state: "declined", reason: "error", message: { da: "Serveren afviste salget", en: "The server refused the sale" } });
            }
          } else if (sale.state === "unresolved") {
            // A lost answer for a sale that was not queued: if the server has it, it is in today's list (refundable there).
            today ??= new Set((await client.till.salesToday.query()).sales.filter((known) => known.status === "approved").map((known) => known.saleId));
            if (today.has(sale.saleId)) await store.put({ ...sale, state: "charged" });
            else await store.remove(sale.seq!);
          }
        }
      } catch (error) {
        failed(error);
      } finally {
        await reloadQueue();
        flushing = null;
      }
    })();
    return flushing;
  }

  const pending = () => queue().filter((sale) => sale.state === "pending");

  /**
   * One sale. Online, the server answers; when it cannot be reached (or sales are already waiting), a sale within
   * the offline limit is queued under its sale id and answered "Afventer". Over the limit, the till says so and the
   * same sale id is kept for a retry, so a sale whose answer was lost is never charged twice.
   */
  async function sell(sale: { saleId: string; cardNumber: string; amountOre: number; items: SaleItem[] }): Promise<SaleAnswer> {
    if (online() && pending().length > 0) await flush();
    const limitOre = config()?.offlineMaxSaleOre ?? 0;
    const queueIt = async (): Promise<SaleAnswer> => {
      if (limitOre === 0) return { kind: "failed", saleId: sale.saleId, amountOre: sale.amountOre, cause: "offline_disabled" };
      if (sale.amountOre > limitOre) return { kind: "failed", saleId: sale.saleId, amountOre: sale.amountOre, cause: "over_offline_limit" };
      await store.add({ ...sale, terminalId: config()?.terminalId ?? null, createdAt: Date.now(), state: "pending" });
      await reloadQueue();
      return { kind: "pending", saleId: sale.saleId, amountOre: sale.amountOre };
    };
    // Sales keep their order: while older ones wait, a new one waits behind them.
    if (!online() || pending().length > 0) return queueIt();
    try {
      const result = await client.pos.sale.mutate(sale);
      if (result.status === "approved") return { kind: "approved", saleId: sale.saleId, amountOre: result.amountOre, balanceOre: result.balanceOre };
      return {
        kind: "declined",
        saleId: sale.saleId,
        amountOre: result.amountOre,
        balanceOre: result.balanceOre,
        reason: result.reason ?? "declined",
        message: result.message ?? { da: "Afvist", en: "Declined" },
      };
    } catch (error) {
      const kind = failed(error);
      if (kind === "network") return queueIt();
      if (kind === "unavailable") {
        // The server could not store the sale (its disk): nothing was written, so it waits in the queue under the same
        // sale id and the heartbeat sends it again; over the offline limit it is kept for a retry at the counter.
        const queued = await queueIt();
        if (queued.kind === "pending") return { ...queued, storage: true };
        return { kind: "failed", saleId: sale.saleId, amountOre: sale.amountOre, cause: "storage_unavailable" };
      }
      return { kind: "failed", saleId: sale.saleId, amountOre: sale.amountOre, cause: "server_error" };
    }
  }

  /** A sale given up after a lost answer: remembered until the till has checked it against the server. */
  async function giveUp(sale: { saleId: string; cardNumber: string; amountOre: number; items: SaleItem[] }): Promise<void> {
    try {
      await store.add({ ...sale, terminalId: config()?.terminalId ?? null, createdAt: Date.now(), state: "unresolved" });
    } finally {
      await reloadQueue();
    }
  }

  async function acknowledge(sale: QueuedSale): Promise<void> {
    await store.remove(sale.seq!);
    await reloadQueue();
  }

  async function holder(cardNumber: string): Promise<TillHolder | null> {
    try {
      return await client.till.cardholder.query({ cardNumber });
    } catch {
      return null;
    }
  }

  const onOnline = () => void heartbeat();
  const onOffline = () => setOnline(false);
  events.addEventListener("online", onOnline);
  events.addEventListener("offline", onOffline);
  const timer = setInterval(() => void heartbeat(), HEARTBEAT_MS);
  void reloadQueue().then(() => heartbeat());

  return {
    client,
    online,
    config,
    catalogue,
    queue,
    pending,
    refused,
    sell,
    giveUp,
    acknowledge,
    holder,
    flush,
    heartbeat,
    /** Called when the page goes away or unpairs: no more heartbeats or replays with this key. */
    stop(): void {
      stopped = true;
      clearInterval(timer);
      events.removeEventListener("online", onOnline);
      events.removeEventListener("offline", onOffline);
    },
  };
}

export type Till = ReturnType<typeof createTill>;
