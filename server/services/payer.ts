// What the payer of a card decides (the holder, or a guardian for a child): Maks. forbrug on the card, and the low-balance alert.
import type { Tx, WriteTx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import type { ServiceBundle } from "./bundle.ts";
import { actableAccount } from "./access.ts";
import { autoTopUpRunning } from "./payments/agreements.ts";
import { copenhagenDate } from "../../common/calendar.ts";
import { formatOre } from "../../common/money.ts";
import { sendQuietly } from "../mail/mailer.ts";
import { errorField, log } from "../ops/logger.ts";
import type { LowBalanceEvent } from "../events/types.ts";

export type { LowBalanceEvent };

export interface Limits {
  dailyOre: number | null;
  weeklyOre: number | null;
  monthlyOre: number | null;
}

/** Whether the cardholder has a guardian: then the guardian sets their limits and the holder sees them read-only. */
export function hasGuardian(tx: Tx, holderUserId: number): boolean {
  return tx.first(db.selectFrom("guardians").select("guardian_user_id").where("child_user_id", "=", holderUserId)) !== undefined;
}

export interface AccountLimits extends Limits {
  /** Whether the viewer may change them: a guardian on the child's card, or a holder without a guardian. */
  editable: boolean;
  /** The holder has a guardian, who sets the limits. */
  setByGuardian: boolean;
}

/** Maks. forbrug of the card(s) on an account, as the viewer may see it; null when the viewer may not act on it. */
export function accountLimits(tx: Tx, viewerUserId: number, accountId: number): AccountLimits | null {
  const account = actableAccount(tx, viewerUserId, accountId);
  if (!account) return null;
  const card = tx.first(
    db
      .selectFrom("cards")
      .select(["limit_daily_ore", "limit_weekly_ore", "limit_monthly_ore"])
      .where("account_id", "=", accountId)
      .orderBy((eb) => eb.case().when("status", "=", "active").then(0).else(1).end())
      .orderBy("id", "desc"),
  );
  const setByGuardian = hasGuardian(tx, account.holderUserId);
  return {
    dailyOre: card?.limit_daily_ore ?? null,
    weeklyOre: card?.limit_weekly_ore ?? null,
    monthlyOre: card?.limit_monthly_ore ?? null,
    editable: !account.own || !setByGuardian,
    setByGuardian,
  };
}

/** Sets Maks. forbrug on every card of the account, where the till enforces it. */
export function setAccountLimits(tx: WriteTx, viewerUserId: number, accountId: number, limits: Limits): "saved" | "not_found" | "read_only" {
  const current = accountLimits(tx, viewerUserId, accountId);
  if (!current) return "not_found";
  if (!current.editable) return "read_only";
  tx.run(
    db.updateTable("cards").set({ limit_daily_ore: limits.dailyOre, limit_weekly_ore: limits.weeklyOre, limit_monthly_ore: limits.monthlyOre }).where("account_id", "=", accountId),
  );
  return "saved";
}

export interface LowBalanceAlert {
  accountId: number;
  thresholdOre: number;
  /** The payer's address; empty for a viewer who only sees the alert. */
  email: string;
  payerIsViewer: boolean;
  payerName: string | null;
}

/** The alert on the account as the viewer sees it; the caller has checked that the viewer may act on the account. */
export function getLowBalanceAlert(tx: Tx, viewerUserId: number, accountId: number): LowBalanceAlert | null {
  const row = tx.first(
    db
      .selectFrom("low_balance_alerts as l")
      .innerJoin("users as payer", "payer.id", "l.user_id")
      .select(["l.account_id", "l.user_id", "l.threshold_ore", "l.email", "payer.name as payer_name"])
      .where("l.account_id", "=", accountId),
  );
  if (!row) return null;
  // An alert of someone who may no longer act on the account (an unlinked guardian) is nobody's: it sends nothing.
  if (row.user_id !== viewerUserId && !actableAccount(tx, row.user_id, accountId)) return null;
  const payerIsViewer = row.user_id === viewerUserId;
  return { accountId: row.account_id, thresholdOre: row.threshold_ore, email: payerIsViewer ? row.email : "", payerIsViewer, payerName: row.payer_name };
}

/**
 * Whether the viewer may choose the alert on the account: nobody has yet, it is theirs, or they are the holder's
 * guardian (a parent taking over). A holder cannot change the alert their guardian chose, unless whoever chose it may
 * no longer act on the account (a guardian since unlinked): the rule is read now, not when the alert was made.
 */
function mayManageAlert(tx: Tx, viewerUserId: number, accountId: number): boolean {
  const account = actableAccount(tx, viewerUserId, accountId);
  if (!account) return false;
  const current = tx.first(db.selectFrom("low_balance_alerts").select("user_id").where("account_id", "=", accountId));
  return !current || current.user_id === viewerUserId || !account.own || !actableAccount(tx, current.user_id, accountId);
}

export function setLowBalanceAlert(
  tx: WriteTx,
  viewerUserId: number,
  alert: { accountId: number; thresholdOre: number; email: string },
  nowMs: number = Date.now(),
): "saved" | "not_found" | "read_only" {
  if (!actableAccount(tx, viewerUserId, alert.accountId)) return "not_found";
  if (!mayManageAlert(tx, viewerUserId, alert.accountId)) return "read_only";
  tx.run(
    db
      .insertInto("low_balance_alerts")
      .values({ account_id: alert.accountId, user_id: viewerUserId, threshold_ore: alert.thresholdOre, email: alert.email, last_alert_day: null, created_at: nowMs, updated_at: nowMs })
      .onConflict((conflict) =>
        conflict.column("account_id").doUpdateSet((eb) => ({
          user_id: eb.ref("excluded.user_id"),
          threshold_ore: eb.ref("excluded.threshold_ore"),
          email: eb.ref("excluded.email"),
          updated_at: eb.ref("excluded.updated_at"),
        })),
      ),
  );
  return "saved";
}

export function removeLowBalanceAlert(tx: WriteTx, viewerUserId: number, accountId: number): "removed" | "not_found" | "read_only" {
  if (!actableAccount(tx, viewerUserId, accountId)) return "not_found";
  if (!mayManageAlert(tx, viewerUserId, accountId)) return "read_only";
  const removed = tx.run(db.deleteFrom("low_balance_alerts").where("account_id", "=", accountId)).changes;
  return removed > 0 ? "removed" : "not_found";
}

/**
 * Runs after every approved sale, on the read connection: is there an alert on this account whose threshold the
 * balance is now under, not yet sent today? Compiled once (it is on the sale's path, though after the answer).
 */
const alertDue = prepared<{ accountId: number; today: string }>()((p) =>
  db
    .selectFrom("low_balance_alerts as l")
    .innerJoin("ledger_accounts as a", "a.id", "l.account_id")
    .select(["l.user_id", "l.threshold_ore", "l.email", "a.balance_ore"])
    .where("l.account_id", "=", p.accountId)
    .whereRef("a.balance_ore", "<", "l.threshold_ore")
    .where((eb) => eb.or([eb("l.last_alert_day", "is", null), eb("l.last_alert_day", "!=", p.today)])),
);

/**
 * Whether an alert on the account has a threshold above `balanceOre`, read inside the sale's own write transaction
 * (the writer's connection, so no read transaction of its own): only then does checkLowBalance run after commit.
 */
const alertAbove = prepared<{ accountId: number; balanceOre: number }>()((p) =>
  db.selectFrom("low_balance_alerts").select("account_id").where("account_id", "=", p.accountId).where("threshold_ore", ">", p.balanceOre),
);

export function lowBalanceAlertMayBeDue(tx: Tx, accountId: number, balanceOre: number): boolean {
  return alertAbove.first(tx, { accountId, balanceOre }) !== undefined;
}

/** Claims today's alert for the account (one a day): true only for the one caller that may send it. */
function claimAlert(tx: WriteTx, accountId: number, today: string): boolean {
  return (
    tx.run(
      db
        .updateTable("low_balance_alerts")
        .set({ last_alert_day: today })
        .where("account_id", "=", accountId)
        .where((eb) => eb.or([eb("last_alert_day", "is", null), eb("last_alert_day", "!=", today)])),
    ).changes === 1
  );
}


/** Alerts being sent, so a graceful stop and tests can wait for them. */
const sending = new Set<Promise<unknown>>();
export async function lowBalanceAlertsSettled(): Promise<void> {
  while (sending.size > 0) await Promise.allSettled([...sending]);
}

/**
 * After a sale has committed (never inside it): when the balance is now under the payer's threshold, an e-mail and a
 * live notice, at most once a Copenhagen day per account, and none while an Auto-optank agreement is running (it
 * tops the card up instead). Never throws into the till's path.
 */
export function checkLowBalance(services: ServiceBundle, accountId: number, nowMs: number = Date.now()): Promise<LowBalanceEvent | null> {
  const work = (async () => {
    const today = copenhagenDate(nowMs);
    const due = services.store.read((tx) => alertDue.first(tx, { accountId, today }));
    if (!due) return null;
    // Whoever chose the alert must still be allowed to act on the account now: an unlinked guardian is told nothing of
    // the child's balance (unlinking removes their alert; this holds for any left behind), and the stale alert goes.
    if (!services.store.read((tx) => actableAccount(tx, due.user_id, accountId))) {
      await services.store.write((tx) => tx.run(db.deleteFrom("low_balance_alerts").where("account_id", "=", accountId).where("user_id", "=", due.user_id)));
      return null;
    }
    if (services.store.read((tx) => autoTopUpRunning(tx, accountId))) return null;
    if (!(await services.store.write((tx) => claimAlert(tx, accountId, today)))) return null;
    const event: LowBalanceEvent = { userId: due.user_id, accountId, balanceOre: due.balance_ore, thresholdOre: due.threshold_ore, createdAt: nowMs };
    services.bus.publish("lowBalance", due.user_id, event);
    const balance = formatOre(due.balance_ore);
    const threshold = formatOre(due.threshold_ore);
    await sendQuietly(services.mailer, {
      to: due.email,
      subject: `Lav saldo på kantinekortet: ${balance}`,
      text: `Saldoen på kantinekortet er nu ${balance}, under din grænse på ${threshold} Indbetal under Indbetal, eller opsæt Auto-optank, så kortet fyldes op af sig selv.\nDu får højst én sådan besked om dagen.\n\n---\nThe canteen card's balance is now ${balance}, below your alert of ${threshold} Top up under Indbetal, or set up Auto-optank.`,
    });
    return event;
  })().catch((error) => {
    log.error({ err: errorField(error, true) }, "low-balance alert failed");
    return null;
  });
  sending.add(work);
  void work.then(() => sending.delete(work));
  return work;
}
