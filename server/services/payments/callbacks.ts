// The acquirer's word on a payment (a verified callback or a read-back), settled exactly once.
import type { ServiceBundle } from "../bundle.ts";
import type { CallbackEvent } from "../../acquirer/acquirer.ts";
import { errorField, log } from "../../ops/logger.ts";
import { findPaymentByReference, recordAcquirerRef, type PaymentResult } from "./records.ts";
import { saveCardForSetup } from "./agreements.ts";
import { applyPaymentOutcome, PaymentMismatchError, type OutcomeApplied } from "./outcomes.ts";
import { afterOutcome } from "./receipts.ts";
import { chargeSetup, track } from "./auto-top-up.ts";

export type CallbackAnswer = { status: 200 | 400 | 401; body: string };

/** Settles what an acquirer said (a verified callback or a read-back): once, by the payment's order id or our id. */
export async function settleEvent(services: ServiceBundle, event: CallbackEvent): Promise<OutcomeApplied | null> {
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
