// The daily report of one tenant: sales by canteen and product, deposits, payouts, refunds and outstanding balances.
import type { Tx } from "../../../db/tx.ts";
import { checkLedger, type LedgerCheckResult } from "../../ledger/ledger.ts";
import { copenhagenMidnight } from "../../ledger/calendar.ts";

export interface DailyReport {
  day: string;
  salesByCanteen: Array<{ canteen: string; salesOre: number; count: number }>;
  salesByProduct: Array<{ product: string; quantity: number; amountOre: number }>;
  depositsOre: number;
  payoutsOre: number;
  refundsOre: number;
  liabilityOre: number;
  ledger: LedgerCheckResult;
}

/**
 * Sales (till and webshop), deposits and payouts of one Copenhagen day, with the outstanding card balances — all of the
 * staff member's own tenant only. `ledger` is the whole database's invariant check: the ledger is one book, and a
 * broken invariant anywhere must show.
 */
export function dailyReport(tx: Tx, tenantId: number, day: string): DailyReport {
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const from = copenhagenMidnight(year, month, date);
  const to = copenhagenMidnight(year, month, date + 1);
  const salesByCanteen = tx.sqlite
    .query(
      `SELECT c.name AS canteen, COALESCE(SUM(t.amount_ore), 0) AS sales_ore, COUNT(*) AS count
       FROM transfers t JOIN canteens c ON c.revenue_account_id = t.credit_account_id
       WHERE t.kind IN ('sale', 'order') AND c.tenant_id = ? AND t.created_at >= ? AND t.created_at < ? GROUP BY c.id ORDER BY c.name`,
    )
    .all(tenantId, from, to) as Array<{ canteen: string; sales_ore: number; count: number }>;
  const tillItems = tx.sqlite
    .query(
      `SELECT s.items_json, s.amount_ore FROM sales s JOIN terminals t ON t.id = s.terminal_id JOIN canteens c ON c.id = t.canteen_id
       WHERE s.status = 'approved' AND c.tenant_id = ? AND s.created_at >= ? AND s.created_at < ?`,
    )
    .all(tenantId, from, to) as Array<{
    items_json: string | null;
    amount_ore: number;
  }>;
  const products = new Map<string, { quantity: number; amountOre: number }>();
  const add = (name: string, quantity: number, amountOre: number) => {
    const entry = products.get(name) ?? { quantity: 0, amountOre: 0 };
    entry.quantity += quantity;
    entry.amountOre += amountOre;
    products.set(name, entry);
  };
  for (const sale of tillItems) {
    const items = sale.items_json ? (JSON.parse(sale.items_json) as Array<{ name: string; quantity: number; unitPriceOre: number }>) : [];
    if (items.length === 0) add("Kassesalg uden varelinjer", 1, sale.amount_ore);
    for (const item of items) add(item.name, item.quantity, item.quantity * item.unitPriceOre);
  }
  const orderLines = tx.sqlite
    .query(
      `SELECT l.name, SUM(l.quantity) AS quantity, SUM(l.quantity * l.unit_price_ore) AS amount_ore
       FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN canteens c ON c.id = o.canteen_id
       WHERE o.status <> 'cancelled' AND c.tenant_id = ? AND o.created_at >= ? AND o.created_at < ? GROUP BY l.name`,
    )
    .all(tenantId, from, to) as Array<{ name: string; quantity: number; amount_ore: number }>;
  for (const line of orderLines) add(`${line.name} (webshop)`, line.quantity, line.amount_ore);
  // Deposits, payouts and refunds always move money to or from a cardholder account, whose owner names the tenant.
  const sum = (kinds: string) =>
    (
      tx.sqlite
        .query(
          `SELECT COALESCE(SUM(t.amount_ore), 0) AS total FROM transfers t
           WHERE t.kind IN (${kinds}) AND t.created_at >= ? AND t.created_at < ?
             AND EXISTS (SELECT 1 FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id
                         WHERE a.id IN (t.debit_account_id, t.credit_account_id) AND a.kind = 'cardholder' AND u.tenant_id = ?)`,
        )
        .get(from, to, tenantId) as { total: number }
    ).total;
  const liability = tx.sqlite
    .query("SELECT COALESCE(SUM(a.balance_ore), 0) AS total FROM ledger_accounts a JOIN users u ON u.id = a.owner_user_id WHERE a.kind = 'cardholder' AND u.tenant_id = ?")
    .get(tenantId) as { total: number };
  const ledger = checkLedger(tx);
  return {
    day,
    salesByCanteen: salesByCanteen.map((row) => ({ canteen: row.canteen, salesOre: row.sales_ore, count: row.count })),
    salesByProduct: [...products].map(([product, entry]) => ({ product, ...entry })).sort((a, b) => b.amountOre - a.amountOre),
    depositsOre: sum("'deposit', 'auto_top_up'"),
    payoutsOre: sum("'payout'"),
    refundsOre: sum("'refund'"),
    liabilityOre: liability.total,
    ledger,
  };
}
