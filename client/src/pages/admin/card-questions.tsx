// Kort → the questions a row asks before it acts (block, replace, school/class, add or remove a guardian), one open at a
// time in an in-app dialog: busy while the answer is on its way, a failure shown inside it so staff can correct a field.
import { createSignal, Match, Show, Switch } from "solid-js";
import { ConfirmDialog } from "../../components/ConfirmDialog.tsx";
import { trpc } from "../../trpc.ts";
import { a } from "../../admin-i18n.ts";
import { type Outcome, failureText } from "./shared.tsx";

export type Row = Awaited<ReturnType<typeof trpc.backoffice.searchCards.query>>[number];
export type Guardian = Row["guardians"][number];
/** The one question open at a time: each action on a row asks in an in-app dialog, never the browser's prompt(). */
export type Question =
  | { kind: "status"; row: Row; next: "active" | "blocked" }
  | { kind: "replace"; row: Row }
  | { kind: "schooling"; row: Row }
  | { kind: "guardian"; row: Row }
  | { kind: "removeGuardian"; row: Row; guardian: Guardian };

export const holderName = (row: { name: string | null; cardNumber: string }) => row.name?.trim() || row.cardNumber;

type ReplacedCard = Awaited<ReturnType<typeof trpc.backoffice.replaceCard.mutate>>;

export function useCardQuestions(options: { refetch: () => void; setRowResult: (outcome: Outcome) => void; onReplaced: (card: ReplacedCard, row: Row) => void }) {
  // One key per card being replaced: a double click or a retry replaces it once and shows the same new card.
  const replaceKeys = new Map<number, string>();
  // The open dialog, its fields, and its state: busy while the answer is on its way (so it cannot be sent twice),
  // and a failure shown inside the dialog, so staff can correct a field and try again without starting over.
  const [question, setQuestion] = createSignal<Question | null>(null);
  const [dialogBusy, setDialogBusy] = createSignal(false);
  const [dialogError, setDialogError] = createSignal<string | null>(null);
  const [schoolingFields, setSchoolingFields] = createSignal({ school: "", className: "", track: "" });
  const [guardianCard, setGuardianCard] = createSignal("");
  function ask(next: Question) {
    setDialogError(null);
    setDialogBusy(false);
    if (next.kind === "schooling") setSchoolingFields({ school: next.row.school ?? "", className: next.row.className ?? "", track: next.row.track ?? "" });
    if (next.kind === "guardian") setGuardianCard("");
    setQuestion(next);
  }
  const close = () => setQuestion(null);
  /** Runs the dialog's action; on success the dialog closes and the row's outcome is shown, on failure it stays open. */
  async function answer(action: () => Promise<unknown>, success: string) {
    if (dialogBusy()) return;
    setDialogBusy(true);
    setDialogError(null);
    try {
      await action();
      options.setRowResult({ ok: true, text: success });
      close();
    } catch (error) {
      setDialogError(failureText(error));
    } finally {
      setDialogBusy(false);
      options.refetch();
    }
  }
  async function replace(row: Row) {
    if (dialogBusy()) return;
    setDialogBusy(true);
    setDialogError(null);
    try {
      if (!replaceKeys.has(row.cardId)) replaceKeys.set(row.cardId, crypto.randomUUID());
      const card = await trpc.backoffice.replaceCard.mutate({ cardId: row.cardId, idempotencyKey: replaceKeys.get(row.cardId)! });
      replaceKeys.delete(row.cardId);
      options.onReplaced(card, row);
      options.setRowResult({ ok: true, text: card.delivery === "letter" ? a().cardReplacedLetter : a().cardReplacedEmail });
      close();
    } catch (error) {
      setDialogError(failureText(error));
    } finally {
      setDialogBusy(false);
      options.refetch();
    }
  }
  return { question, ask, close, answer, replace, busy: dialogBusy, error: dialogError, setError: setDialogError, schoolingFields, setSchoolingFields, guardianCard, setGuardianCard };
}

export type CardQuestions = ReturnType<typeof useCardQuestions>;

export function CardDialogs(props: { questions: CardQuestions }) {
  const q = props.questions;
  return (
    <Show when={q.question()}>
      {(open) => (
        <Switch>
          <Match when={open().kind === "status" && (open() as Extract<Question, { kind: "status" }>)}>
            {(shown) => (
              <ConfirmDialog
                title={shown().next === "blocked" ? a().blockTitle : a().unblockTitle}
                message={shown().next === "blocked" ? a().blockConfirm(holderName(shown().row), shown().row.cardNumber) : a().unblockConfirm(holderName(shown().row), shown().row.cardNumber)}
                confirmLabel={shown().next === "blocked" ? a().blockTitle : a().unblockTitle}
                danger={shown().next === "blocked"}
                busy={q.busy()}
                error={q.error()}
                onCancel={q.close}
                onConfirm={() => void q.answer(() => trpc.backoffice.setCardStatus.mutate({ cardId: shown().row.cardId, status: shown().next }), a().statusChanged(shown().next === "blocked"))}
              />
            )}
          </Match>
          <Match when={open().kind === "replace" && (open() as Extract<Question, { kind: "replace" }>)}>
            {(shown) => (
              <ConfirmDialog
                title={a().replaceCard}
                message={a().replaceConfirmFor(holderName(shown().row), shown().row.cardNumber)}
                confirmLabel={a().replaceCard}
                danger
                busy={q.busy()}
                error={q.error()}
                onCancel={q.close}
                onConfirm={() => void q.replace(shown().row)}
              />
            )}
          </Match>
          <Match when={open().kind === "schooling" && (open() as Extract<Question, { kind: "schooling" }>)}>
            {(shown) => (
              <ConfirmDialog
                role="dialog"
                form
                title={a().schoolingTitle(holderName(shown().row))}
                confirmLabel={a().save}
                busy={q.busy()}
                error={q.error()}
                onCancel={q.close}
                onConfirm={() => {
                  const value = (text: string) => text.trim() || null;
                  const fields = q.schoolingFields();
                  void q.answer(() => trpc.backoffice.setSchooling.mutate({ userId: shown().row.userId, school: value(fields.school), className: value(fields.className), track: value(fields.track) }), a().schoolingSaved);
                }}
              >
                <div class="dialog-fields">
                  <label for="schooling-school">{a().school}</label>
                  <input id="schooling-school" value={q.schoolingFields().school} onInput={(event) => q.setSchoolingFields({ ...q.schoolingFields(), school: event.currentTarget.value })} />
                  <label for="schooling-class">{a().class}</label>
                  <input id="schooling-class" value={q.schoolingFields().className} onInput={(event) => q.setSchoolingFields({ ...q.schoolingFields(), className: event.currentTarget.value })} />
                  <label for="schooling-track">{a().track}</label>
                  <input id="schooling-track" value={q.schoolingFields().track} onInput={(event) => q.setSchoolingFields({ ...q.schoolingFields(), track: event.currentTarget.value })} />
                </div>
              </ConfirmDialog>
            )}
          </Match>
          <Match when={open().kind === "guardian" && (open() as Extract<Question, { kind: "guardian" }>)}>
            {(shown) => (
              <ConfirmDialog
                role="dialog"
                form
                title={a().addGuardianLabel(holderName(shown().row))}
                message={a().guardianPrompt(holderName(shown().row))}
                confirmLabel={a().addGuardian}
                busy={q.busy()}
                error={q.error()}
                onCancel={q.close}
                onConfirm={() => {
                  const cardNumber = q.guardianCard().replace(/\s/g, "");
                  if (!/^\d{6,20}$/.test(cardNumber)) return q.setError(a().guardianCardInvalid);
                  void q.answer(() => trpc.backoffice.linkGuardian.mutate({ userId: shown().row.userId, guardianCardNumber: cardNumber }), a().guardianLinked);
                }}
              >
                <div class="dialog-fields">
                  <label for="guardian-card">{a().guardianCardNumber}</label>
                  <input id="guardian-card" inputmode="numeric" autocomplete="off" value={q.guardianCard()} onInput={(event) => q.setGuardianCard(event.currentTarget.value)} />
                </div>
              </ConfirmDialog>
            )}
          </Match>
          <Match when={open().kind === "removeGuardian" && (open() as Extract<Question, { kind: "removeGuardian" }>)}>
            {(shown) => (
              <ConfirmDialog
                title={a().removeGuardianTitle}
                message={a().removeGuardianConfirm(shown().guardian.name ?? shown().guardian.cardNumber ?? "", holderName(shown().row))}
                confirmLabel={a().removeGuardianTitle}
                danger
                busy={q.busy()}
                error={q.error()}
                onCancel={q.close}
                onConfirm={() => void q.answer(() => trpc.backoffice.unlinkGuardian.mutate({ userId: shown().row.userId, guardianUserId: shown().guardian.userId }), a().guardianRemoved)}
              />
            )}
          </Match>
        </Switch>
      )}
    </Show>
  );
}
