// How the portal names and picks accounts: one label, one picker, and the chosen account (preset by Konti's ?konto=).
import { useSearchParams } from "@solidjs/router";
import { createSignal, For } from "solid-js";
import { t } from "./i18n.ts";
import { session, type Account } from "./session.ts";
import { formatOre } from "./format.ts";

/**
 * How an account is named wherever the portal lists accounts: the user's own by its name ("Madkort"), one held as
 * guardian with the holder's name too ("Madkort – Emil Hansen"), or the card number before the holder has a name.
 */
export function accountLabel(account: Account): string {
  if (!account.holder) return account.name;
  return t().accountOfHolder(account.name, account.holder.name?.trim() || account.cardNumber);
}

/**
 * The label with the card number, as pickers show it ("Madkort - 12345678901234"), but the number only once: a child
 * without a name is already labelled by it ("Madkort – 12345678901235", never "… – 12345678901235 - 12345678901235").
 */
export function withCardNumber(label: string, account: Account): string {
  return label.includes(account.cardNumber) ? label : `${label} - ${account.cardNumber}`;
}

/** A card's heading on Konti, where the card number has its own line: the holder's name, or just the account's name. */
export function accountTitle(account: Account): string {
  const name = account.holder?.name?.trim();
  return account.holder && name ? t().accountOfHolder(account.name, name) : account.name;
}

/** The person an account belongs to: the child for a guardian's child card, else the signed-in user. */
export function accountHolderName(account: Account | undefined): string {
  if (account?.holder) return account.holder.name?.trim() || account.cardNumber;
  return session.me()?.name ?? "";
}

/**
 * The account a page acts on. Konti's buttons name it (`?konto=<accountId>`), so a guardian's action on a child's card
 * starts on that card, never on the guardian's own; without it (or if it is not among the choices) the first choice.
 */
export function useChosenAccount(choices: () => Account[] = () => session.accounts) {
  const [params] = useSearchParams();
  const fromUrl = Number(params.konto);
  const [chosen, setChosen] = createSignal<number | null>(typeof params.konto === "string" && Number.isSafeInteger(fromUrl) ? fromUrl : null);
  const account = () => choices().find((candidate) => candidate.accountId === chosen()) ?? choices()[0];
  return { account, accountId: () => account()?.accountId ?? null, setAccountId: (id: number) => setChosen(id) };
}

/** The account picker: the label and a select showing exactly the account the page will use. */
export function AccountSelect(props: {
  id: string;
  label: string;
  value: number | null;
  onChange: (accountId: number) => void;
  accounts?: Account[];
  withBalance?: boolean;
  /** The option text; the default is "label - card number". */
  format?: (account: Account) => string;
}) {
  const text = (account: Account) => (props.format ? props.format(account) : withCardNumber(accountLabel(account), account)) + (props.withBalance ? ` (${formatOre(account.balanceOre)})` : "");
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <select id={props.id} onChange={(event) => props.onChange(Number(event.currentTarget.value))}>
        <For each={props.accounts ?? session.accounts}>
          {(account) => (
            <option value={account.accountId} selected={account.accountId === props.value}>
              {text(account)}
            </option>
          )}
        </For>
      </select>
    </>
  );
}
