// Payout requests as the back office sees them, with full bank details, for the tenant's administrators.
import type { Tx } from "../../../db/tx.ts";
import type { Actor } from "./shared.ts";

export interface PendingPayout {
  payoutId: number;
  cardholder: string | null;
  name: string;
  registrationNumber: string;
  bankAccountNumber: string;
  message: string | null;
  amountOre: number;
  status: string;
  createdAt: number;
}

/** Payout requests with full bank details, for the back office of the tenant. */
export function listPayoutRequests(tx: Tx, actor: Actor, status: "pending" | "all" = "pending"): PendingPayout[] {
  const rows = tx.sqlite
    .query(
      `SELECT p.id, u.name AS cardholder, p.name, p.registration_number, p.bank_account_number, p.message, p.amount_ore, p.status, p.created_at
       FROM payouts p JOIN users u ON u.id = p.user_id WHERE u.tenant_id = ? AND (? = 'all' OR p.status = 'pending') ORDER BY p.id`,
    )
    .all(actor.tenantId, status) as Array<{
    id: number;
    cardholder: string | null;
    name: string;
    registration_number: string;
    bank_account_number: string;
    message: string | null;
    amount_ore: number;
    status: string;
    created_at: number;
  }>;
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

export function payoutBelongsToTenant(tx: Tx, actor: Actor, payoutId: number): boolean {
  return Boolean(tx.sqlite.query("SELECT 1 FROM payouts p JOIN users u ON u.id = p.user_id WHERE p.id = ? AND u.tenant_id = ?").get(payoutId, actor.tenantId));
}
