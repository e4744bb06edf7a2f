// The parts Indbetal, Auto-optank and Maks. forbrug share: the three tabs, the payment fields and the payment form's state.
import { useLocation } from "@solidjs/router";
import { createSignal, For, onMount, Show, type JSX } from "solid-js";
import { localise, t } from "../../i18n.ts";
import { session, type Account } from "../../session.ts";
import { errorCode, fieldIssues } from "../../trpc.ts";
import { formatOre, parseKroner } from "../../format.ts";
import { AccountSelect, accountLabel, useChosenAccount, withCardNumber } from "../../accounts.tsx";
import { createIdempotencyKeys } from "../../idempotency.ts";
import { DEPOSIT_ORE_MAX, DEPOSIT_ORE_MIN, depositAmountOreSchema } from "../../../../common/payments.ts";

/**
 * The three tabs; exactly one is selected. Plain links (the router still navigates without a reload): the router's <A>
 * marks "/indbetal" active under every "/indbetal/…" too, which showed two selected tabs at once.
 */
export function Tabs() {
  const location = useLocation();
  const tabs = [
    { href: "/indbetal", paths: ["/indbetal", "/indbetal/resultat"], label: () => t().depositTitle },
    { href: "/indbetal/auto-optank", paths: ["/indbetal/auto-optank"], label: () => t().autoTopUp },
    { href: "/indbetal/graenser", paths: ["/indbetal/graenser"], label: () => t().payerTab },
  ];
  return (
    <nav class="tabs" aria-label={t().deposit}>
      <For each={tabs}>
        {(tab) => {
          const selected = () => tab.paths.includes(location.pathname.replace(/\/+$/, ""));
          return (
            <a href={tab.href} class={selected() ? "tab active" : "tab"} aria-current={selected() ? "page" : undefined}>
              {tab.label()}
            </a>
          );
        }}
      </For>
    </nav>
  );
}

/** Shared fields of both forms: account (preselected), receipt e-mail (prefilled), amount in whole kroner, terms. */
export function PaymentFields(props: {
  accountId: () => number | null;
  setAccountId: (id: number) => void;
  account: () => Account | undefined;
  email: () => string;
  setEmail: (value: string) => void;
  amount: () => string;
  setAmount: (value: string) => void;
  accepted: () => boolean;
  setAccepted: (value: boolean) => void;
  errors: () => Record<string, string>;
  amountLabel: string;
  showTerms?: boolean;
  /** Limit the choice to the user's own accounts. */
  ownOnly?: boolean;
}): JSX.Element {
  const error = (key: string) => <Show when={props.errors()[key]}><p role="alert" class="error">{localise(props.errors()[key]!)}</p></Show>;
  return (
    <>
      {/* The guide's "Konto for indbetaling" reads "Navn - Madkort - kortnummer"; a child's card names the child. */}
      <AccountSelect
        id="payment-account"
        label={t().depositAccount}
        value={props.accountId()}
        onChange={props.setAccountId}
        accounts={props.ownOnly ? session.accounts.filter((candidate) => !candidate.holder) : session.accounts}
        format={(candidate) => withCardNumber(candidate.holder ? accountLabel(candidate) : `${session.me()?.name ?? ""} - ${candidate.name}`, candidate)}
      />
      <Show when={props.account()}>{(shown) => <p>{t().balance}: <strong>{formatOre(shown().balanceOre)}</strong></p>}</Show>
      <label for="payment-email">{t().receiptEmail}</label>
      <input id="payment-email" type="email" autocomplete="email" value={props.email()} onInput={(event) => props.setEmail(event.currentTarget.value)} />
      {error("receiptEmail")}
      <label for="payment-amount">{props.amountLabel}</label>
      <input id="payment-amount" inputmode="numeric" aria-describedby="payment-amount-limits" value={props.amount()} onInput={(event) => props.setAmount(event.currentTarget.value)} />
      <p id="payment-amount-limits" class="hint">{t().depositLimits(formatOre(DEPOSIT_ORE_MIN), formatOre(DEPOSIT_ORE_MAX))}</p>
      {error("amountOre")}
      <p class="hint">{t().cardsAccepted}</p>
      <Show when={props.showTerms !== false}>
        <label class="checkbox">
          <input type="checkbox" checked={props.accepted()} onChange={(event) => props.setAccepted(event.currentTarget.checked)} />
          {t().acceptTerms}
        </label>
        {error("acceptedTerms")}
      </Show>
    </>
  );
}

/** The form of Indbetal and Auto-optank; both work on a child's card too (a guardian pays with their own card). */
export function usePaymentForm(ownOnly = false) {
  onMount(() => {
    if (session.accounts.length === 0) void session.loadAccounts();
  });
  // Starts on the card whose Indbetal button was pressed on Konti (a guardian's child card), else the first.
  const chosen = useChosenAccount(() => (ownOnly ? session.accounts.filter((candidate) => !candidate.holder) : session.accounts));
  const accountId = chosen.accountId;
  const setAccountId = chosen.setAccountId;
  const [email, setEmail] = createSignal(session.me()?.email ?? "");
  const [amount, setAmount] = createSignal("");
  const [accepted, setAccepted] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  /** The error shown under the form: the server's own words for "too many payments in progress", else a general one. */
  const [failed, setFailed] = createSignal<string | null>(null);
  // One key per request: a double-clicked "Næste" starts one payment, and an edited form after an error a new one.
  const keys = createIdempotencyKeys();
  /** The typed amount in øre (the one kroner parser), or null for text that is not an amount. */
  const amountOre = () => parseKroner(amount());
  async function submit(start: (input: { accountId: number; amountOre: number; receiptEmail: string; acceptedTerms: true; idempotencyKey: string }) => Promise<{ redirectUrl: string }>) {
    setErrors({});
    setFailed(null);
    const clientErrors: Record<string, string> = {};
    const typedOre = amountOre();
    const amountIssue = typedOre === null ? undefined : depositAmountOreSchema.safeParse(typedOre).error?.issues[0]?.message;
    if (typedOre === null) clientErrors.amountOre = "Beløbet skal være i hele kroner / The amount must be whole kroner";
    else if (amountIssue) clientErrors.amountOre = amountIssue;
    if (!accepted()) clientErrors.acceptedTerms = "Betalingsbetingelserne skal accepteres / The payment terms must be accepted";
    if (Object.keys(clientErrors).length > 0) return setErrors(clientErrors);
    setBusy(true);
    try {
      const request = { accountId: accountId()!, amountOre: typedOre!, receiptEmail: email().trim(), acceptedTerms: true as const };
      const { redirectUrl } = await start({ ...request, idempotencyKey: keys.keyFor(request) });
      window.location.assign(redirectUrl);
    } catch (caught) {
      if (session.endIfSignedOut(caught)) return;
      const issues = fieldIssues(caught);
      setErrors(issues);
      if (Object.keys(issues).length === 0) setFailed(errorCode(caught) === "TOO_MANY_REQUESTS" && caught instanceof Error ? localise(caught.message) : t().error);
      setBusy(false);
    }
  }
  return { accountId, setAccountId, account: chosen.account, email, setEmail, amount, setAmount, accepted, setAccepted, errors, busy, failed, submit, amountOre };
}
