// Guardian links between cardholders (e.g. a parent acting on a child's accounts), as the back office sets them.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";

export interface Guardian {
  userId: number;
  name: string | null;
  /** The guardian's current card, by which staff identify them. */
  cardNumber: string | null;
}

/** The guardians of one cardholder, oldest link first. */
export function guardiansOf(tx: Tx, childUserId: number): Guardian[] {
  const rows = tx.sqlite
    .query(
      `SELECT u.id, u.name, (SELECT card_number FROM cards c WHERE c.user_id = u.id AND c.replaced_by_card_id IS NULL ORDER BY c.id DESC LIMIT 1) AS card_number
       FROM guardians g JOIN users u ON u.id = g.guardian_user_id WHERE g.child_user_id = ? ORDER BY g.created_at, u.id`,
    )
    .all(childUserId) as Array<{ id: number; name: string | null; card_number: string | null }>;
  return rows.map((row) => ({ userId: row.id, name: row.name, cardNumber: row.card_number }));
}

export type GuardianRefusal = { ok: false; reason: "cardholder_not_found" | "guardian_not_found" | "own_guardian" };

/**
 * Makes the cardholder behind `guardianCardNumber` a guardian of `childUserId`: in the portal they may then act on the
 * child's accounts as on their own (see access.ts). Both must be cardholders of the staff member's tenant, the
 * guardian found by a current (not replaced) card. Linking twice changes nothing and is audited once.
 */
export function linkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianCardNumber: string, nowMs: number = Date.now()): { ok: true; guardian: Guardian } | GuardianRefusal {
  const child = tx.sqlite.query("SELECT id FROM users WHERE id = ? AND tenant_id = ? AND role = 'cardholder'").get(childUserId, actor.tenantId);
  if (!child) return { ok: false, reason: "cardholder_not_found" };
  const guardian = tx.sqlite
    .query("SELECT u.id, u.name FROM cards c JOIN users u ON u.id = c.user_id WHERE c.card_number = ? AND c.replaced_by_card_id IS NULL AND u.tenant_id = ? AND u.role = 'cardholder'")
    .get(guardianCardNumber, actor.tenantId) as { id: number; name: string | null } | null;
  if (!guardian) return { ok: false, reason: "guardian_not_found" };
  if (guardian.id === childUserId) return { ok: false, reason: "own_guardian" };
  const inserted = tx.sqlite.query("INSERT OR IGNORE INTO guardians (guardian_user_id, child_user_id, created_at) VALUES (?, ?, ?)").run(guardian.id, childUserId, nowMs);
  if (inserted.changes === 1) audit(tx, actor, "guardian.link", `user:${childUserId}`, { guardianUserId: guardian.id, guardianCardNumberLast4: guardianCardNumber.slice(-4) }, nowMs);
  return { ok: true, guardian: { userId: guardian.id, name: guardian.name, cardNumber: guardianCardNumber } };
}

/** Ends a guardian link; the guardian loses access to the child's accounts with their next request. */
export function unlinkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianUserId: number, nowMs: number = Date.now()): boolean {
  const result = tx.sqlite
    .query(
      `DELETE FROM guardians WHERE guardian_user_id = ? AND child_user_id = ?
         AND child_user_id IN (SELECT id FROM users WHERE tenant_id = ? AND role = 'cardholder')`,
    )
    .run(guardianUserId, childUserId, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, "guardian.unlink", `user:${childUserId}`, { guardianUserId }, nowMs);
  return result.changes === 1;
}
