// Kort: search cardholders, block/replace cards, school/class, guardians, issue cards and import class lists.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { localise } from "../../i18n.ts";
import { a } from "../../admin-i18n.ts";
import { type Me, Result, type Outcome, failureText, attempt, ListState, rowsOf, setSection, setCorrectionTarget, formKey } from "./shared.tsx";

/** Prints the card letter alone: the print stylesheet hides everything else while `print-letter` is set. */
function printLetter() {
  const root = document.documentElement;
  root.classList.add("print-letter");
  window.addEventListener("afterprint", () => root.classList.remove("print-letter"), { once: true });
  window.print();
}

export function Cards(props: { me: Me }) {
  const [query, setQuery] = createSignal("");
  const [results, { refetch }] = createResource(query, (value) => trpc.backoffice.searchCards.query({ query: value }));
  const [fields, setFields] = createSignal({ name: "", email: "", school: "", className: "", track: "" });
  const [issued, setIssued] = createSignal<{ cardNumber: string; verificationCode: string; name: string } | null>(null);
  const [result, setResult] = createSignal<Outcome>(null);
  const [rowResult, setRowResult] = createSignal<Outcome>(null);
  const [csv, setCsv] = createSignal("navn;e-mail;skole;klasse;spor\n");
  const [importResult, setImportResult] = createSignal<Awaited<ReturnType<typeof trpc.backoffice.importCards.mutate>> | null>(null);
  const [importError, setImportError] = createSignal<Outcome>(null);
  const issueKey = formKey(fields);
  const importKey = formKey(csv);
  const replaceKeys = new Map<number, string>();
  async function issue(event: SubmitEvent) {
    event.preventDefault();
    try {
      const card = await trpc.backoffice.issueCard.mutate({ ...fields(), idempotencyKey: issueKey.key() });
      issueKey.next();
      setIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: fields().name });
      setResult(null);
      void refetch();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    }
  }
  async function status(cardId: number, next: "active" | "blocked") {
    await attempt(setRowResult, () => trpc.backoffice.setCardStatus.mutate({ cardId, status: next }), a().statusChanged(next === "blocked"));
    void refetch();
  }
  async function replace(cardId: number, name: string | null) {
    if (!window.confirm(a().replaceConfirm)) return;
    try {
      if (!replaceKeys.has(cardId)) replaceKeys.set(cardId, crypto.randomUUID());
      const card = await trpc.backoffice.replaceCard.mutate({ cardId, idempotencyKey: replaceKeys.get(cardId)! });
      setIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: name ?? "" });
      setRowResult(null);
    } catch (error) {
      setRowResult({ ok: false, text: failureText(error) });
    }
    void refetch();
  }
  async function schooling(row: { userId: number; school: string | null; className: string | null; track: string | null }) {
    const answer = window.prompt(a().schoolingPrompt, [row.school, row.className, row.track].map((value) => value ?? "").join("; "));
    if (answer === null) return;
    const [school, className, track] = answer.split(";").map((value) => value.trim() || null);
    await attempt(setRowResult, () => trpc.backoffice.setSchooling.mutate({ userId: row.userId, school: school ?? null, className: className ?? null, track: track ?? null }), a().schoolingSaved);
    void refetch();
  }
  async function addGuardian(row: { userId: number; name: string | null; cardNumber: string }) {
    const answer = window.prompt(a().guardianPrompt(row.name ?? row.cardNumber));
    if (answer === null || !answer.trim()) return;
    await attempt(setRowResult, () => trpc.backoffice.linkGuardian.mutate({ userId: row.userId, guardianCardNumber: answer.replace(/\s/g, "") }), a().guardianLinked);
    void refetch();
  }
  async function removeGuardian(row: { userId: number; name: string | null; cardNumber: string }, guardian: { userId: number; name: string | null; cardNumber: string | null }) {
    if (!window.confirm(a().removeGuardianConfirm(guardian.name ?? guardian.cardNumber ?? "", row.name ?? row.cardNumber))) return;
    await attempt(setRowResult, () => trpc.backoffice.unlinkGuardian.mutate({ userId: row.userId, guardianUserId: guardian.userId }), a().guardianRemoved);
    void refetch();
  }
  function correct(row: { accountId: number; name: string | null; cardNumber: string }) {
    setCorrectionTarget({ accountId: row.accountId, name: row.name ?? row.cardNumber, cardNumber: row.cardNumber });
    setSection("correction");
  }
  async function runImport(commit: boolean) {
    try {
      setImportResult(await trpc.backoffice.importCards.mutate({ csv: csv(), commit, idempotencyKey: importKey.key() }));
      if (commit) importKey.next();
      setImportError(null);
    } catch (error) {
      setImportError({ ok: false, text: failureText(error) });
    }
    if (commit) void refetch();
  }
  const field = (key: keyof ReturnType<typeof fields>, label: string) => (
    <>
      <label for={`issue-${key}`}>{label}</label>
      <input id={`issue-${key}`} value={fields()[key]} onInput={(event) => setFields({ ...fields(), [key]: event.currentTarget.value })} />
    </>
  );
  return (
    <section>
      <h2>{a().cardsTitle}</h2>
      <label for="card-search">{a().search}</label>
      <input id="card-search" type="search" value={query()} onInput={(event) => setQuery(event.currentTarget.value)} />
      <Result value={rowResult()} />
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">{a().name}</th><th scope="col">{a().cardNumber}</th><th scope="col">{a().class}</th><th scope="col" class="number">{a().balance}</th><th scope="col">{a().status}</th><th scope="col">{a().guardians}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={rowsOf(results)}>
              {(row) => (
                <tr>
                  <td>{row.name ?? "–"}</td>
                  <td>{row.cardNumber}</td>
                  <td>{[row.school, row.className, row.track].filter(Boolean).join(" / ")}</td>
                  <td class="number">{formatOre(row.balanceOre)}</td>
                  <td>{row.status === "active" ? a().active : a().blocked}</td>
                  <td>
                    <ul class="guardians">
                      <For each={row.guardians}>
                        {(guardian) => (
                          <li>
                            {guardian.name ?? "–"} ({guardian.cardNumber ?? "–"}){" "}
                            <Show when={props.me.role === "admin"}>
                              <button type="button" class="secondary" aria-label={a().removeGuardianLabel(guardian.name ?? guardian.cardNumber ?? "", row.name ?? row.cardNumber)} onClick={() => removeGuardian(row, guardian)}>
                                ×
                              </button>
                            </Show>
                          </li>
                        )}
                      </For>
                    </ul>
                    {/* Guardians may move the cardholder's money: administrators only (separation of duties). */}
                    <Show when={props.me.role === "admin"}>
                      <button type="button" class="secondary" aria-label={a().addGuardianLabel(row.name ?? row.cardNumber)} onClick={() => addGuardian(row)}>{a().addGuardian}</button>
                    </Show>
                  </td>
                  <td class="actions">
                    <button type="button" class="secondary" onClick={() => status(row.cardId, row.status === "active" ? "blocked" : "active")}>{row.status === "active" ? a().block : a().unblock}</button>
                    <button type="button" class="secondary" onClick={() => replace(row.cardId, row.name)}>{a().replaceCard}</button>
                    <button type="button" class="secondary" onClick={() => schooling(row)}>{a().schooling}</button>
                    <Show when={props.me.role === "admin"}>
                      <button type="button" class="secondary" onClick={() => correct(row)} aria-label={a().correctLabel(row.name ?? row.cardNumber)}>{a().correct}</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <ListState of={results} empty={rowsOf(results).length === 0} emptyText={a().noCards} />
      <form class="card-panel" onSubmit={issue} novalidate aria-label={a().issueCard}>
        <h3>{a().issueCard}</h3>
        {field("name", a().name)}
        {field("email", a().email)}
        {field("school", a().school)}
        {field("className", a().class)}
        {field("track", a().track)}
        <button type="submit">{a().issueCard}</button>
      </form>
      <Result value={result()} />
      <Show when={issued()}>
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
      <div class="card-panel">
        <h3>{a().importTitle}</h3>
        <label for="import-csv">{a().importLabel}</label>
        <textarea id="import-csv" rows="6" value={csv()} onInput={(event) => setCsv(event.currentTarget.value)} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => runImport(false)}>{a().preview}</button>
          <button type="button" onClick={() => runImport(true)}>{a().import}</button>
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
    </section>
  );
}
