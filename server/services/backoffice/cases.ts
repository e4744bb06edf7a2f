// Support cases of a tenant's cardholders: listing and closing them.
import { db } from "../../../db/query.ts";
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
  const rows = tx.all(
    db
      .selectFrom("support_cases as s")
      .innerJoin("users as u", "u.id", "s.user_id")
      .select((eb) => [
        "s.id",
        "s.name",
        "s.email",
        "s.phone",
        "s.description",
        "s.status",
        "s.created_at",
        eb.selectFrom("cards as c").select("c.card_number").whereRef("c.account_id", "=", "s.account_id").orderBy("c.id", "desc").limit(1).as("card_number"),
      ])
      .where("u.tenant_id", "=", actor.tenantId)
      // Open cases first, then the newest.
      .orderBy((eb) => eb("s.status", "=", "open"), "desc")
      .orderBy("s.id", "desc")
      .limit(200),
  );
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
  const result = tx.run(
    db
      .updateTable("support_cases")
      .set({ status: "closed", closed_at: nowMs })
      .where("id", "=", caseId)
      .where("status", "=", "open")
      .where("user_id", "in", db.selectFrom("users").select("id").where("tenant_id", "=", actor.tenantId)),
  );
  if (result.changes === 1) audit(tx, actor, "support.close", `support:${caseId}`, {}, nowMs);
  return result.changes === 1;
}
