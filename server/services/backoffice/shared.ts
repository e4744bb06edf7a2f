// Who acts in the back office and the audit line every back-office change writes; shared by every back-office module.
import type { WriteTx } from "../../../db/tx.ts";

export type StaffRole = "staff" | "admin";

export interface Actor {
  userId: number;
  tenantId: number;
  role: StaffRole;
  /** Who did it, as the audit log shows it (the staff member's e-mail). */
  label: string;
}

export function audit(tx: WriteTx, actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}, nowMs: number = Date.now()): void {
  tx.sqlite
    .query("INSERT INTO audit_log (tenant_id, actor_user_id, actor_label, action, target, details_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .run(actor.tenantId, actor.userId, actor.label, action, target, JSON.stringify(details), nowMs);
}
