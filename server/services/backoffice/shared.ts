// Who acts in the back office, the audit line every back-office change writes, and how an entry names a cardholder.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";

export type StaffRole = "staff" | "admin";

export interface Actor {
  userId: number;
  tenantId: number;
  role: StaffRole;
  /** Who did it, as the audit log shows it (the staff member's e-mail). */
  label: string;
}

/**
 * What an audit entry may name beside its action. Where a card or money is concerned the entry names the card number
 * and its holder as they were at that moment (a later rename or replacement does not rewrite history), the amount in
 * øre and the reason, so the log reads without looking anything up.
 */
export interface AuditDetails {
  cardNumber?: string | null;
  holder?: string | null;
  amountOre?: number;
  reason?: string;
  [key: string]: unknown;
}

/** Who an audit entry names: a staff member, or the site operator at the command line (no user, so no user id). */
export type AuditActor = Pick<Actor, "tenantId" | "label"> & { userId: number | null };

export function audit(tx: WriteTx, actor: AuditActor, action: string, target: string | null, details: AuditDetails = {}, nowMs: number = Date.now()): void {
  tx.run(
    db.insertInto("audit_log").values({
      tenant_id: actor.tenantId,
      actor_user_id: actor.userId,
      actor_label: actor.label,
      action,
      target,
      details_json: JSON.stringify(details),
      created_at: nowMs,
    }),
  );
}

/** A cardholder as the audit log and notifications name them: their current card number and their name. */
export interface CardholderName {
  userId: number;
  cardNumber: string | null;
  holder: string | null;
  email: string | null;
}

function currentCardNumber(tx: Tx, userId: number): string | null {
  return (
    tx.first(db.selectFrom("cards").select("card_number").where("user_id", "=", userId).where("replaced_by_card_id", "is", null).orderBy("id", "desc").limit(1))?.card_number ?? null
  );
}

/** A cardholder of the tenant by user id, or null. */
export function cardholderOfUser(tx: Tx, tenantId: number, userId: number): CardholderName | null {
  const user = tx.first(db.selectFrom("users").select(["id", "name", "email"]).where("id", "=", userId).where("tenant_id", "=", tenantId).where("role", "=", "cardholder"));
  return user ? { userId: user.id, cardNumber: currentCardNumber(tx, user.id), holder: user.name, email: user.email } : null;
}

/** The holder of a cardholder account of the tenant, or null (a system account, another school's). */
export function cardholderOfAccount(tx: Tx, tenantId: number, accountId: number): CardholderName | null {
  const owner = tx.first(
    db
      .selectFrom("ledger_accounts as a")
      .innerJoin("users as u", "u.id", "a.owner_user_id")
      .select("u.id")
      .where("a.id", "=", accountId)
      .where("a.kind", "=", "cardholder")
      .where("u.tenant_id", "=", tenantId),
  );
  return owner ? cardholderOfUser(tx, tenantId, owner.id) : null;
}
