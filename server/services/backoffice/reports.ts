// The daily report of one tenant: every kind of money movement of one Copenhagen day on its own line, sales by canteen
// and product, and the outstanding balances. Each line is a sum of ledger transfers, so the report reconciles with the ledger.
import type { Words } from "../../../common/audit.ts";
import { db } from "../../../db/query.ts";
import type { TransferKind } from "../../../db/schema.ts";
import type { Tx } from "../../../db/tx.ts";
import { copenhagenMidnight } from "../../../common/calendar.ts";
import { chainHeadAt, type SealCheckpoint } from "../../ledger/chain.ts";

/** The lines of the day's movements, in the order the report shows them. */
export const REPORT_LINES = {
  sales: { da: "Salg (kasse og webshop)", en: "Sales (till and webshop)" },
  refunds: { da: "Refusioner og annulleringer", en: "Refunds and cancellations" },
  deposits: { da: "Indbetalinger (også Auto-optank)", en: "Deposits (Auto top-up included)" },
  payoutRequests: { da: "Udbetalinger anmodet (trukket fra kortene)", en: "Payouts requested (taken from the cards)" },
  payoutsPaid: { da: "Udbetalinger sendt til banken", en: "Payouts sent to the bank" },
  payoutsReturned: { da: "Afviste udbetalinger ført tilbage", en: "Rejected payouts returned" },
  correctionsCredit: { da: "Korrektioner indsat", en: "Corrections credited" },
  correctionsDebit: { da: "Korrektioner trukket", en: "Corrections debited" },
  transfers: { da: "Overførsler mellem kort", en: "Transfers between cards" },
  other: { da: "Andre bevægelser", en: "Other movements" },
} as const satisfies Record<string, Words>;

export type ReportLineKey = keyof typeof REPORT_LINES;

export interface ReportLine {
  key: ReportLineKey;
  label: Words;
  amountOre: number;
  count: number;
}

export interface DailyReport {
  day: string;
  /** Every movement of the day by kind; each line is a sum of the day's ledger transfers. */
  lines: ReportLine[];
  salesByCanteen: Array<{ canteen: string; salesOre: number; count: number }>;
  salesByProduct: Array<{ product: string; quantity: number; amountOre: number }>;
  depositsOre: number;
  /** Payouts sent to the bank that day (approved); a rejected payout is not one. */
  payoutsOre: number;
  refundsOre: number;
  /** Outstanding card balances now. */
  liabilityOre: number;
  /** Payouts requested and still waiting for a decision now. */
  payoutsPendingOre: number;
  /** The ledger's hash-chain head sealed by the day's end (site-wide, but a hash reveals no school's figures): printed, it shows a later rewrite of history. */
  chainHead: SealCheckpoint | null;
}

interface MovementGroup {
  kind: TransferKind;
  debit_kind: string;
  credit_kind: string;
  debit_own: number | null;
  credit_own: number | null;
  amount_ore: number;
  count: number;
}

/** Which line a group of transfers belongs on; null for sales, which the report shows by canteen. */
function lineOf(group: MovementGroup): ReportLineKey | null {
  const debitOwn = group.debit_own === 1;
  const creditOwn = group.credit_own === 1;
  switch (group.kind) {
    case "sale":
    case "order":
      return "sales";
    case "refund":
      return "refunds";
    case "deposit":
    case "auto_top_up":
      return "deposits";
    case "payout":
      // A request moves money from a card into payout clearing; the payment to the bank leaves clearing (counted apart).
      return debitOwn ? "payoutRequests" : "other";
    case "correction":
      if (creditOwn && group.debit_kind === "payout_clearing") return "payoutsReturned";
      if (creditOwn && group.debit_kind === "corrections") return "correctionsCredit";
      if (debitOwn && group.credit_kind === "corrections") return "correctionsDebit";
      return "other";
    case "transfer":
      return "transfers";
    default:
      return "other";
  }
}

function dayBounds(day: string): { from: number; to: number } {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return { from: copenhagenMidnight(year, month, date), to: copenhagenMidnight(year, month, date + 1) };
}

/**
 * The tenant's approved till sales of [from, to). Written as "terminal in (the tenant's tills)" so that SQLite reads
 * each till's sales of the period through sales(terminal_id, created_at) even without statistics; the joined form
 * was planned as a scan of every sale ever made (issue 27: 19 s at 3M sales).
 */
export function tillSalesOfPeriod(tenantId: number, from: number, to: number) {
  return db
    .selectFrom("sales as s")
    .select(["s.items_json", "s.amount_ore"])
    .where("s.terminal_id", "in", (eb) =>
      eb.selectFrom("terminals as t").innerJoin("canteens as c", "c.id", "t.canteen_id").select("t.id").where("c.tenant_id", "=", tenantId),
    )
    .where("s.status", "=", "approved")
    .where("s.created_at", ">=", from)
    .where("s.created_at", "<", to);
}

/** Webshop lines of the tenant's orders placed in [from, to), through orders(canteen_id, created_at) (see above). */
export function orderLinesOfPeriod(tenantId: number, from: number, to: number) {
  return db
    .selectFrom("order_lines as l")
    .select((eb) => ["l.name", eb.fn.sum<number>("l.quantity").as("quantity"), eb.fn.sum<number>(eb("l.quantity", "*", eb.ref("l.unit_price_ore"))).as("amount_ore")])
    .where("l.order_id", "in", (eb) =>
      eb
        .selectFrom("orders as o")
        .select("o.id")
        .where("o.canteen_id", "in", (inner) => inner.selectFrom("canteens as c").select("c.id").where("c.tenant_id", "=", tenantId))
        .where("o.status", "<>", "cancelled")
        .where("o.created_at", ">=", from)
        .where("o.created_at", "<", to),
    )
    .groupBy("l.name");
}

/** The day's sales (till and webshop) by the tenant's canteens, as ledger transfers into each canteen's revenue. */
function salesByCanteenOf(tx: Tx, tenantId: number, from: number, to: number) {
  return tx.all(
    db
      .selectFrom("transfers as t")
      .innerJoin("canteens as c", "c.revenue_account_id", "t.credit_account_id")
      .select((eb) => ["c.name as canteen", eb.fn.coalesce(eb.fn.sum<number>("t.amount_ore"), eb.lit(0)).as("sales_ore"), eb.fn.countAll<number>().as("count")])
      .where("t.kind", "in", ["sale", "order"])
      .where("c.tenant_id", "=", tenantId)
      .where("t.created_at", ">=", from)
      .where("t.created_at", "<", to)
      .groupBy("c.id")
      .orderBy("c.name"),
  );
}

/** What was sold of each product: till sales by their item lines, webshop orders by their order lines. */
function salesByProductOf(tx: Tx, tenantId: number, from: number, to: number): DailyReport["salesByProduct"] {
  const products = new Map<string, { quantity: number; amountOre: number }>();
  const add = (name: string, quantity: number, amountOre: number) => {
    const entry = products.get(name) ?? { quantity: 0, amountOre: 0 };
    entry.quantity += quantity;
    entry.amountOre += amountOre;
    products.set(name, entry);
  };
  const tillSales = tx.all(tillSalesOfPeriod(tenantId, from, to));
  for (const sale of tillSales) {
    const items = sale.items_json ? (JSON.parse(sale.items_json) as Array<{ name: string; quantity: number; unitPriceOre: number }>) : [];
    if (items.length === 0) add("Kassesalg uden varelinjer", 1, sale.amount_ore);
    for (const item of items) add(item.name, item.quantity, item.quantity * item.unitPriceOre);
  }
  const orderLines = tx.all(orderLinesOfPeriod(tenantId, from, to));
  for (const line of orderLines) add(`${line.name} (webshop)`, line.quantity, line.amount_ore);
  return [...products].map(([product, entry]) => ({ product, ...entry })).sort((a, b) => b.amountOre - a.amountOre);
}

/** The day's total and count on each report line; sales come from `salesByCanteen`, paid payouts from the payouts. */
function lineTotals(tx: Tx, tenantId: number, from: number, to: number, salesByCanteen: ReturnType<typeof salesByCanteenOf>): Map<ReportLineKey, { amountOre: number; count: number }> {
  // Every other movement touches a cardholder account, whose owner names the tenant: grouped by kind and by what sits
  // on each side, so each group lands on exactly one line.
  const groups: MovementGroup[] = tx.all(
    db
      .selectFrom("transfers as t")
      .innerJoin("ledger_accounts as d", "d.id", "t.debit_account_id")
      .innerJoin("ledger_accounts as c", "c.id", "t.credit_account_id")
      .leftJoin("users as du", "du.id", "d.owner_user_id")
      .leftJoin("users as cu", "cu.id", "c.owner_user_id")
      .select((eb) => [
        "t.kind",
        "d.kind as debit_kind",
        "c.kind as credit_kind",
        eb("du.tenant_id", "=", tenantId).$castTo<number | null>().as("debit_own"),
        eb("cu.tenant_id", "=", tenantId).$castTo<number | null>().as("credit_own"),
        eb.fn.sum<number>("t.amount_ore").as("amount_ore"),
        eb.fn.countAll<number>().as("count"),
      ])
      .where("t.created_at", ">=", from)
      .where("t.created_at", "<", to)
      .where((eb) => eb.or([eb("du.tenant_id", "=", tenantId), eb("cu.tenant_id", "=", tenantId)]))
      .groupBy((eb) => [eb.ref("t.kind"), eb.ref("d.kind"), eb.ref("c.kind"), eb("du.tenant_id", "=", tenantId), eb("cu.tenant_id", "=", tenantId)]),
  );
  const totals = new Map<ReportLineKey, { amountOre: number; count: number }>((Object.keys(REPORT_LINES) as ReportLineKey[]).map((key) => [key, { amountOre: 0, count: 0 }]));
  for (const group of groups) {
    const key = lineOf(group);
    if (key === null || key === "sales") continue;
    const total = totals.get(key)!;
    total.amountOre += group.amount_ore;
    total.count += group.count;
  }
  const sales = totals.get("sales")!;
  for (const row of salesByCanteen) {
    sales.amountOre += row.sales_ore;
    sales.count += row.count;
  }
  // Paid payouts leave payout clearing for the bank, on neither side a card: they belong to the tenant by the payout.
  const paid = tx.first(
    db
      .selectFrom("payouts as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>("p.amount_ore"), eb.lit(0)).as("amount_ore"), eb.fn.countAll<number>().as("count")])
      .where("u.tenant_id", "=", tenantId)
      .where("p.status", "=", "paid")
      .where("p.decided_at", ">=", from)
      .where("p.decided_at", "<", to),
  )!;
  totals.set("payoutsPaid", { amountOre: paid.amount_ore, count: paid.count });
  return totals;
}

/** Payouts of the tenant requested and still waiting for a decision now. */
function pendingPayoutsOre(tx: Tx, tenantId: number): number {
  const pending = tx.first(
    db
      .selectFrom("payouts as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("p.amount_ore"), eb.lit(0)).as("amount_ore"))
      .where("u.tenant_id", "=", tenantId)
      .where("p.status", "=", "pending"),
  )!;
  return pending.amount_ore;
}

/** What the tenant owes its cardholders now: the sum of their card balances. */
function liabilityOreOf(tx: Tx, tenantId: number): number {
  const liability = tx.first(
    db
      .selectFrom("ledger_accounts as a")
      .innerJoin("users as u", "u.id", "a.owner_user_id")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("a.balance_ore"), eb.lit(0)).as("total"))
      .where("a.kind", "=", "cardholder")
      .where("u.tenant_id", "=", tenantId),
  )!;
  return liability.total;
}

/**
 * Sales (till and webshop), deposits, payouts, refunds, corrections and transfers of one Copenhagen day, with the
 * outstanding card balances — all of the staff member's own tenant only. A movement belongs to the tenant when one of
 * its sides is a cardholder account of the tenant; sales also count by the tenant's canteens. The whole ledger's check
 * is not part of it (issues 27 and 29): it read every transfer of every school per request; the background verifier
 * does it, and the report router shows only its verdict and time, no site-wide figure.
 */
export function dailyReport(tx: Tx, tenantId: number, day: string): DailyReport {
  const { from, to } = dayBounds(day);
  const salesByCanteen = salesByCanteenOf(tx, tenantId, from, to);
  const salesByProduct = salesByProductOf(tx, tenantId, from, to);
  const totals = lineTotals(tx, tenantId, from, to, salesByCanteen);
  const payoutsPendingOre = pendingPayoutsOre(tx, tenantId);
  const liabilityOre = liabilityOreOf(tx, tenantId);
  const lines = (Object.keys(REPORT_LINES) as ReportLineKey[])
    .map((key) => ({ key, label: REPORT_LINES[key], ...totals.get(key)! }))
    // "Other" shows only when something unexpected moved: nothing is ever left off silently.
    .filter((line) => line.key !== "other" || line.count > 0);
  return {
    day,
    lines,
    salesByCanteen: salesByCanteen.map((row) => ({ canteen: row.canteen, salesOre: row.sales_ore, count: row.count })),
    salesByProduct,
    depositsOre: totals.get("deposits")!.amountOre,
    payoutsOre: totals.get("payoutsPaid")!.amountOre,
    refundsOre: totals.get("refunds")!.amountOre,
    liabilityOre,
    payoutsPendingOre,
    chainHead: chainHeadAt(tx, to),
  };
}
