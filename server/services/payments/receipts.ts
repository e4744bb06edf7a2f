// After an outcome is applied: the cardholder is told, live on the bus and by receipt e-mail (also for a failed top-up).
import type { ServiceBundle } from "../bundle.ts";
import { publishTransfers } from "../../ledger/events.ts";
import { formatOre } from "../../../common/money.ts";
import { sendQuietly } from "../../mail/mailer.ts";
import { applyPaymentOutcome, type AutoTopUpResult, type OutcomeApplied } from "./outcomes.ts";
import type { Payment, PaymentResult } from "./records.ts";

/** Publishes what an applied outcome changed and sends its receipt; nothing for a duplicate. */
export async function afterOutcome(services: ServiceBundle, applied: OutcomeApplied): Promise<void> {
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

/** Applies an acquirer result in one write and then tells the cardholder (bus, receipt). */
export async function applyOutcome(services: ServiceBundle, event: PaymentResult): Promise<OutcomeApplied> {
  const applied = await services.store.write((tx) => applyPaymentOutcome(tx, event));
  await afterOutcome(services, applied);
  return applied;
}
