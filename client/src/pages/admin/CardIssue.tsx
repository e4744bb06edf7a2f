// Kort → Udsted kort (one cardholder, with the card letter to print) and Importér klasseliste (a CSV, previewed first).
import { createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { localise } from "../../language.ts";
import { a } from "../../admin-i18n.ts";
import { Result, type Outcome, failureText, formKey } from "./shared.tsx";

/** Prints the card letter alone: the print stylesheet hides everything else while `print-letter` is set. */
function printLetter() {
  const root = document.documentElement;
  root.classList.add("print-letter");
  window.addEventListener("afterprint", () => root.classList.remove("print-letter"), { once: true });
  window.print();
}

export type IssuedCard = { cardNumber: string; verificationCode: string; name: string };

/** Issues one card; the letter with its code is shown (once) until the next card is issued or a card replaced. */
export function IssueCard(props: { issued: IssuedCard | null; onIssued: (card: IssuedCard) => void; onChanged: () => void }) {
  const [fields, setFields] = createSignal({ name: "", email: "", school: "", className: "", track: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const emptyFields = () => ({ name: "", email: "", school: "", className: "", track: "" });
  const [issuing, setIssuing] = createSignal(false);
  // Busy while the card is issued (a double click issues one card); the form is emptied for the next cardholder.
  const issueKey = formKey(fields);
  async function issue(event: SubmitEvent) {
    event.preventDefault();
    if (issuing()) return;
    setIssuing(true);
    try {
      const card = await trpc.backoffice.issueCard.mutate({ ...fields(), idempotencyKey: issueKey.key() });
      issueKey.next();
      props.onIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: fields().name });
      setResult(null);
      setFields(emptyFields());
      props.onChanged();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setIssuing(false);
    }
  }
  const field = (key: keyof ReturnType<typeof fields>, label: string) => (
    <>
      <label for={`issue-${key}`}>{label}</label>
      <input id={`issue-${key}`} value={fields()[key]} onInput={(event) => setFields({ ...fields(), [key]: event.currentTarget.value })} />
    </>
  );
  return (
    <>
      <form class="card-panel" onSubmit={issue} novalidate aria-label={a().issueCard}>
        <h3>{a().issueCard}</h3>
        {field("name", a().name)}
        {field("email", a().email)}
        {field("school", a().school)}
        {field("className", a().class)}
        {field("track", a().track)}
        <button type="submit" disabled={issuing()} aria-busy={issuing() ? "true" : undefined}>{issuing() ? a().saving : a().issueCard}</button>
      </form>
      <Result value={result()} />
      <Show when={props.issued}>
        {(card) => (
          <div class="card-letter" role="status" aria-label={a().cardLetterLabel}>
            <h3>{a().cardLetter(card().name)}</h3>
            <p>{a().username}: <strong data-testid="issued-card-number">{card().cardNumber}</strong></p>
            <p>{a().code}: <strong data-testid="issued-code">{card().verificationCode}</strong></p>
            <p class="hint">{a().codeOnce}</p>
            <button type="button" class="secondary" onClick={printLetter}>{a().printLetter}</button>
          </div>
        )}
      </Show>
    </>
  );
}

/** Importér klasseliste: a preview says what would be issued (or what is wrong, line by line); Importér issues them all. */
export function CardImport(props: { onImported: () => void }) {
  const [csv, setCsv] = createSignal("navn;e-mail;skole;klasse;spor\n");
  const [importResult, setImportResult] = createSignal<Awaited<ReturnType<typeof trpc.backoffice.importCards.mutate>> | null>(null);
  const [importError, setImportError] = createSignal<Outcome>(null);
  const importKey = formKey(csv);
  const [importing, setImporting] = createSignal(false);
  async function runImport(commit: boolean) {
    if (importing()) return;
    setImporting(true);
    try {
      setImportResult(await trpc.backoffice.importCards.mutate({ csv: csv(), commit, idempotencyKey: importKey.key() }));
      if (commit) importKey.next();
      setImportError(null);
    } catch (error) {
      setImportError({ ok: false, text: failureText(error) });
    } finally {
      setImporting(false);
    }
    if (commit) props.onImported();
  }
  return (
    <div class="card-panel">
      <h3>{a().importTitle}</h3>
      <label for="import-csv">{a().importLabel}</label>
      <textarea id="import-csv" rows="6" value={csv()} onInput={(event) => setCsv(event.currentTarget.value)} />
      <div class="actions">
        <button type="button" class="secondary" disabled={importing()} onClick={() => runImport(false)}>{a().preview}</button>
        <button type="button" disabled={importing()} aria-busy={importing() ? "true" : undefined} onClick={() => runImport(true)}>{a().import}</button>
      </div>
      <Result value={importError()} />
      <Show when={importResult()}>
        {(shown) => (
          <div role="status">
            <Show when={shown().errors.length > 0}>
              <ul class="error">
                <For each={shown().errors}>{(error) => <li>{a().line(error.line, localise(error.message))}</li>}</For>
              </ul>
              <p class="error">{a().nothingSaved}</p>
            </Show>
            <Show when={shown().ok && shown().issued.length === 0}><p>{a().readyToImport(shown().rows.length)}</p></Show>
            <Show when={shown().issued.length > 0}>
              <p class="success">{a().issued(shown().issued.length)}</p>
              <ul>
                <For each={shown().issued}>{(card) => <li>{card.name}: {card.cardNumber} / kode {card.verificationCode}</li>}</For>
              </ul>
            </Show>
          </div>
        )}
      </Show>
    </div>
  );
}
