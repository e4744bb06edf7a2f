// Konti: each account ("Madkort") with card number, live balance, status, its actions, and "Spær kort" with confirmation.
// A guardian also sees their children's accounts here, each labelled with the holder's name.
import { A } from "@solidjs/router";
import { createResource, createSignal, For, Match, onMount, Show, Switch } from "solid-js";
import { t } from "../i18n.ts";
import { session, type Account } from "../session.ts";
import { trpc } from "../trpc.ts";
import { formatOre } from "../format.ts";
import { accountLabel, accountTitle } from "../accounts.tsx";
import { ConfirmDialog } from "../components/ConfirmDialog.tsx";

function BlockDialog(props: { account: Account; onDone: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal(false);
  async function confirm() {
    setBusy(true);
    try {
      const updated = await trpc.accounts.block.mutate({ accountId: props.account.accountId });
      const index = session.accounts.findIndex((account) => account.accountId === updated.accountId);
      if (index >= 0) session.setAccounts(index, "status", updated.status);
      props.onDone();
    } catch (caught) {
      if (!session.endIfSignedOut(caught)) setError(true);
    } finally {
      setBusy(false);
    }
  }
  return (
    <ConfirmDialog
      role="dialog"
      title={t().blockCard}
      message={t().blockConfirm}
      confirmLabel={t().confirm}
      cancelLabel={t().cancel}
      danger
      busy={busy()}
      error={error() ? t().error : null}
      onCancel={() => props.onDone()}
      onConfirm={confirm}
    >
      <p>
        {t().cardNumber}: <strong>{props.account.cardNumber}</strong>
      </p>
    </ConfirmDialog>
  );
}

/**
 * The guide's line above the accounts: the cardholder's masked CPR number and the balance of their own accounts
 * (children's cards, for a guardian, are listed below with their own balances).
 */
function AccountsSummary() {
  // Without the profile the line just leaves the CPR number out; an ended session still signs the tab out.
  const [profile] = createResource(() =>
    trpc.profile.get.query().catch((error: unknown) => {
      session.endIfSignedOut(error);
      return null;
    }),
  );
  const ownBalanceOre = () => session.accounts.filter((account) => !account.holder).reduce((sum, account) => sum + account.balanceOre, 0);
  return (
    <Show when={session.accounts.length > 0}>
      <section class="summary" aria-labelledby="accounts-summary">
        <h2 id="accounts-summary" class="visually-hidden">{t().summary}</h2>
        <dl class="totals">
        <Show when={profile()?.cprMasked}>
          {(cpr) => (
            <>
              <dt>{t().cpr}</dt>
              <dd>{cpr()}</dd>
            </>
          )}
        </Show>
        <dt>{t().balance}</dt>
        <dd>{formatOre(ownBalanceOre())}</dd>
        </dl>
      </section>
    </Show>
  );
}

export function AccountsPage() {
  const [blocking, setBlocking] = createSignal<Account | null>(null);
  onMount(() => void session.loadAccounts());
  return (
    <section data-live={session.live() ? "true" : "false"}>
      <h1>{t().accountFor(session.me()?.name ?? "")}</h1>
      <AccountsSummary />
      <p class="hint">{t().live}</p>
      <Switch>
        <Match when={session.accountsState() === "loading" && session.accounts.length === 0}>
          <p role="status">{t().loading}</p>
        </Match>
        <Match when={session.accountsState() === "error"}>
          <p role="alert" class="error">{t().error}</p>
          <button type="button" onClick={() => session.loadAccounts()}>{t().retry}</button>
        </Match>
        <Match when={session.accountsState() === "ready" && session.accounts.length === 0}>
          <p>{t().noAccounts}</p>
        </Match>
        <Match when={session.accounts.length > 0}>
          <ul class="account-list">
            <For each={session.accounts}>
              {(account) => (
                <li class="account-card" data-testid={`account-${account.accountId}`}>
                  {/* The card number has its own line, so a child without a name is not named by it in the heading too. */}
                  <h2>{accountTitle(account)}</h2>
                  <dl>
                    <Show when={account.holder}>
                      {(holder) => (
                        <>
                          <dt>{t().holder}</dt>
                          <dd>{holder().name?.trim() || <em>{t().holderWithoutName}</em>}</dd>
                        </>
                      )}
                    </Show>
                    <dt>{t().cardNumber}</dt>
                    <dd>{account.cardNumber}</dd>
                    <dt>{t().balance}</dt>
                    <dd>
                      <output class={session.flashAccount() === account.accountId ? "balance flash" : "balance"} aria-live="polite" aria-label={`${t().balance} ${accountLabel(account)}`}>
                        {formatOre(account.balanceOre)}
                      </output>
                    </dd>
                    <dt>{t().status}</dt>
                    <dd class={account.status === "active" ? "status-active" : "status-blocked"}>{account.status === "active" ? t().active : t().blocked}</dd>
                  </dl>
                  <div class="actions">
                    {/* The actions name the card: a guardian acting on a child's card must not land on their own. */}
                    <A class="button-link" href={`/indbetal?konto=${account.accountId}`}>{t().deposit}</A>
                    <A class="button-link" href="/brugerinfo">{t().userDetails}</A>
                    {/* Overfør needs two accounts: with one it could only ever say so. */}
                    <Show when={session.accounts.length > 1}>
                      <A class="button-link" href={`/overfoer?konto=${account.accountId}`}>{t().transfer}</A>
                    </Show>
                    <A class="button-link" href={`/udbetal?konto=${account.accountId}`}>{t().payout}</A>
                    <Show when={account.status === "active"}>
                      <button type="button" class="danger" onClick={() => setBlocking(account)}>{t().blockCard}</button>
                    </Show>
                  </div>
                </li>
              )}
            </For>
          </ul>
        </Match>
      </Switch>
      <Show when={blocking()}>{(account) => <BlockDialog account={account()} onDone={() => setBlocking(null)} />}</Show>
    </section>
  );
}
