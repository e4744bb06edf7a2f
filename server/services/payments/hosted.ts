// Hosted payments (Indbetal and the Auto-optank setup): start one on the acquirer's page, and refresh its result for the result page.
import type { ServiceBundle } from "../bundle.ts";
import { actableAccount } from "../access.ts";
import { errorField, log } from "../../ops/logger.ts";
import { createPendingPayment, findPayment, mayOpenPayment, recordRedirect, type PaymentPurpose } from "./records.ts";
import { maySetUpAgreement, saveAgreement } from "./agreements.ts";
import { claimCheck, reconcilePayment } from "./reconciliation.ts";
import { CALLBACK_PATH } from "./callback-address.ts";

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
