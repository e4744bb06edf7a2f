// Money-in orchestration around the acquirer: start a hosted payment, apply verified callbacks, read lost results back, run automatic top-ups.
import type { ServiceBundle } from "./bundle.ts";
import { AcquirerUnavailableError, type CallbackEvent, type ChargeAnswer, type LookUpRequest } from "../payments/acquirer.ts";
import { publishTransfers } from "../ledger/events.ts";
import { formatOre } from "../../common/money.ts";
import { sendQuietly } from "../mail/mailer.ts";
import {
  applyPaymentOutcome,
  autoTopUpMayBeDue,
  claimAutoTopUp,
  claimCheck,
  claimPendingToReconcile,
  createPendingPayment,
  findPayment,
  findPaymentByReference,
  maySetUpAgreement,
  mayOpenPayment,
  pendingTopUpIds,
  PaymentMismatchError,
  recordAcquirerRef,
  recordRedirect,
  recoverInterruptedTopUps,
  saveAgreement,
  saveCardForSetup,
  setupCardSaved,
  type AutoTopUpResult,
  type ClaimedTopUp,
  type OutcomeApplied,
  type Payment,
  type PaymentPurpose,
  type PaymentResult,
  type SetupCharge,
} from "./payments.ts";
import { actableAccount } from "./access.ts";
import { errorField, log } from "../ops/logger.ts";

export interface StartPaymentRequest {
  userId: number;
  accountId: number;
  amountOre: number;
  receiptEmail: string;
  idempotencyKey: string;
  purpose: Extract<PaymentPurpose, "deposit" | "auto_top_up_setup">;
  /** Base URL of the portal (PUBLIC_URL, or the request's origin outside production), for the return and callback addresses. */
  baseUrl: string;
}

export type StartPaymentResult =
  | { ok: true; paymentId: string; redirectUrl: string }
  | { ok: false; reason: "account_not_found" | "agreement_not_yours" | "too_many_open_payments" | "acquirer_unavailable" };

/** The path of the callback on our own origin; the same for every acquirer. */
export const CALLBACK_PATH = "/payments/callback";

/**
 * Where a server-to-server charge (a recurring top-up) tells its result: PUBLIC_URL, or this server's own address when
 * PUBLIC_URL is not set (development and tests). Set by startServer once it listens.
 */
let ownOrigin: string | null = null;
export function setOwnOrigin(origin: string | null): void {
  ownOrigin = origin;
}
function callbackUrlFor(services: ServiceBundle): string {
  const base = services.config.publicUrl?.replace(/\/$/, "") ?? ownOrigin ?? "http://127.0.0.1";
  return `${base}${CALLBACK_PATH}`;
}

/** Registers a pending payment and asks the acquirer for its hosted page; a repeated request reuses the first. */
export async function startPayment(services: ServiceBundle, request: StartPaymentRequest): Promise<StartPaymentResult> {
  const { store, acquirer } = services;
  const started = await store.write((tx) => {
    const account = actableAccount(tx, request.userId, request.accountId);
    if (!account) return "account_not_found" as const;
    // Auto-optank is the payer's: the holder's own, or a guardian's with their own card; a holder cannot replace
    // the agreement their guardian pays for.
    if (request.purpose === "auto_top_up_setup" && !maySetUpAgreement(tx, request.userId, request.accountId)) return "agreement_not_yours" as const;
    if (!mayOpenPayment(tx, request.userId, request.idempotencyKey)) return "too_many_open_payments" as const;
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
  if (typeof started === "string") return { ok: false, reason: started };
  if (started.redirectUrl) return { ok: true, paymentId: started.paymentId, redirectUrl: started.redirectUrl };
  const returnPath = request.purpose === "deposit" ? "/indbetal/resultat" : "/indbetal/auto-optank";
  // The page opens on the same card again (`konto`), which matters for a guardian paying on a child's card.
  const back = (result: string) => `${request.baseUrl}${returnPath}?paymentId=${started.paymentId}&result=${result}&konto=${started.accountId}`;
  let created;
  try {
    created = await acquirer.createPayment({
      paymentId: started.paymentId,
      // Payments from before order ids (none are still startable) fall back to the payment id for the simulator.
      orderId: started.orderId ?? started.paymentId,
      amountOre: started.amountOre,
      description: request.purpose === "deposit" ? "Indbetaling på kantinekort" : "Auto-optank: gemt kort og første indbetaling",
      saveCard: request.purpose === "auto_top_up_setup",
      returnUrl: back("completed"),
      cancelUrl: back("cancelled"),
      callbackUrl: `${request.baseUrl}${CALLBACK_PATH}`,
    });
  } catch (error) {
    // The payment stays pending without a page: the same Næste (same idempotency key) tries again, and the
    // acquirer's order id makes that safe. Nothing was charged, since no page was shown.
    log.error({ paymentId: started.paymentId, err: errorField(error) }, "payment: the acquirer could not be reached");
    return { ok: false, reason: "acquirer_unavailable" };
  }
  await store.write((tx) => recordRedirect(tx, started.paymentId, created.redirectUrl, created.acquirerRef ?? null));
  return { ok: true, paymentId: started.paymentId, redirectUrl: created.redirectUrl };
}

async function afterOutcome(services: ServiceBundle, applied: OutcomeApplied): Promise<void> {
  if (!applied.changed || !applied.payment) return;
  publishTransfers(services.bus, applied.transfers);
  if (applied.autoTopUpResult) services.bus.publish("autoTopUp", applied.autoTopUpResult.userId, applied.autoTopUpResult);
  await sendReceipt(services, applied.payment, applied.autoTopUpResult);
}

/** The payer's words for why a top-up failed, in Danish and English. */
export function topUpFailureText(reason: string | null): { da: string; en: string } {
  switch (reason) {
    case "authentication_required":
      return {
        da: "Kortet kræver, at du godkender hver betaling (3-D Secure), så det kan ikke bruges til Auto-optank. Opsæt Auto-optank igen med et andet kort.",
        en: "The card needs you to approve each payment (3-D Secure), so it cannot be used for automatic top-up. Set up Auto-optank again with another card.",
      };
    case "card_declined":
      return { da: "Kortet blev afvist af banken.", en: "The card was declined by the bank." };
    case "card_not_found":
    case "subscription_not_usable":
      return { da: "Det gemte kort kan ikke længere bruges. Opsæt Auto-optank igen.", en: "The saved card can no longer be used. Set up Auto-optank again." };
    default:
      return { da: `Betalingen gik ikke igennem (${reason ?? "ukendt årsag"}).`, en: `The payment did not go through (${reason ?? "unknown reason"}).` };
  }
}

async function sendReceipt(services: ServiceBundle, payment: Payment, topUp: AutoTopUpResult | null): Promise<void> {
  if (!payment.receiptEmail) return;
  const amount = formatOre(payment.amountOre);
  if (payment.status === "captured") {
    const what = payment.purpose === "auto_top_up" ? "Auto-optankning" : "Indbetaling";
    // The top-up happened without the cardholder doing anything, so the receipt says where the balance now stands.
    const balance = topUp ? formatOre(topUp.balanceOre) : null;
    await sendQuietly(services.mailer, {
      to: payment.receiptEmail,
      subject: `Kvittering: ${what} på ${amount}`,
      text: `${what} på ${amount} er gennemført${payment.cardLast4 ? ` med kort der ender på ${payment.cardLast4}` : ""}.${balance ? `\nNy saldo: ${balance}` : ""}\nBetalings-id: ${payment.paymentId}\n\n---\nReceipt: ${amount} has been added to your canteen card.${balance ? ` New balance: ${balance}` : ""}`,
    });
  } else if (payment.purpose === "auto_top_up") {
    const why = topUpFailureText(payment.reason);
    await sendQuietly(services.mailer, {
      to: payment.receiptEmail,
      subject: "Auto-optankning mislykkedes",
      text: `Vi kunne ikke trække ${amount} på dit gemte kort. ${why.da}${topUp?.agreementPaused ? "\nAftalen er sat på pause, så vi prøver ikke igen. Opdatér den under Indbetal → Auto-optank." : ""}\n\n---\nYour automatic top-up of ${amount} failed. ${why.en}${topUp?.agreementPaused ? " The agreement is paused and will not be retried until you update it." : ""}`,
    });
  }
}

export type CallbackAnswer = { status: 200 | 400 | 401; body: string };

/** Settles what an acquirer said (a verified callback or a read-back): once, by the payment's order id or our id. */
async function settleEvent(services: ServiceBundle, event: CallbackEvent): Promise<OutcomeApplied | null> {
  if (event.kind === "pending") {
    // Nothing is decided yet (e.g. authorized, capture to come): remember the acquirer's id for a later read-back.
    if (event.acquirerRef) {
      const acquirerRef = event.acquirerRef;
      await services.store.write((tx) => {
        const payment = findPaymentByReference(tx, event.ref);
        if (payment && payment.purpose !== "auto_top_up_setup") recordAcquirerRef(tx, payment.paymentId, acquirerRef);
      });
    }
    return null;
  }
  if (event.kind === "card_saved") {
    const saved = await services.store.write((tx) => saveCardForSetup(tx, event.ref, event));
    if (saved.charge) track(chargeSetup(services, saved.charge));
    return null;
  }
  const applied = await services.store.write((tx) => {
    const payment = findPaymentByReference(tx, event.ref);
    if (!payment) return null;
    // The amount is compared for money: a capture of another amount than ours is refused. A refusal carries no money.
    const amountOre = event.status === "captured" ? event.amountOre : payment.amountOre;
    const { kind: _kind, ref: _ref, amountOre: _amountOre, acquirerRef: _acquirerRef, testMode: _testMode, ...outcome } = event;
    return applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre, ...outcome } as PaymentResult);
  });
  if (applied) await afterOutcome(services, applied);
  return applied;
}

/** The acquirer's callback: verified first, then applied exactly once; genuine duplicates and late ones are a quiet 200. */
export async function handlePaymentCallback(services: ServiceBundle, headers: Headers, rawBody: string): Promise<CallbackAnswer> {
  const verified = services.acquirer.verifyCallback(headers, rawBody);
  if (!verified.ok) {
    log.warn({ problem: verified.problem }, "payment callback refused");
    return { status: 401, body: "refused" };
  }
  try {
    await settleEvent(services, verified.event);
  } catch (error) {
    if (error instanceof PaymentMismatchError) {
      log.error({ err: errorField(error) }, "payment callback refused");
      return { status: 400, body: "mismatch" };
    }
    throw error;
  }
  return { status: 200, body: "ok" };
}

/** A payment whose result the acquirer has no record of after this long never reached it: it is failed. */
export const NOT_RECEIVED_AFTER_MS = 10 * 60 * 1000;

function lookUpRequestFor(services: ServiceBundle, payment: Payment): LookUpRequest {
  const orderId = payment.orderId ?? payment.paymentId;
  if (payment.purpose === "auto_top_up_setup") {
    // Until the card is saved, ask about the subscription; after that, about the first charge (a recurring payment
    // with the setup's own order id, whose acquirer id we do not keep).
    const saved = services.store.read((tx) => setupCardSaved(tx, payment.paymentId));
    return saved ? { paymentId: payment.paymentId, orderId, acquirerRef: null, kind: "payment" } : { paymentId: payment.paymentId, orderId, acquirerRef: payment.acquirerRef, kind: "card_setup" };
  }
  return { paymentId: payment.paymentId, orderId, acquirerRef: payment.acquirerRef, kind: "payment" };
}

/**
 * Reads one pending payment back from the acquirer and settles what it says: the recovery of a lost callback. When the
 * acquirer has no such order and the payment is older than `notReceivedAfterMs`, it never got there: failed. When the
 * acquirer cannot be asked (timeout, 5xx), nothing changes and a later round asks again.
 */
export async function reconcilePayment(services: ServiceBundle, payment: Payment, notReceivedAfterMs: number = NOT_RECEIVED_AFTER_MS, nowMs: number = Date.now()): Promise<void> {
  const event = await services.acquirer.lookUp(lookUpRequestFor(services, payment));
  if (event) {
    await settleEvent(services, event);
    return;
  }
  if (nowMs - payment.createdAt < notReceivedAfterMs) return;
  const applied = await services.store.write((tx) => applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: payment.amountOre, status: "failed", reason: "not_received" }));
  await afterOutcome(services, applied);
}

/** One round of the reconciler: pending payments older than a minute, each asked at most once a minute. */
export async function reconcilePending(services: ServiceBundle, options: { olderThanMs?: number; recheckAfterMs?: number; notReceivedAfterMs?: number } = {}): Promise<number> {
  const due = await services.store.write((tx) => claimPendingToReconcile(tx, { olderThanMs: options.olderThanMs ?? 60_000, recheckAfterMs: options.recheckAfterMs ?? 60_000, limit: 50 }));
  for (const payment of due) {
    try {
      await reconcilePayment(services, payment, options.notReceivedAfterMs);
    } catch (error) {
      log.warn({ paymentId: payment.paymentId, err: errorField(error) }, "payment read-back failed, will ask again");
    }
  }
  return due.length;
}

/**
 * The result page asks how a payment ended; when it is still pending, the acquirer is asked too (at most every few
 * seconds per payment), so a lost callback does not leave the payer waiting. Never throws: the page just asks again.
 */
export async function refreshPayment(services: ServiceBundle, paymentId: string, recheckAfterMs = 3_000): Promise<void> {
  const claimed = await services.store.write((tx) => (claimCheck(tx, paymentId, recheckAfterMs) ? findPayment(tx, paymentId) : null));
  if (!claimed) return;
  try {
    await reconcilePayment(services, claimed);
  } catch (error) {
    log.warn({ paymentId, err: errorField(error) }, "payment read-back for the result page failed");
  }
}

/**
 * At start: top-ups left in flight by the last shutdown. The acquirer is asked about each; one it has no record of
 * never reached it (or it keeps none, like the simulator) and is failed as "interrupted", freeing the account.
 * One it cannot be asked about stays for the reconciler.
 */
export async function recoverAtStart(services: ServiceBundle): Promise<number> {
  const pending = services.store.read((tx) => pendingTopUpIds(tx));
  let recovered = 0;
  for (const id of pending) {
    const payment = services.store.read((tx) => findPayment(tx, id));
    if (!payment) continue;
    try {
      const event = await services.acquirer.lookUp(lookUpRequestFor(services, payment));
      if (event && event.kind !== "pending") {
        await settleEvent(services, event);
        recovered += 1;
        continue;
      }
      if (event) continue;
    } catch {
      continue;
    }
    recovered += await services.store.write((tx) => {
      const applied = applyPaymentOutcome(tx, { paymentId: payment.paymentId, amountOre: payment.amountOre, status: "failed", reason: "interrupted" });
      return applied.changed ? 1 : 0;
    });
  }
  // Top-ups from before order ids cannot be asked about at all.
  recovered += await services.store.write((tx) => recoverInterruptedTopUps(tx, 0, Date.now(), true));
  return recovered;
}

/** In flight per process, so a burst of sales does not even queue claims; the claim in the database is what guarantees one. */
const running = new Set<number>();
/** The top-ups under way, so that a graceful stop can let them record their outcome before the database closes. */
const underWay = new Set<Promise<unknown>>();

function track<T>(work: Promise<T>): Promise<T> {
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

/** Applies an acquirer result in one write and then tells the cardholder (bus, receipt). */
async function applyOutcome(services: ServiceBundle, event: PaymentResult): Promise<OutcomeApplied> {
  const applied = await services.store.write((tx) => applyPaymentOutcome(tx, event));
  await afterOutcome(services, applied);
  return applied;
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
async function chargeSetup(services: ServiceBundle, charge: SetupCharge): Promise<void> {
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
