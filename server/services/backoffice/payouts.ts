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
  /** When the cardholder asked. */
  createdAt: number;
  decidedAt: number | null;
  rejectReason: string | null;
  /** The card the money left, as the cardholder's current card. */
  cardNumber: string | null;
}

/**
 * Payout requests with full bank details, for the back office of the tenant: newest first for the list, oldest first
 * for the bank file (`order`). `status: "pending"` shows the ones waiting for a decision.
 */
export function listPayoutRequests(tx: Tx, actor: Actor, status: "pending" | "all" = "pending", order: "newest" | "oldest" = "newest"): PendingPayout[] {
  const rows = tx.all(
    db
      .selectFrom("payouts as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select((eb) => [
        "p.id",
        "u.name as cardholder",
        "p.name",
        "p.registration_number",
        "p.bank_account_number",
        "p.message",
        "p.amount_ore",
        "p.status",
        "p.created_at",
        "p.decided_at",
        "p.reject_reason",
        eb.selectFrom("cards as c").select("c.card_number").whereRef("c.account_id", "=", "p.account_id").where("c.replaced_by_card_id", "is", null).orderBy("c.id", "desc").limit(1).as("card_number"),
      ])
      .where("u.tenant_id", "=", actor.tenantId)
      .$if(status === "pending", (query) => query.where("p.status", "=", "pending"))
      .orderBy("p.id", order === "newest" ? "desc" : "asc"),
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
    decidedAt: row.decided_at,
    rejectReason: row.reject_reason,
    cardNumber: row.card_number,
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
