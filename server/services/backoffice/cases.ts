// Support cases of a tenant's cardholders: listing and closing them.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";

export interface SupportCase {
  caseId: number;
  caseNumber: string;
  name: string;
  email: string;
  phone: string | null;
  cardNumber: string | null;
  description: string;
  status: "open" | "closed";
  createdAt: number;
}

export function listSupportCases(tx: Tx, actor: Actor): SupportCase[] {
  const rows = tx.sqlite
    .query(
      `SELECT s.id, s.name, s.email, s.phone, s.description, s.status, s.created_at,
         (SELECT card_number FROM cards c WHERE c.account_id = s.account_id ORDER BY c.id DESC LIMIT 1) AS card_number
       FROM support_cases s JOIN users u ON u.id = s.user_id WHERE u.tenant_id = ? ORDER BY s.status = 'open' DESC, s.id DESC LIMIT 200`,
    )
    .all(actor.tenantId) as Array<{ id: number; name: string; email: string; phone: string | null; description: string; status: "open" | "closed"; created_at: number; card_number: string | null }>;
  return rows.map((row) => ({
    caseId: row.id,
    caseNumber: `S-${String(row.id).padStart(6, "0")}`,
    name: row.name,
    email: row.email,
    phone: row.phone,
    cardNumber: row.card_number,
    description: row.description,
    status: row.status,
    createdAt: row.created_at,
  }));
}

export function closeSupportCase(tx: WriteTx, actor: Actor, caseId: number, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite
    .query("UPDATE support_cases SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open' AND user_id IN (SELECT id FROM users WHERE tenant_id = ?)")
    .run(nowMs, caseId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "support.close", `support:${caseId}`, {}, nowMs);
  return result.changes === 1;
}
