// The canteens of a tenant: which ones staff may act on, and their order cut-off time.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";

export function canteensOfTenant(tx: Tx, tenantId: number): Array<{ canteenId: number; name: string; orderCutoffTime: string }> {
  return (tx.sqlite.query("SELECT id, name, order_cutoff_time FROM canteens WHERE tenant_id = ? ORDER BY id").all(tenantId) as Array<{ id: number; name: string; order_cutoff_time: string }>).map(
    (row) => ({ canteenId: row.id, name: row.name, orderCutoffTime: row.order_cutoff_time }),
  );
}

/** Whether the canteen belongs to the staff member's tenant: every canteen-scoped change checks this first. */
export function ownCanteen(tx: Tx, actor: Actor, canteenId: number): boolean {
  return Boolean(tx.sqlite.query("SELECT 1 FROM canteens WHERE id = ? AND tenant_id = ?").get(canteenId, actor.tenantId));
}

export function setOrderCutoff(tx: WriteTx, actor: Actor, canteenId: number, time: string, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite.query("UPDATE canteens SET order_cutoff_time = ? WHERE id = ? AND tenant_id = ?").run(time, canteenId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "canteen.cutoff", `canteen:${canteenId}`, { time }, nowMs);
  return result.changes === 1;
}
