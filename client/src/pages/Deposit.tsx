// Indbetal: deposit by card through the hosted payment page, its result, and the Auto-optank agreement (tabs as in the guide).
import { A, useSearchParams } from "@solidjs/router";
import { createEffect, createResource, createSignal, onCleanup, Show } from "solid-js";
import { sentence, t } from "../i18n.ts";
import { session } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatOre, kronerFieldText } from "../format.ts";
import { AccountSelect, accountLabel } from "../accounts.tsx";
import { confirmDialog } from "../components/ConfirmDialog.tsx";
import { PaymentFields, Tabs, usePaymentForm } from "./deposit/payment-form.tsx";

// Maks. forbrug og påmindelse, the third tab, is a page of its own module, loaded with this one.
export { PayerSettingsPage } from "./deposit/PayerSettings.tsx";

export function DepositPage() {
  const form = usePaymentForm();
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <form class="card-panel" novalidate onSubmit={(event) => { event.preventDefault(); void form.submit((input) => trpc.payments.startDeposit.mutate(input)); }}>
        <p>{t().depositIntro}</p>
        <PaymentFields {...form} amountLabel={t().depositAmount} />
        <Show when={form.failed()}><p role="alert" class="error">{form.failed()}</p></Show>
        <button type="submit" disabled={form.busy()}>{form.busy() ? t().redirecting : t().next}</button>
      </form>
    </section>
  );
}

export function DepositResultPage() {
  const [params] = useSearchParams();
  const paymentId = String(params.paymentId ?? "");
  const [payment, { refetch }] = createResource(async () => (paymentId ? await trpc.payments.get.query({ paymentId }) : null));
  // The acquirer's callback decides, not the browser's return: ask until the payment is final.
  const timer = setInterval(() => {
    if (payment()?.status === "pending" || payment.loading) void refetch();
  }, 500);
  onCleanup(() => clearInterval(timer));
  createEffect(() => {
    if (payment() && payment()!.status !== "pending") {
      clearInterval(timer);
      void session.loadAccounts();
    }
  });
  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel" aria-live="polite">
        <Show when={payment()} fallback={<p role="status">{payment.error ? t().error : t().paymentPending}</p>}>
          {(shown) => (
            <Show when={shown().status !== "pending"} fallback={<p role="status">{t().paymentPending}</p>}>
              <p role={shown().status === "captured" ? "status" : "alert"} class={shown().status === "captured" ? "success" : "error"}>
                {shown().status === "captured"
                  ? t().paymentCaptured(formatOre(shown().amountOre))
                  : shown().reason === "cancelled"
                    ? t().paymentCancelled
                    : shown().status === "declined"
                      ? t().paymentDeclined
                      : shown().reason === "timeout" || shown().reason === "interrupted"
                        ? t().paymentUnknown
                        : t().paymentFailed}
              </p>
              {/* The balance as it is now (read after the payment settled, then kept live by the stream). */}
              <Show when={shown().status === "captured" ? session.accounts.find((account) => account.accountId === shown().accountId) : undefined}>
                {(account) => (
                  <p class="new-balance" data-testid="new-balance">
                    <strong>{sentence(t().newBalance(formatOre(account().balanceOre)))}</strong>
                    <Show when={account().holder}> <span>({accountLabel(account())})</span></Show>
                  </p>
                )}
              </Show>
            </Show>
          )}
        </Show>
        <A href="/konti">{t().accounts}</A>
      </div>
    </section>
  );
}

export function AutoTopUpPage() {
  const form = usePaymentForm();
  const [params] = useSearchParams();
  const [agreement, { refetch }] = createResource(form.accountId, (accountId) => trpc.autoTopUp.get.query({ accountId }));
  const [notice, setNotice] = createSignal<string | null>(null);
  createEffect(() => {
    const current = agreement();
    if (current && current.payerIsViewer && form.amount() === "") {
      form.setAmount(kronerFieldText(current.amountOre));
      form.setEmail(current.receiptEmail);
    }
  });
  // Returning from the hosted page: the agreement becomes active when the callback arrives.
  const timer = setInterval(() => {
    if (params.paymentId && agreement()?.status === "awaiting_card") void refetch();
  }, 500);
  onCleanup(() => clearInterval(timer));
  const hasCard = () => agreement()?.status === "active" || agreement()?.status === "paused";
  /** Someone else (a guardian) pays for this card's agreement: the holder sees it and cannot change it. */
  const paidByOther = () => {
    const current = agreement();
    return current !== null && current !== undefined && !current.payerIsViewer && current.status !== "cancelled";
  };

  async function update() {
    try {
      await trpc.autoTopUp.update.mutate({ accountId: form.accountId()!, amountOre: form.amountOre() ?? Number.NaN, receiptEmail: form.email().trim() });
      await refetch();
      setNotice(t().saved);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setNotice(t().error);
    }
  }
  async function cancel() {
    if (!(await confirmDialog({ title: t().cancelAgreement, message: t().cancelAgreementConfirm, confirmLabel: t().cancelAgreement, danger: true }))) return;
    try {
      await trpc.autoTopUp.cancel.mutate({ accountId: form.accountId()! });
      setNotice(t().agreementCancelled);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      setNotice(t().error);
    }
    await refetch();
  }

  return (
    <section>
      <h1>{t().depositTitle}</h1>
      <Tabs />
      <div class="card-panel">
        <p>{t().autoTopUpIntro}</p>
        <p class="notice">{t().autoTopUpNote}</p>
        <Show when={agreement()}>
          {(current) => (
            <div role="status" class="agreement" aria-live="polite">
              <Show when={current().status === "active"}>
                <p class="success">{t().agreementActive(formatOre(current().amountOre), `•••• ${current().cardLast4 ?? ""}`)}</p>
                <Show when={!current().inEffect}><p>{t().agreementNotInEffect(formatOre(current().depositedOre))}</p></Show>
              </Show>
              <Show when={current().status === "paused"}><p class="error">{t().agreementPaused}</p></Show>
              <Show when={current().status === "awaiting_card"}><p>{t().agreementAwaitingCard}</p></Show>
              <Show when={current().status === "cancelled"}><p>{t().agreementCancelled}</p></Show>
              <Show when={!current().payerIsViewer}><p>{t().agreementPaidBy(current().payerName ?? "")}</p></Show>
            </div>
          )}
        </Show>
        <Show when={paidByOther()}>
          <AccountSelect id="payment-account" label={t().depositAccount} value={form.accountId()} onChange={form.setAccountId} />
        </Show>
        <Show when={!paidByOther()}>
        <form novalidate onSubmit={(event) => { event.preventDefault(); void form.submit((input) => trpc.autoTopUp.setUp.mutate(input)); }}>
          <PaymentFields {...form} amountLabel={t().autoTopUpAmount} showTerms={!hasCard()} />
          <Show when={form.failed()}><p role="alert" class="error">{form.failed()}</p></Show>
          <div class="actions">
            <Show when={!hasCard()}>
              <button type="submit" disabled={form.busy()}>{form.busy() ? t().redirecting : t().next}</button>
            </Show>
            <Show when={hasCard()}>
              <button type="button" onClick={update}>{t().updateAgreement}</button>
              <button type="button" class="danger" onClick={cancel}>{t().cancelAgreement}</button>
            </Show>
          </div>
        </form>
        </Show>
        <Show when={notice()}><p role="status">{notice()}</p></Show>
      </div>
    </section>
  );
}
