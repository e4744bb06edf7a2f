// Fakes for the till's unit tests: a server that keeps sales by sale id like pos.sale does, an in-memory queue with
// IndexedDB's constraints (sequence keys, unique sale ids, stored copies), and an in-memory localStorage.
import type { TillClient } from "./api.ts";
import type { QueuedSale, SaleQueue } from "./queue.ts";
import type { TillConfig, TillEnvironment } from "./state.ts";

type SaleInput = { saleId: string; cardNumber: string; amountOre: number; items?: QueuedSale["items"] };
type SaleResult = { saleId: string; status: "approved" | "declined"; reason?: string; message?: { da: string; en: string }; amountOre: number; balanceOre: number | null; replayed: boolean };

/** What a browser's fetch throws when the network is down: the till reads it as "offline". */
const networkDown = () => new TypeError("Failed to fetch");

/**
 * The server side of the till, idempotent by sale id as `pos.sale` is: a sale id it has seen is answered again,
 * never charged again. `reachable = false` is a network cut; `loseNextAnswer` books the next sale and then drops the
 * answer, as a connection that breaks after the request arrived.
 */
export function fakeServer(options: { terminalId?: number; offlineMaxSaleOre?: number; balanceOre?: number; blockedCards?: string[] } = {}) {
  const config: TillConfig = {
    terminalId: options.terminalId ?? 1,
    terminalName: "Kasse 1",
    canteenName: "Kantinen",
    maxSaleOre: 100_000,
    offlineMaxSaleOre: options.offlineMaxSaleOre ?? 5_000,
    serverTime: 0,
  };
  const answers = new Map<string, SaleResult>();
  const state = {
    reachable: true,
    loseNextAnswer: false,
    /** Every pos.sale call that reached the server, by sale id, in order. */
    received: [] as string[],
    /** How often each sale id moved money. */
    charged: new Map<string, number>(),
    balanceOre: options.balanceOre ?? 100_000,
    config,
  };
  const reach = () => {
    if (!state.reachable) throw networkDown();
  };
  const sale = async (input: SaleInput): Promise<SaleResult> => {
    reach();
    state.received.push(input.saleId);
    let result = answers.get(input.saleId);
    if (result) result = { ...result, replayed: true };
    else if (options.blockedCards?.includes(input.cardNumber)) {
      result = { saleId: input.saleId, status: "declined", reason: "card_blocked", message: { da: "Kortet er spærret", en: "The card is blocked" }, amountOre: input.amountOre, balanceOre: null, replayed: false };
    } else {
      state.balanceOre -= input.amountOre;
      state.charged.set(input.saleId, (state.charged.get(input.saleId) ?? 0) + 1);
      result = { saleId: input.saleId, status: "approved", amountOre: input.amountOre, balanceOre: state.balanceOre, replayed: false };
    }
    answers.set(input.saleId, result);
    if (state.loseNextAnswer) {
      state.loseNextAnswer = false;
      throw networkDown();
    }
    return result;
  };
  const client = {
    pos: { sale: { mutate: sale } },
    till: {
      config: { query: async () => (reach(), { ...state.config }) },
      catalogue: { query: async () => (reach(), []) },
      cardholder: { query: async () => (reach(), null) },
      salesToday: { query: async () => (reach(), { sales: [...answers.values()].map((known) => ({ saleId: known.saleId, status: known.status })) }) },
    },
  };
  // Only the procedures the till's state calls; any other would be a test bug and fail loudly as undefined.
  return Object.assign(state, { client: client as unknown as TillClient });
}

/** The till's queue in memory, with what IndexedDB guarantees: sequence keys in insertion order, unique sale ids, copies. */
export function memoryQueue(): SaleQueue & { rows: Map<number, QueuedSale> } {
  const rows = new Map<number, QueuedSale>();
  let nextSeq = 1;
  return {
    rows,
    async all() {
      return [...rows.values()].sort((a, b) => a.seq! - b.seq!).map((row) => structuredClone(row));
    },
    async add(sale) {
      if ([...rows.values()].some((row) => row.saleId === sale.saleId)) throw new Error(`ConstraintError: sale id ${sale.saleId} is queued already`);
      const seq = nextSeq++;
      rows.set(seq, structuredClone({ ...sale, seq }));
    },
    async put(sale) {
      rows.set(sale.seq!, structuredClone(sale));
    },
    async remove(seq) {
      rows.delete(seq);
    },
  };
}

/** localStorage in memory. */
export function memoryStorage(): TillEnvironment["storage"] & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (name) => items.get(name) ?? null,
    setItem: (name, value) => void items.set(name, String(value)),
    removeItem: (name) => void items.delete(name),
  };
}
