// The canteens of a tenant: which ones staff may act on, and their order cut-off time.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { openAccount } from "../../ledger/ledger.ts";
import { audit, type Actor } from "./shared.ts";

export function canteensOfTenant(tx: Tx, tenantId: number): Array<{ canteenId: number; name: string; orderCutoffTime: string }> {
  return tx
    .all(db.selectFrom("canteens").select(["id", "name", "order_cutoff_time"]).where("tenant_id", "=", tenantId).orderBy("id"))
    .map((row) => ({ canteenId: row.id, name: row.name, orderCutoffTime: row.order_cutoff_time }));
}

/** Whether the canteen belongs to the staff member's tenant: every canteen-scoped change checks this first. */
export function ownCanteen(tx: Tx, actor: Actor, canteenId: number): boolean {
  return tx.first(db.selectFrom("canteens").select("id").where("id", "=", canteenId).where("tenant_id", "=", actor.tenantId)) !== undefined;
}

export function setOrderCutoff(tx: WriteTx, actor: Actor, canteenId: number, time: string, nowMs: number = Date.now()): boolean {
  const result = tx.run(db.updateTable("canteens").set({ order_cutoff_time: time }).where("id", "=", canteenId).where("tenant_id", "=", actor.tenantId));
  if (result.changes === 1) audit(tx, actor, "canteen.cutoff", `canteen:${canteenId}`, { time }, nowMs);
  return result.changes === 1;
}

/**
 * A new canteen of the administrator's school, with its own revenue account (its sales are reported apart). Tills,
 * kitchen screens, products and menus then choose it by id. Names are unique within the school.
 */
export function createCanteen(tx: WriteTx, actor: Actor, name: string, nowMs: number = Date.now()): { ok: true; canteenId: number } | { ok: false; reason: "name_taken" } {
  // Compared here, not in SQL: SQLite's lower() folds A–Z only, and canteen names have Æ, Ø and Å.
  const folded = name.toLocaleLowerCase("da");
  if (canteensOfTenant(tx, actor.tenantId).some((canteen) => canteen.name.toLocaleLowerCase("da") === folded)) return { ok: false, reason: "name_taken" };
  const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: `${name} omsætning` }, nowMs);
  const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: actor.tenantId, name, revenue_account_id: revenueAccountId, created_at: nowMs })).lastInsertRowid;
  audit(tx, actor, "canteen.create", `canteen:${canteenId}`, { name }, nowMs);
  return { ok: true, canteenId };
}
