// Payout requests as the back office sees them, with full bank details, for the tenant's administrators.
import { db } from "../../../db/query.ts";
import type { Tx } from "../../../db/tx.ts";
import { cardholderOfAccount, type Actor, type CardholderName } from "./shared.ts";

export interface PendingPayout {
  payoutId: number;
  cardholder: string | null;
  name: string;
  registrationNumber: string;
  bankAccountNumber: string;
  message: string | null;
  amountOre: number;
  status: "pending" | "paid" | "rejected";
  createdAt: number;
}

/** Payout requests with full bank details, for the back office of the tenant. */
export function listPayoutRequests(tx: Tx, actor: Actor, status: "pending" | "all" = "pending"): PendingPayout[] {
  const rows = tx.all(
    db
      .selectFrom("payouts as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select(["p.id", "u.name as cardholder", "p.name", "p.registration_number", "p.bank_account_number", "p.message", "p.amount_ore", "p.status", "p.created_at"])
      .where("u.tenant_id", "=", actor.tenantId)
      .$if(status === "pending", (query) => query.where("p.status", "=", "pending"))
      .orderBy("p.id"),
  );
  return rows.map((row) => ({
    payoutId: row.id,
    cardholder: row.cardholder,
    name: row.name,
    registrationNumber: row.registration_number,
    bankAccountNumber: row.bank_account_number,
    message: row.message,
    amountOre: row.amount_ore,
    status: row.status,
    createdAt: row.created_at,
  }));
}

/** A payout of the tenant as a decision needs it: its status, amount and whose card it leaves. Null for another school's. */
export function payoutOfTenant(tx: Tx, actor: Actor, payoutId: number): { status: "pending" | "paid" | "rejected"; amountOre: number; holder: CardholderName | null } | null {
  const row = tx.first(
    db
      .selectFrom("payouts as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select(["p.status", "p.amount_ore", "p.account_id"])
      .where("p.id", "=", payoutId)
      .where("u.tenant_id", "=", actor.tenantId),
  );
  return row ? { status: row.status, amountOre: row.amount_ore, holder: cardholderOfAccount(tx, actor.tenantId, row.account_id) } : null;
}
