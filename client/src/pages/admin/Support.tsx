// Support: cardholders' support cases, replies by e-mail and closing them.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { Result, type Outcome, attempt, ListState, rowsOf } from "./shared.tsx";

export function Support() {
  const [cases, { refetch }] = createResource(() => trpc.backoffice.supportCases.query());
  const [reply, setReply] = createSignal<Record<number, string>>({});
  const [results, setResults] = createSignal<Record<number, Outcome>>({});
  const show = (caseId: number) => (outcome: Outcome) => setResults({ ...results(), [caseId]: outcome });
  // The case being answered or closed: its buttons are busy until the answer, so a double click sends one reply.
  const [busyCase, setBusyCase] = createSignal<number | null>(null);
  async function busyWith(caseId: number, action: () => Promise<void>) {
    if (busyCase() !== null) return;
    setBusyCase(caseId);
    try {
      await action();
    } finally {
      setBusyCase(null);
    }
  }
  const send = (caseId: number) =>
    busyWith(caseId, async () => {
      if (await attempt(show(caseId), () => trpc.backoffice.replySupport.mutate({ caseId, message: reply()[caseId] ?? "" }), a().replySent)) setReply({ ...reply(), [caseId]: "" });
    });
  const close = (caseId: number) =>
    busyWith(caseId, async () => {
      if (await attempt(show(caseId), () => trpc.backoffice.closeSupport.mutate({ caseId }), a().caseClosed)) void refetch();
    });
  return (
    <section>
      <h2>{a().supportTitle}</h2>
      <ListState of={cases} empty={rowsOf(cases).length === 0} emptyText={a().noCases} />
      <For each={rowsOf(cases)}>
        {(supportCase) => (
          <article class="card-panel">
            <h3>{supportCase.caseNumber} – {supportCase.name} ({supportCase.status === "open" ? a().open : a().closed})</h3>
            <p>{supportCase.email} {supportCase.phone ?? ""} · {a().card} {supportCase.cardNumber} · {formatDateTime(supportCase.createdAt)}</p>
            <p>{supportCase.description}</p>
            <Show when={supportCase.status === "open"}>
              <label for={`reply-${supportCase.caseId}`}>{a().reply}</label>
              <textarea id={`reply-${supportCase.caseId}`} rows="3" value={reply()[supportCase.caseId] ?? ""} onInput={(event) => setReply({ ...reply(), [supportCase.caseId]: event.currentTarget.value })} />
              <div class="actions">
                <button type="button" disabled={busyCase() === supportCase.caseId} onClick={() => void send(supportCase.caseId)}>{a().sendReply}</button>
                <button type="button" class="secondary" disabled={busyCase() === supportCase.caseId} onClick={() => void close(supportCase.caseId)}>{a().closeCase}</button>
              </div>
            </Show>
            <Result value={results()[supportCase.caseId] ?? null} />
          </article>
        )}
      </For>
    </section>
  );
}
