// The till's offline queue in IndexedDB: sales made while the server was unreachable, kept across reloads until sent, and their outcome.
export interface QueuedSale {
  /** Insertion order (IndexedDB key): sales are sent in the order they were made. */
  seq?: number;
  saleId: string;
  /** The terminal the sale was made as: after pairing with another key, it is not sent as that terminal's sale. */
  terminalId: number | null;
  cardNumber: string;
  amountOre: number;
  items: Array<{ name: string; quantity: number; unitPriceOre: number }>;
  createdAt: number;
  /**
   * pending: waiting to be sent; declined: the server declined it on replay (kept until staff have followed up);
   * unresolved: an online sale whose answer was lost and that was not queued (over the offline limit), checked later;
   * charged: such a sale that the server did approve, shown to staff for follow-up (refund if nothing was handed over).
   */
  state: "pending" | "declined" | "unresolved" | "charged";
  reason?: string;
  message?: { da: string; en: string };
}

const DATABASE = "kantinekort-till";
const STORE = "sales";

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DATABASE, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
      store.createIndex("saleId", "saleId", { unique: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      opening = null;
      reject(request.error);
    };
  });
  return opening;
}

function run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  return open().then(
    (database) =>
      new Promise<T | undefined>((resolve, reject) => {
        const transaction = database.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        // Resolve on commit, not on the request's success: only a committed write survives a reload.
        transaction.oncomplete = () => resolve(request ? request.result : undefined);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error);
      }),
  );
}

/** Every stored sale, oldest first. */
export async function allQueued(): Promise<QueuedSale[]> {
  return ((await run<QueuedSale[]>("readonly", (store) => store.getAll())) ?? []).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

export async function enqueue(sale: Omit<QueuedSale, "seq">): Promise<void> {
  await run("readwrite", (store) => store.add(sale));
}

export async function updateQueued(sale: QueuedSale): Promise<void> {
  await run("readwrite", (store) => store.put(sale));
}

export async function removeQueued(seq: number): Promise<void> {
  await run("readwrite", (store) => store.delete(seq));
}

/** What the till needs of its queue (state.ts): IndexedDB in the browser, an in-memory one in unit tests. */
export interface SaleQueue {
  /** Every stored sale, oldest first. */
  all(): Promise<QueuedSale[]>;
  /** Stores a new sale; refused (rejects) when its sale id is stored already. */
  add(sale: Omit<QueuedSale, "seq">): Promise<void>;
  put(sale: QueuedSale): Promise<void>;
  remove(seq: number): Promise<void>;
}

export const indexedDbQueue: SaleQueue = { all: allQueued, add: enqueue, put: updateQueued, remove: removeQueued };
