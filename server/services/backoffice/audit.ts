// The back office's audit log as staff read it: the newest entries of their own tenant.
import type { Tx } from "../../../db/tx.ts";

export interface AuditEntry {
  id: number;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  createdAt: number;
}

/** The newest entries of one tenant's audit log; another school's staff actions are not theirs to read. */
export function listAudit(tx: Tx, tenantId: number, limit = 200): AuditEntry[] {
  const rows = tx.sqlite.query("SELECT id, actor_label, action, target, details_json, created_at FROM audit_log WHERE tenant_id = ? ORDER BY id DESC LIMIT ?").all(tenantId, limit) as Array<{
    id: number;
    actor_label: string;
    action: string;
    target: string | null;
    details_json: string | null;
    created_at: number;
  }>;
  return rows.map((row) => ({ id: row.id, actor: row.actor_label, action: row.action, target: row.target, details: JSON.parse(row.details_json ?? "{}"), createdAt: row.created_at }));
}
