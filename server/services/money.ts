// Money-in orchestration around the acquirer: start a hosted payment, apply its signed callback, run automatic top-ups.
import type { AppServices } from "../trpc.ts";
import type { CallbackEvent, PaymentOutcome } from "../payments/acquirer.ts";
import { publishTransfers } from "../ledger/events.ts";
import { formatOre } from "../../common/money.ts";
import { sendQuietly } from "../mail/mailer.ts";
import { actableAccount } from "./access.ts";
import {
  applyPaymentOutcome,
  autoTopUpMayBeDue,
  claimAutoTopUp,
  createPendingPayment,
  PaymentMismatchError,
  recordRedirect,
  saveAgreement,
  type AutoTopUpResult,
  type ClaimedTopUp,
  type OutcomeApplied,
  type Payment,
  type PaymentPurpose,
} from "./payments.ts";

export interface StartPaymentRequest {
  userId: number;
  accountId: number;
  amountOre: number;
  receiptEmail: string;
  idempotencyKey: string;
  purpose: Extract<PaymentPurpose, "deposit" | "auto_top_up_setup">;
  /** Base URL of the portal as the browser sees it, for the return and callback addresses. */
  baseUrl: string;
}

export type StartPaymentResult = { ok: true; paymentId: string; redirectUrl: string } | { ok: false; reason: "account_not_found" };

/** Registers a pending payment and asks the acquirer for its hosted page; a repeated request reuses the first. */
export async function startPayment(services: AppServices, request: StartPaymentRequest): Promise<StartPaymentResult> {
  const { store, acquirer } = services;
  const started = await store.write((tx) => {
    const account = actableAccount(tx, request.userId, request.accountId);
    // Auto-optank stays on the user's own accounts: the saved card and the agreement belong to one cardholder.
    if (!account || (request.purpose === "auto_top_up_setup" && !account.own)) return null;
    const { payment, created } = createPendingPayment(tx, {
      userId: request.userId,
      accountId: request.accountId,
      idempotencyKey: request.idempotencyKey,
      purpose: request.purpose,
      amountOre: request.amountOre,
      receiptEmail: request.receiptEmail,
    });
    if (created && request.purpose === "auto_top_up_setup") {
      saveAgreement(tx, request.userId, { accountId: request.accountId, amountOre: request.amountOre, receiptEmail: request.receiptEmail, setupPaymentId: payment.paymentId });
    }
    return payment;
  });
  if (!started) return { ok: false, reason: "account_not_found" };
  if (started.redirectUrl) return { ok: true, paymentId: started.paymentId, redirectUrl: started.redirectUrl };
  const returnPath = request.purpose === "deposit" ? "/indbetal/resultat" : "/indbetal/auto-optank";
  const { redirectUrl } = await acquirer.createPayment({
    paymentId: started.paymentId,
    amountOre: started.amountOre,
    description: request.purpose === "deposit" ? "Indbetaling på kantinekort" : "Auto-optank: første indbetaling og gemt kort",
    saveCard: request.purpose === "auto_top_up_setup",
    returnUrl: `${request.baseUrl}${returnPath}`,
    callbackUrl: `${request.baseUrl}/payments/callback`,
  });
  await store.write((tx) => recordRedirect(tx, started.paymentId, redirectUrl));
  return { ok: true, paymentId: started.paymentId, redirectUrl };
}

async function afterOutcome(services: AppServices, applied: OutcomeApplied): Promise<void> {
  if (!applied.changed || !applied.payment) return;
  publishTransfers(services.bus, applied.transfers);
  if (applied.autoTopUpResult) services.bus.publish("autoTopUp", applied.autoTopUpResult.userId, applied.autoTopUpResult);
  await sendReceipt(services, applied.payment, applied.autoTopUpResult);
}

async function sendReceipt(services: AppServices, payment: Payment, topUp: AutoTopUpResult | null): Promise<void> {
  if (!payment.receiptEmail) return;
  const amount = formatOre(payment.amountOre);
  if (payment.status === "captured") {
    const what = payment.purpose === "auto_top_up" ? "Auto-optankning" : "Indbetaling";
    // The top-up happened without the cardholder doing anything, so the receipt says where the balance now stands.
    const balance = topUp ? formatOre(topUp.balanceOre) : null;
    await sendQuietly(services.mailer, {
      to: payment.receiptEmail,
      subject: `Kvittering: ${what} på ${amount}`,
      text: `${what} på ${amount} er gennemført${payment.cardLast4 ? ` med kort der ender på ${payment.cardLast4}` : ""}.${balance ? `\nNy saldo: ${balance}` : ""}\nBetalings-id: ${payment.paymentId}\n\n---\nReceipt: ${amount} has been added to your canteen card.${balance ? ` New balance: ${balance}.` : ""}`,
    });
  } else if (payment.purpose === "auto_top_up") {
    await sendQuietly(services.mailer, {
      to: payment.receiptEmail,
      subject: "Auto-optankning mislykkedes",
      text: `Vi kunne ikke trække ${amount} på dit gemte kort (${payment.reason ?? "ukendt årsag"}).${topUp?.agreementPaused ? "\nAftalen er sat på pause efter gentagne fejl. Opdatér den under Indbetal → Auto-optank." : ""}\n\n---\nYour automatic top-up failed.${topUp?.agreementPaused ? " The agreement is paused." : ""}`,
    });
  }
}

export type CallbackAnswer = { status: 200 | 400 | 401; body: string };

/** The acquirer's signed callback: verified first, then applied exactly once; duplicates and late ones are a quiet 200. */
export async function handlePaymentCallback(services: AppServices, headers: Headers, rawBody: string): Promise<CallbackAnswer> {
  const verified = services.acquirer.verifyCallback(headers, rawBody);
  if (!verified.ok) {
    console.warn(`payment callback refused: ${verified.problem}`);
    return { status: 401, body: "refused" };
  }
  let applied: OutcomeApplied;
  try {
    applied = await services.store.write((tx) => applyPaymentOutcome(tx, verified.event));
  } catch (error) {
    if (error instanceof PaymentMismatchError) {
      console.error(`payment callback refused: ${error.message}`);
      return { status: 400, body: "mismatch" };
    }
    throw error;
  }
  await afterOutcome(services, applied);
  return { status: 200, body: "ok" };
}

/** In flight per process, so a burst of sales does not even queue claims; the claim in the database is what guarantees one. */
const running = new Set<number>();
/** The top-ups under way, so that a graceful stop can let them record their outcome before the database closes. */
const underWay = new Set<Promise<unknown>>();

/** Resolves when every automatic top-up started so far has recorded its outcome (or given up). */
export async function autoTopUpsSettled(): Promise<void> {
  while (underWay.size > 0) await Promise.allSettled([...underWay]);
}

/**
 * How long a saved-card charge may take. A hung acquirer must not hold the account's in-flight mark for ever; after
 * this the outcome is unknown ("timeout"), the account is freed, and a capture that still arrives is deposited.
 */
export const CHARGE_TOKEN_TIMEOUT_MS = 30_000;

/**
 * Asks the acquirer to charge the saved card, giving up after `timeoutMs` with an unknown outcome. Should the charge
 * still answer "captured" after we gave up, that capture is applied then (once, by the payment id).
 */
async function chargeWithTimeout(services: AppServices, claim: ClaimedTopUp, timeoutMs: number): Promise<PaymentOutcome> {
  const charge = services.acquirer.chargeToken({ paymentId: claim.paymentId, token: claim.cardToken, amountOre: claim.amountOre, description: "Auto-optank" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    const outcome = await Promise.race([charge, timedOut]);
    if (outcome !== "timeout") return outcome;
    void charge
      .then((late) => (late.status === "captured" ? applyOutcome(services, { paymentId: claim.paymentId, amountOre: claim.amountOre, ...late }) : undefined))
      .catch((error) => console.error("late automatic top-up result could not be applied", error));
    return { status: "failed", reason: "timeout" };
  } catch (error) {
    return { status: "failed", reason: error instanceof Error ? error.message.slice(0, 100) : "acquirer_error" };
  } finally {
    clearTimeout(timer);
  }
}

/** Applies an acquirer result in one write and then tells the cardholder (bus, receipt). */
async function applyOutcome(services: AppServices, event: CallbackEvent): Promise<OutcomeApplied> {
  const applied = await services.store.write((tx) => applyPaymentOutcome(tx, event));
  await afterOutcome(services, applied);
  return applied;
}

/**
 * After a purchase: if the account's agreement says so, charge the saved card once. Never awaited by the till;
 * the result goes to the cardholder live (bus) and by e-mail.
 */
export async function maybeAutoTopUp(services: AppServices, accountId: number, chargeTimeoutMs: number = CHARGE_TOKEN_TIMEOUT_MS): Promise<AutoTopUpResult | null> {
  if (running.has(accountId)) return null;
  running.add(accountId);
  try {
    if (!services.store.read((tx) => autoTopUpMayBeDue(tx, accountId))) return null;
    const work = (async () => {
      const claim = await services.store.write((tx) => claimAutoTopUp(tx, accountId));
      if (!claim) return null;
      const outcome = await chargeWithTimeout(services, claim, chargeTimeoutMs);
      const applied = await applyOutcome(services, { paymentId: claim.paymentId, amountOre: claim.amountOre, ...outcome });
      return applied.autoTopUpResult;
    })();
    underWay.add(work);
    try {
      return await work;
    } finally {
      underWay.delete(work);
    }
  } catch (error) {
    console.error("automatic top-up failed unexpectedly", error);
    return null;
  } finally {
    running.delete(accountId);
  }
}
