// Guardian links between cardholders (e.g. a parent acting on a child's accounts), as the back office sets them.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, cardholderOfUser, type Actor } from "./shared.ts";

export interface Guardian {
  userId: number;
  name: string | null;
  /** The guardian's current card, by which staff identify them. */
  cardNumber: string | null;
}

/** The guardians of one cardholder, oldest link first. */
export function guardiansOf(tx: Tx, childUserId: number): Guardian[] {
  return guardiansOfMany(tx, [childUserId]).get(childUserId) ?? [];
}

/**
 * The guardians of several cardholders in one query (a search page of 50 asked one at a time spent 9–13 ms on it at
 * 100,000 cardholders, more than the search itself): by child, oldest link first; a child without guardians is absent.
 */
export function guardiansOfMany(tx: Tx, childUserIds: readonly number[]): Map<number, Guardian[]> {
  const byChild = new Map<number, Guardian[]>();
  if (childUserIds.length === 0) return byChild;
  const rows = tx.all(
    db
      .selectFrom("guardians as g")
      .innerJoin("users as u", "u.id", "g.guardian_user_id")
      .select((eb) => [
        "g.child_user_id",
        "u.id",
        "u.name",
        eb
          .selectFrom("cards as c")
          .select("c.card_number")
          .whereRef("c.user_id", "=", "u.id")
          .where("c.replaced_by_card_id", "is", null)
          .orderBy("c.id", "desc")
          .limit(1)
          .as("card_number"),
      ])
      .where("g.child_user_id", "in", [...new Set(childUserIds)])
      .orderBy("g.child_user_id")
      .orderBy("g.created_at")
      .orderBy("u.id"),
  );
  for (const row of rows) {
    const list = byChild.get(row.child_user_id) ?? [];
    list.push({ userId: row.id, name: row.name, cardNumber: row.card_number });
    byChild.set(row.child_user_id, list);
  }
  return byChild;
}

/** The e-mail addresses of a cardholder and of their guardians, without `exceptUserId` (the one a notice is about). */
export function notifiedAbout(tx: Tx, childUserId: number, exceptUserId: number | null = null): string[] {
  const rows = tx.all(
    db
      .selectFrom("users as u")
      .select("u.email")
      .where((eb) => eb.or([eb("u.id", "=", childUserId), eb("u.id", "in", eb.selectFrom("guardians").select("guardian_user_id").where("child_user_id", "=", childUserId))]))
      .$if(exceptUserId !== null, (query) => query.where("u.id", "<>", exceptUserId!))
      .where("u.email", "is not", null),
  );
  return [...new Set(rows.map((row) => row.email!.toLowerCase()))];
}

export type GuardianRefusal = { ok: false; reason: "cardholder_not_found" | "guardian_not_found" | "own_guardian" };

export interface GuardianLinked {
  ok: true;
  guardian: Guardian;
  child: { userId: number; name: string | null; cardNumber: string | null };
  /** False when the link already existed: nothing was written, audited or mailed. */
  created: boolean;
  /** Who is told of a new link: the child and the child's guardians from before this link (their e-mail addresses). */
  notify: string[];
}

/**
 * Makes the cardholder behind `guardianCardNumber` a guardian of `childUserId`: in the portal they may then act on the
 * child's accounts as on their own (see access.ts). Both must be cardholders of the staff member's tenant, the
 * guardian found by a current (not replaced) card. Linking twice changes nothing and is audited once. Only an
 * administrator may call this (separation of duties: see the README, "Who may do what in the back office").
 */
export function linkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianCardNumber: string, nowMs: number = Date.now()): GuardianLinked | GuardianRefusal {
  const child = cardholderOfUser(tx, actor.tenantId, childUserId);
  if (!child) return { ok: false, reason: "cardholder_not_found" };
  const guardian = tx.first(
    db
      .selectFrom("cards as c")
      .innerJoin("users as u", "u.id", "c.user_id")
      .select(["u.id", "u.name"])
      .where("c.card_number", "=", guardianCardNumber)
      .where("c.replaced_by_card_id", "is", null)
      .where("u.tenant_id", "=", actor.tenantId)
      .where("u.role", "=", "cardholder"),
  );
  if (!guardian) return { ok: false, reason: "guardian_not_found" };
  if (guardian.id === childUserId) return { ok: false, reason: "own_guardian" };
  // Read before the insert: the new guardian is told nothing about their own link, the family is.
  const notify = notifiedAbout(tx, childUserId, guardian.id);
  const inserted = tx.run(db.insertInto("guardians").values({ guardian_user_id: guardian.id, child_user_id: childUserId, created_at: nowMs }).onConflict((conflict) => conflict.doNothing()));
  const created = inserted.changes === 1;
  if (created) {
    audit(tx, actor, "guardian.link", `user:${childUserId}`, { cardNumber: child.cardNumber, holder: child.holder, guardianUserId: guardian.id, guardianCardNumber, guardianName: guardian.name }, nowMs);
  }
  return {
    ok: true,
    guardian: { userId: guardian.id, name: guardian.name, cardNumber: guardianCardNumber },
    child: { userId: child.userId, name: child.holder, cardNumber: child.cardNumber },
    created,
    notify: created ? notify : [],
  };
}

export interface GuardianUnlinked {
  guardian: Guardian;
  child: { userId: number; name: string | null; cardNumber: string | null };
  /** The ex-guardian's low-balance alerts on the child's accounts that the unlink removed. */
  alertsRemoved: number;
  /** The Auto-optank agreements the ex-guardian paid on the child's accounts that the unlink cancelled. */
  agreementsCancelled: number;
  /** The saved cards of those agreements, to cancel at the acquirer after commit (our copies are already forgotten). */
  cardTokens: string[];
  /** Who is told: the ex-guardian, the child and the child's remaining guardians (their e-mail addresses). */
  notify: string[];
}

/**
 * Ends a guardian link, and with it every power the link gave, in the same transaction: the ex-guardian's
 * low-balance alerts on the child's accounts are removed (no more mails or live notices of the child's balance), and
 * the Auto-optank agreements they pay on them are cancelled with the saved card forgotten (their card is never charged
 * for the child again). The guardian loses access to the child's accounts with their next request. Null when there
 * was no such link.
 */
export function unlinkGuardian(tx: WriteTx, actor: Actor, childUserId: number, guardianUserId: number, nowMs: number = Date.now()): GuardianUnlinked | null {
  const child = cardholderOfUser(tx, actor.tenantId, childUserId);
  if (!child) return null;
  const result = tx.run(db.deleteFrom("guardians").where("guardian_user_id", "=", guardianUserId).where("child_user_id", "=", childUserId));
  if (result.changes !== 1) return null;
  const guardian = cardholderOfUser(tx, actor.tenantId, guardianUserId);
  const childAccounts = db.selectFrom("ledger_accounts").select("id").where("owner_user_id", "=", childUserId);
  const alertsRemoved = Number(tx.run(db.deleteFrom("low_balance_alerts").where("user_id", "=", guardianUserId).where("account_id", "in", childAccounts)).changes);
  const agreements = tx.all(
    db
      .selectFrom("auto_top_up_agreements")
      .select(["id", "card_token"])
      .where("user_id", "=", guardianUserId)
      .where("account_id", "in", childAccounts)
      .where("status", "!=", "cancelled"),
  );
  if (agreements.length > 0) {
    tx.run(
      db
        .updateTable("auto_top_up_agreements")
        .set({ status: "cancelled", card_token: null, updated_at: nowMs })
        .where("id", "in", agreements.map((agreement) => agreement.id)),
    );
  }
  audit(
    tx,
    actor,
    "guardian.unlink",
    `user:${childUserId}`,
    {
      cardNumber: child.cardNumber,
      holder: child.holder,
      guardianUserId,
      guardianCardNumber: guardian?.cardNumber ?? null,
      guardianName: guardian?.holder ?? null,
      alertsRemoved,
      agreementsCancelled: agreements.length,
    },
    nowMs,
  );
  // Read after the delete: the child and the remaining guardians, and the ex-guardian, who has lost what they set up.
  const notify = [...new Set([...notifiedAbout(tx, childUserId), ...(guardian?.email ? [guardian.email.toLowerCase()] : [])])];
  return {
    guardian: { userId: guardianUserId, name: guardian?.holder ?? null, cardNumber: guardian?.cardNumber ?? null },
    child: { userId: child.userId, name: child.holder, cardNumber: child.cardNumber },
    alertsRemoved,
    agreementsCancelled: agreements.length,
    cardTokens: agreements.flatMap((agreement) => (agreement.card_token ? [agreement.card_token] : [])),
    notify,
  };
}
