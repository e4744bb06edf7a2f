// Auto-optank runs: claim a due top-up, charge the saved card (with a time limit), settle its answer; cancel saved cards at the acquirer.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { db, prepared } from "../../../db/query.ts";
import { AUTO_TOP_UP_MIN_DEPOSITED_ORE, AUTO_TOP_UP_THRESHOLD_ORE } from "../../../common/payments.ts";
import type { ServiceBundle } from "../bundle.ts";
import { AcquirerUnavailableError, type ChargeAnswer } from "../../acquirer/acquirer.ts";
import { actableAccount } from "../access.ts";
import { errorField, log } from "../../ops/logger.ts";
import { createPendingPayment, recordAcquirerRef } from "./records.ts";
import { depositedTotal, type SetupCharge } from "./agreements.ts";
import type { AutoTopUpResult, OutcomeApplied } from "./outcomes.ts";
import { applyOutcome } from "./receipts.ts";
import { callbackUrlFor } from "./callback-address.ts";

export interface ClaimedTopUp {
  paymentId: string;
  orderId: string;
  userId: number;
  accountId: number;
  amountOre: number;
  cardToken: string;
  receiptEmail: string;
}

const dueAgreement = () =>
  db
    .selectFrom("auto_top_up_agreements as g")
    .innerJoin("ledger_accounts as a", "a.id", "g.account_id")
    .where("g.status", "=", "active")
    .where("g.card_token", "is not", null)
    .where("g.in_flight_payment_id", "is", null);

/**
 * A cheap check on the read connection, so a sale on an account without a due agreement (nearly all of them) does
 * not queue a write transaction. claimAutoTopUp decides for real, inside the write.
 */
export function autoTopUpMayBeDue(tx: Tx, accountId: number): boolean {
  return agreementMayBeDue.first(tx, { accountId }) !== undefined;
}

/** Compiled once: it runs after every sale that leaves a balance under the threshold. */
const agreementMayBeDue = prepared<{ accountId: number }>()((p) =>
  dueAgreement().select("g.id").where("g.account_id", "=", p.accountId).where("a.balance_ore", "<", AUTO_TOP_UP_THRESHOLD_ORE),
);

/**
 * Starts a top-up if the rule says so: an active agreement with a saved card, at least 100 kr. deposited, the
 * balance below 50 kr., and no top-up already in flight (the claim and the in-flight mark are one transaction).
 */
export function claimAutoTopUp(tx: WriteTx, accountId: number, nowMs: number = Date.now()): ClaimedTopUp | null {
  const agreement = tx.first(
    dueAgreement()
      .select(["g.user_id", "g.amount_ore", "g.card_token", "g.receipt_email", "a.balance_ore"])
      .where("g.account_id", "=", accountId),
  );
  if (!agreement || agreement.card_token === null || agreement.balance_ore >= AUTO_TOP_UP_THRESHOLD_ORE) return null;
  // The payer must still be allowed to act on the account now (a guardian since unlinked is not): their card is never
  // charged for it again, and the agreement ends here, so the holder can choose their own.
  if (!actableAccount(tx, agreement.user_id, accountId)) {
    tx.run(db.updateTable("auto_top_up_agreements").set({ status: "cancelled", card_token: null, updated_at: nowMs }).where("account_id", "=", accountId));
    return null;
  }
  if (depositedTotal(tx, accountId) < AUTO_TOP_UP_MIN_DEPOSITED_ORE) return null;
  const { payment } = createPendingPayment(
    tx,
    { userId: agreement.user_id, accountId, idempotencyKey: `auto-top-up:${crypto.randomUUID()}`, purpose: "auto_top_up", amountOre: agreement.amount_ore, receiptEmail: agreement.receipt_email },
    nowMs,
  );
  tx.run(db.updateTable("auto_top_up_agreements").set({ in_flight_payment_id: payment.paymentId, updated_at: nowMs }).where("account_id", "=", accountId));
  return {
    paymentId: payment.paymentId,
    orderId: payment.orderId!,
    userId: agreement.user_id,
    accountId,
    amountOre: agreement.amount_ore,
    cardToken: agreement.card_token,
    receiptEmail: agreement.receipt_email,
  };
}

/** In flight per process, so a burst of sales does not even queue claims; the claim in the database is what guarantees one. */
const running = new Set<number>();
/** The top-ups under way, so that a graceful stop can let them record their outcome before the database closes. */
const underWay = new Set<Promise<unknown>>();

/** Keeps a promise in the set a graceful stop waits for (autoTopUpsSettled). */
export function track<T>(work: Promise<T>): Promise<T> {
  underWay.add(work);
  void work.then(
    () => underWay.delete(work),
    () => underWay.delete(work),
  );
  return work;
}

/** Resolves when every automatic top-up started so far has recorded its outcome (or given up). */
export async function autoTopUpsSettled(): Promise<void> {
  while (underWay.size > 0) await Promise.allSettled([...underWay]);
}

/**
 * How long a saved-card charge may take. A hung acquirer must not hold the account's in-flight mark for ever; after
 * this the outcome is unknown ("timeout"), the account is freed, and a capture that still arrives is deposited.
 */
export const CHARGE_TOKEN_TIMEOUT_MS = 30_000;

type ChargeResult = ChargeAnswer | { status: "unreachable"; reason: string };

/**
 * Asks the acquirer to charge the saved card, giving up after `timeoutMs` with an unknown outcome. Should the charge
 * still answer "captured" after we gave up, that capture is applied then (once, by the payment id). An acquirer that
 * could not be reached ("unreachable") may or may not have the charge: the payment stays pending for the reconciler.
 */
async function chargeWithTimeout(services: ServiceBundle, claim: ClaimedTopUp | SetupCharge, timeoutMs: number): Promise<ChargeResult> {
  const charge = services.acquirer.chargeToken({
    paymentId: claim.paymentId,
    orderId: claim.orderId,
    token: claim.cardToken,
    amountOre: claim.amountOre,
    description: "Auto-optank",
    callbackUrl: callbackUrlFor(services),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([charge, timedOut]);
    if (outcome !== "timeout") return outcome;
    void charge
      .then((late) => (late.status === "captured" ? applyOutcome(services, { paymentId: claim.paymentId, amountOre: claim.amountOre, ...late }) : undefined))
      .catch((error) => log.error({ err: errorField(error, true) }, "late automatic top-up result could not be applied"));
    return { status: "failed", reason: "timeout" };
  } catch (error) {
    if (error instanceof AcquirerUnavailableError) return { status: "unreachable", reason: error.message };
    return { status: "failed", reason: error instanceof Error ? error.message.slice(0, 100) : "acquirer_error" };
  } finally {
    clearTimeout(timer);
  }
}

/** Records what a charge request answered: a final outcome is applied, a pending one waits for its callback. */
async function settleCharge(services: ServiceBundle, claim: ClaimedTopUp | SetupCharge, answer: ChargeResult): Promise<OutcomeApplied | null> {
  if (answer.status === "pending") {
    if (answer.acquirerRef) {
      const acquirerRef = answer.acquirerRef;
      await services.store.write((tx) => recordAcquirerRef(tx, claim.paymentId, acquirerRef));
    }
    return null;
  }
  if (answer.status === "unreachable") {
    log.warn({ paymentId: claim.paymentId, reason: answer.reason }, "charge request did not get through; left pending for read-back");
    return null;
  }
  return applyOutcome(services, { paymentId: claim.paymentId, amountOre: claim.amountOre, ...answer });
}

/** The first charge of an Auto-optank whose card was saved without moving money: credited once from its own result. */
export async function chargeSetup(services: ServiceBundle, charge: SetupCharge): Promise<void> {
  try {
    await settleCharge(services, charge, await chargeWithTimeout(services, charge, CHARGE_TOKEN_TIMEOUT_MS));
  } catch (error) {
    log.error({ err: errorField(error, true) }, "the first Auto-optank charge failed unexpectedly");
  }
}

/**
 * After a purchase: if the account's agreement says so, charge the saved card once. Never awaited by the till;
 * the result goes to the cardholder live (bus) and by e-mail. With an acquirer that answers later (QuickPay), the
 * result comes by callback and this returns null; the account stays claimed until then, so no second charge starts.
 */
export async function maybeAutoTopUp(services: ServiceBundle, accountId: number, chargeTimeoutMs: number = CHARGE_TOKEN_TIMEOUT_MS): Promise<AutoTopUpResult | null> {
  if (running.has(accountId)) return null;
  running.add(accountId);
  try {
    if (!services.store.read((tx) => autoTopUpMayBeDue(tx, accountId))) return null;
    const work = track(
      (async () => {
        const claim = await services.store.write((tx) => claimAutoTopUp(tx, accountId));
        if (!claim) return null;
        const applied = await settleCharge(services, claim, await chargeWithTimeout(services, claim, chargeTimeoutMs));
        return applied?.autoTopUpResult ?? null;
      })(),
    );
    return await work;
  } catch (error) {
    log.error({ err: errorField(error, true) }, "automatic top-up failed unexpectedly");
    return null;
  } finally {
    running.delete(accountId);
  }
}

/** Waits before each further try of a cancel at the acquirer that could not get through. */
export const ACQUIRER_CANCEL_RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000];

/**
 * After an agreement was cancelled in our database (commit first, so the token is already forgotten and never charged
 * again), the saved card is cancelled at the acquirer too (a QuickPay subscription). Tried again a couple of times when
 * the acquirer cannot be reached, then logged for an operator: the agreement stays cancelled either way. Never throws.
 */
export function cancelSavedCardsAtAcquirer(services: ServiceBundle, tokens: readonly string[], retryDelaysMs: readonly number[] = ACQUIRER_CANCEL_RETRY_DELAYS_MS): Promise<void> {
  return track(
    Promise.all(
      tokens.map(async (token) => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            await services.acquirer.cancelSavedCard(token);
            return;
          } catch (error) {
            if (attempt >= retryDelaysMs.length) {
              // The token itself is not logged: the acquirer's reference is enough to find the subscription.
              log.error({ err: errorField(error, false), acquirer: services.acquirer.name, tokenTail: token.slice(-6), attempts: attempt + 1 }, "cancelling a saved card at the acquirer failed; cancel it there by hand");
              return;
            }
            await Bun.sleep(retryDelaysMs[attempt]!);
          }
        }
      }),
    ).then(() => undefined),
  );
}
