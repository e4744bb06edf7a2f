// Auto-optank agreements: who pays for an account's automatic top-up, with which saved card, and its state.
import { sql } from "kysely";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { db } from "../../../db/query.ts";
import { AUTO_TOP_UP_MIN_DEPOSITED_ORE } from "../../../common/payments.ts";
import type { PaymentReference } from "../../acquirer/acquirer.ts";
import { actableAccount } from "../access.ts";
import { findPaymentByReference, type Payment } from "./records.ts";

export type AgreementStatus = "awaiting_card" | "active" | "paused" | "cancelled";

export interface AutoTopUpAgreement {
  accountId: number;
  amountOre: number;
  receiptEmail: string;
  status: AgreementStatus;
  cardBrand: string | null;
  cardLast4: string | null;
  consecutiveFailures: number;
  /** Whether the 100 kr. deposit rule is met, so the agreement is in effect. */
  inEffect: boolean;
  depositedOre: number;
  /** Whether the viewer pays for it (their saved card). A card holder whose guardian pays sees it read-only. */
  payerIsViewer: boolean;
  /** The payer's name, shown to whoever sees it read-only. */
  payerName: string | null;
}

/**
 * The agreement on an account as `viewerUserId` sees it: whoever pays for it (the holder, or a guardian with their own
 * card). The caller has checked that the viewer may act on the account (access.ts); a cancelled agreement of another
 * payer is nobody's business and is not shown.
 */
export function getAgreement(tx: Tx, viewerUserId: number, accountId: number): AutoTopUpAgreement | null {
  const row = tx.first(
    db
      .selectFrom("auto_top_up_agreements as g")
      .innerJoin("users as payer", "payer.id", "g.user_id")
      .select(["g.account_id", "g.user_id", "g.amount_ore", "g.receipt_email", "g.status", "g.card_brand", "g.card_last4", "g.consecutive_failures", "payer.name as payer_name"])
      .where("g.account_id", "=", accountId),
  );
  if (!row || (row.user_id !== viewerUserId && row.status === "cancelled")) return null;
  const depositedOre = depositedTotal(tx, accountId);
  const payerIsViewer = row.user_id === viewerUserId;
  return {
    accountId: row.account_id,
    amountOre: row.amount_ore,
    // The payer's receipt address is theirs: a holder who only sees the agreement does not get it.
    receiptEmail: payerIsViewer ? row.receipt_email : "",
    status: row.status,
    cardBrand: row.card_brand,
    cardLast4: row.card_last4,
    consecutiveFailures: row.consecutive_failures,
    inEffect: row.status === "active" && depositedOre >= AUTO_TOP_UP_MIN_DEPOSITED_ORE,
    depositedOre,
    payerIsViewer,
    payerName: row.payer_name,
  };
}

/**
 * Whether `userId` may set up (or replace) the agreement on the account: nobody else pays for it yet, or it is theirs,
 * or they are a guardian of the holder (a parent taking over the child's top-up with their own card). A holder
 * cannot replace the agreement their guardian pays for: they see it read-only.
 */
export function maySetUpAgreement(tx: Tx, userId: number, accountId: number): boolean {
  const account = actableAccount(tx, userId, accountId);
  if (!account) return false;
  const current = tx.first(db.selectFrom("auto_top_up_agreements").select(["user_id", "status"]).where("account_id", "=", accountId));
  if (!current || current.status === "cancelled" || current.user_id === userId) return true;
  // A payer who may no longer act on the account (a guardian since unlinked) decides nothing on it any more.
  return !account.own || !actableAccount(tx, current.user_id, accountId);
}

/**
 * Saves (or replaces) the agreement for an account, paid by `userId` (the holder or a guardian). A new card is needed
 * through the hosted page, so the agreement waits for the setup payment's callback before it becomes active.
 */
export function saveAgreement(
  tx: WriteTx,
  userId: number,
  agreement: { accountId: number; amountOre: number; receiptEmail: string; setupPaymentId: string },
  nowMs: number = Date.now(),
): void {
  tx.run(
    db
      .insertInto("auto_top_up_agreements")
      .values({
        user_id: userId,
        account_id: agreement.accountId,
        amount_ore: agreement.amountOre,
        receipt_email: agreement.receiptEmail,
        status: "awaiting_card",
        setup_payment_id: agreement.setupPaymentId,
        created_at: nowMs,
        updated_at: nowMs,
      })
      .onConflict((conflict) =>
        conflict.column("account_id").doUpdateSet((eb) => ({
          user_id: eb.ref("excluded.user_id"),
          amount_ore: eb.ref("excluded.amount_ore"),
          receipt_email: eb.ref("excluded.receipt_email"),
          status: "awaiting_card",
          setup_payment_id: eb.ref("excluded.setup_payment_id"),
          card_token: null,
          card_brand: null,
          card_last4: null,
          consecutive_failures: 0,
          updated_at: eb.ref("excluded.updated_at"),
        })),
      ),
  );
}

/** Changes the amount or e-mail of an agreement that has a card; re-activates a paused one. Only its payer may. */
export function updateAgreement(tx: WriteTx, userId: number, change: { accountId: number; amountOre: number; receiptEmail: string }, nowMs: number = Date.now()): boolean {
  // The payer must be allowed to act on the account now, not only when they set the agreement up.
  if (!actableAccount(tx, userId, change.accountId)) return false;
  const result = tx.run(
    db
      .updateTable("auto_top_up_agreements")
      .set((eb) => ({
        amount_ore: change.amountOre,
        receipt_email: change.receiptEmail,
        consecutive_failures: 0,
        status: eb
          .case()
          .when(eb.and([eb("status", "=", "paused"), eb("card_token", "is not", null)]))
          .then("active" as const)
          .else(eb.ref("status"))
          .end(),
        updated_at: nowMs,
      }))
      .where("account_id", "=", change.accountId)
      .where("user_id", "=", userId)
      .where("status", "!=", "cancelled"),
  );
  return result.changes === 1;
}

/**
 * The payer may cancel, as long as they may act on the account now; so may anyone who may act on it when the payer
 * no longer may (a child whose guardian was unlinked). The token is forgotten at once: nothing can be charged after a
 * cancel. Returns the forgotten token (null if the card was never saved), for the cancel at the acquirer; null if
 * there was nothing the user may cancel.
 */
export function cancelAgreement(tx: WriteTx, userId: number, accountId: number, nowMs: number = Date.now()): { cardToken: string | null } | null {
  if (!actableAccount(tx, userId, accountId)) return null;
  const current = tx.first(db.selectFrom("auto_top_up_agreements").select(["user_id", "card_token"]).where("account_id", "=", accountId).where("status", "!=", "cancelled"));
  if (!current || (current.user_id !== userId && actableAccount(tx, current.user_id, accountId))) return null;
  tx.run(db.updateTable("auto_top_up_agreements").set({ status: "cancelled", card_token: null, updated_at: nowMs }).where("account_id", "=", accountId));
  return { cardToken: current.card_token };
}

/** Makes the agreement of a setup payment active with the saved card; false if it no longer waits for one. */
export function activateAgreement(tx: WriteTx, setupPaymentId: string, card: { cardToken: string; cardBrand: string | null; cardLast4: string | null }, nowMs: number): boolean {
  return (
    tx.run(
      db
        .updateTable("auto_top_up_agreements")
        .set({ card_token: card.cardToken, card_brand: card.cardBrand, card_last4: card.cardLast4, status: "active", consecutive_failures: 0, updated_at: nowMs })
        .where("setup_payment_id", "=", setupPaymentId)
        .where("status", "=", "awaiting_card"),
    ).changes === 1
  );
}

/** The first charge of an Auto-optank whose card was saved without moving money (a QuickPay subscription). */
export interface SetupCharge {
  paymentId: string;
  orderId: string;
  userId: number;
  accountId: number;
  amountOre: number;
  cardToken: string;
}

/**
 * A verified "card saved" for a setup payment: the agreement becomes active with the token. Saving moved no money,
 * so the setup amount is still to be charged: returned once (the first time) for a recurring charge, whose own
 * capture is what gets credited. A repeated message changes nothing and returns null.
 */
export function saveCardForSetup(
  tx: WriteTx,
  ref: PaymentReference,
  card: { cardToken: string; cardBrand?: string | undefined; cardLast4?: string | undefined },
  nowMs: number = Date.now(),
): { payment: Payment | null; charge: SetupCharge | null } {
  const payment = findPaymentByReference(tx, ref);
  if (!payment || payment.purpose !== "auto_top_up_setup") return { payment, charge: null };
  const activated = activateAgreement(tx, payment.paymentId, { cardToken: card.cardToken, cardBrand: card.cardBrand ?? null, cardLast4: card.cardLast4 ?? null }, nowMs);
  if (!activated || payment.status !== "pending" || !payment.orderId) return { payment, charge: null };
  tx.run(db.updateTable("payments").set({ card_brand: card.cardBrand ?? null, card_last4: card.cardLast4 ?? null, updated_at: nowMs }).where("id", "=", payment.paymentId));
  return {
    payment,
    charge: { paymentId: payment.paymentId, orderId: payment.orderId, userId: payment.userId, accountId: payment.accountId, amountOre: payment.amountOre, cardToken: card.cardToken },
  };
}

/** Total deposited on an account by card (deposits and earlier top-ups): the agreement needs 100 kr. first. */
export function depositedTotal(tx: Tx, accountId: number): number {
  const row = tx.first(
    db
      .selectFrom("transfers")
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>("amount_ore"), sql<number>`0`).as("total"))
      .where("credit_account_id", "=", accountId)
      .where("kind", "in", ["deposit", "auto_top_up"]),
  );
  return Number(row?.total ?? 0);
}

/** Whether an Auto-optank agreement is running on the account (then no low-balance alert is needed). */
export function autoTopUpRunning(tx: Tx, accountId: number): boolean {
  return tx.first(db.selectFrom("auto_top_up_agreements").select("id").where("account_id", "=", accountId).where("status", "=", "active").where("card_token", "is not", null)) !== undefined;
}

/** The pending setup payment of the payer's agreement that still waits for its card, if any (for a read-back). */
export function pendingSetupPayment(tx: Tx, payerUserId: number, accountId: number): string | null {
  const row = tx.first(
    db
      .selectFrom("auto_top_up_agreements as g")
      .innerJoin("payments as p", "p.id", "g.setup_payment_id")
      .select("p.id")
      .where("g.account_id", "=", accountId)
      .where("g.user_id", "=", payerUserId)
      .where("g.status", "=", "awaiting_card")
      .where("p.status", "=", "pending"),
  );
  return row?.id ?? null;
}

/** Whether the agreement for a setup payment already has its card (then a read-back asks about the first charge). */
export function setupCardSaved(tx: Tx, setupPaymentId: string): boolean {
  return (
    tx.first(db.selectFrom("auto_top_up_agreements").select("id").where("setup_payment_id", "=", setupPaymentId).where("card_token", "is not", null).where("status", "!=", "cancelled")) !==
    undefined
  );
}
