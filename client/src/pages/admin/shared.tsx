// What every back-office section shares: the signed-in staff member's type, outcome lines, list states and the open section.
import { createSignal, For, Match, Show, Switch, type Resource } from "solid-js";
import { errorCode, fieldIssues, trpc } from "../../trpc.ts";
import { localise } from "../../language.ts";
import { a } from "../../admin-i18n.ts";

export type Me = Awaited<ReturnType<typeof trpc.backoffice.me.query>>;

export function Result(props: { value: { ok: boolean; text: string } | null }) {
  return <Show when={props.value}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>;
}

export type Outcome = { ok: boolean; text: string } | null;

/**
 * What to tell staff when an action fails: the fields at fault, or the server's reason (messages of expected refusals
 * read "code: Dansk / English"), or a general line. Never silence: a button that does nothing looks like it worked.
 */
export function failureText(error: unknown): string {
  const issues = Object.values(fieldIssues(error)).map(localise).join(" ");
  if (issues) return issues;
  if (error instanceof Error && /^[a-z_]+: /.test(error.message)) return localise(error.message.replace(/^[a-z_]+: /, ""));
  if (errorCode(error) === "NOT_FOUND") return a().notFound;
  return a().somethingWrong;
}

/** Runs one staff action and reports its outcome in `show`; answers whether it succeeded. */
export async function attempt(show: (outcome: Outcome) => void, action: () => Promise<unknown>, success: string): Promise<boolean> {
  try {
    await action();
    show({ ok: true, text: success });
    return true;
  } catch (error) {
    show({ ok: false, text: failureText(error) });
    return false;
  }
}

/**
 * The key of one form fill for the back office's idempotent creates (the server returns the first answer to a repeat):
 * it stays the same while the submitted values stay the same, so a double click or a retry after a lost answer creates
 * once, and changes when the values change or after a success (`next`).
 */
export function formKey(values: () => unknown) {
  let key = crypto.randomUUID();
  let last: string | null = null;
  return {
    key(): string {
      const current = JSON.stringify(values());
      if (last !== null && current !== last) key = crypto.randomUUID();
      last = current;
      return key;
    },
    next(): void {
      key = crypto.randomUUID();
      last = null;
    },
  };
}

/** A list's loading, failure and empty states. */
export function ListState(props: { of: Resource<unknown>; empty: boolean; emptyText: string }) {
  return (
    <Switch>
      <Match when={props.of.error}><p role="alert" class="error">{a().loadFailed}</p></Match>
      <Match when={props.of.loading}><p role="status" class="hint">{a().loading}</p></Match>
      <Match when={props.empty}><p class="hint">{props.emptyText}</p></Match>
    </Switch>
  );
}

/** A resource's rows, or none while it loads or after it failed (reading a failed resource would throw). */
export function rowsOf<T>(resource: Resource<T[]>): T[] {
  return resource.error ? [] : (resource() ?? []);
}

/**
 * The canteen the back office works on (a school may have several): tills, kitchen screens, the catalogue and the menus
 * are made for the chosen one. Null until chosen: the first canteen then.
 */
const [chosenCanteen, setChosenCanteen] = createSignal<number | null>(null);
/** Canteens created in this session (Opret kantine), until the next sign-in reads them with the rest. */
const [addedCanteens, setAddedCanteens] = createSignal<Me["canteens"]>([]);
export { setChosenCanteen };
export function allCanteens(me: Me): Me["canteens"] {
  return [...me.canteens, ...addedCanteens().filter((added) => !me.canteens.some((canteen) => canteen.canteenId === added.canteenId))];
}
/** A new canteen joins the choices and becomes the chosen one. */
export function addCanteen(canteen: Me["canteens"][number]): void {
  setAddedCanteens([...addedCanteens(), canteen]);
  setChosenCanteen(canteen.canteenId);
}
export function forgetCanteens(): void {
  setChosenCanteen(null);
  setAddedCanteens([]);
}
export function canteenOf(me: Me): Me["canteens"][number] {
  const canteens = allCanteens(me);
  return canteens.find((canteen) => canteen.canteenId === chosenCanteen()) ?? canteens[0]!;
}

/** "Kantine": a choice when the school has several canteens, else just its name. */
export function CanteenPicker(props: { me: Me; id: string }) {
  return (
    <Show when={allCanteens(props.me).length > 1} fallback={<p class="canteen-name">{a().canteen}: <strong>{canteenOf(props.me).name}</strong></p>}>
      <div class="canteen-picker">
        <label for={props.id}>{a().canteen}</label>
        <select id={props.id} value={canteenOf(props.me).canteenId} onChange={(event) => setChosenCanteen(Number(event.currentTarget.value))}>
          <For each={allCanteens(props.me)}>{(canteen) => <option value={canteen.canteenId}>{canteen.name}</option>}</For>
        </select>
      </div>
    </Show>
  );
}

/** Which section is open, and the cardholder a correction is for: set from a row in Kort, read by Korrektion. */
export const [section, setSection] = createSignal("cards");
export const [correctionTarget, setCorrectionTarget] = createSignal<{ accountId: number; name: string; cardNumber: string } | null>(null);
