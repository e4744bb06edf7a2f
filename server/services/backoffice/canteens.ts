// The canteens of a tenant: which ones staff may act on, and their order cut-off time.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
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
