// Kort: search cardholders, block/replace cards, school/class, guardians, issue cards and import class lists.
import { createResource, createSignal, For, Match, Show, Switch } from "solid-js";
import { ConfirmDialog } from "../../components/ConfirmDialog.tsx";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { localise } from "../../language.ts";
import { a } from "../../admin-i18n.ts";
import { type Me, Result, type Outcome, failureText, ListState, rowsOf, setSection, setCorrectionTarget, formKey } from "./shared.tsx";

/** Prints the card letter alone: the print stylesheet hides everything else while `print-letter` is set. */
function printLetter() {
  const root = document.documentElement;
  root.classList.add("print-letter");
  window.addEventListener("afterprint", () => root.classList.remove("print-letter"), { once: true });
  window.print();
}

type Row = Awaited<ReturnType<typeof trpc.backoffice.searchCards.query>>[number];
type Guardian = Row["guardians"][number];
/** The one question open at a time: each action on a row asks in an in-app dialog, never the browser's prompt(). */
type Question =
  | { kind: "status"; row: Row; next: "active" | "blocked" }
  | { kind: "replace"; row: Row }
  | { kind: "schooling"; row: Row }
  | { kind: "guardian"; row: Row }
  | { kind: "removeGuardian"; row: Row; guardian: Guardian };

const CARD_PAGE = 50;
const holderName = (row: { name: string | null; cardNumber: string }) => row.name?.trim() || row.cardNumber;

export function Cards(props: { me: Me }) {
  const [query, setQuery] = createSignal("");
  // Paged: 50 rows at a time, with how many match in all, so a school of 600 pupils can be browsed to the end.
  const [pageIndex, setPageIndex] = createSignal(0);
  const [results, { refetch: refetchRows }] = createResource(
    () => ({ query: query(), offset: pageIndex() * CARD_PAGE }),
    (input) => trpc.backoffice.searchCards.query({ ...input, limit: CARD_PAGE }),
  );
  const [count, { refetch: refetchCount }] = createResource(query, (value) => trpc.backoffice.countCards.query({ query: value }));
  const refetch = () => {
    void refetchRows();
    void refetchCount();
  };
  const total = () => (count.error ? null : (count()?.total ?? null));
  // Past 1,000 matches the server stops counting (issue 27): "af mere end 1.000", and Næste while a page comes back full.
  const capped = () => !count.error && count()?.capped === true;
  const pages = () => Math.max(1, Math.ceil((total() ?? 0) / CARD_PAGE));
  const shownTo = () => (capped() ? pageIndex() * CARD_PAGE + rowsOf(results).length : Math.min(total()!, (pageIndex() + 1) * CARD_PAGE));
  const hasNext = () => (capped() ? rowsOf(results).length === CARD_PAGE : pageIndex() + 1 < pages());
  const search = (value: string) => {
    setQuery(value);
    setPageIndex(0);
  };
  const [fields, setFields] = createSignal({ name: "", email: "", school: "", className: "", track: "" });
  const [issued, setIssued] = createSignal<{ cardNumber: string; verificationCode: string; name: string } | null>(null);
  const [result, setResult] = createSignal<Outcome>(null);
  const [rowResult, setRowResult] = createSignal<Outcome>(null);
  const [csv, setCsv] = createSignal("navn;e-mail;skole;klasse;spor\n");
  const [importResult, setImportResult] = createSignal<Awaited<ReturnType<typeof trpc.backoffice.importCards.mutate>> | null>(null);
  const [importError, setImportError] = createSignal<Outcome>(null);
  const emptyFields = () => ({ name: "", email: "", school: "", className: "", track: "" });
  const [issuing, setIssuing] = createSignal(false);
  // Busy while the card is issued (a double click issues one card); the form is emptied for the next cardholder.
  const issueKey = formKey(fields);
  const importKey = formKey(csv);
  // One key per card being replaced: a double click or a retry replaces it once and shows the same new card.
  const replaceKeys = new Map<number, string>();
  async function issue(event: SubmitEvent) {
    event.preventDefault();
    if (issuing()) return;
    setIssuing(true);
    try {
      const card = await trpc.backoffice.issueCard.mutate({ ...fields(), idempotencyKey: issueKey.key() });
      issueKey.next();
      setIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: fields().name });
      setResult(null);
      setFields(emptyFields());
      void refetch();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setIssuing(false);
    }
  }
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
      setRowResult({ ok: true, text: success });
      close();
    } catch (error) {
      setDialogError(failureText(error));
    } finally {
      setDialogBusy(false);
      void refetch();
    }
  }
  // A replacement's code never comes back here (staff who saw it could sign in as the holder): the answer says whether
  // it went by e-mail or waits for "Udskriv brev", and only the printed letter holds it.
  const [letterFor, setLetterFor] = createSignal<{ cardId: number; name: string } | null>(null);
  async function replace(row: Row) {
    if (dialogBusy()) return;
    setDialogBusy(true);
    setDialogError(null);
    try {
      if (!replaceKeys.has(row.cardId)) replaceKeys.set(row.cardId, crypto.randomUUID());
      const card = await trpc.backoffice.replaceCard.mutate({ cardId: row.cardId, idempotencyKey: replaceKeys.get(row.cardId)! });
      replaceKeys.delete(row.cardId);
      setIssued(null);
      setLetterFor(card.delivery === "letter" ? { cardId: card.cardId, name: holderName({ name: row.name, cardNumber: card.cardNumber }) } : null);
      setRowResult({ ok: true, text: card.delivery === "letter" ? a().cardReplacedLetter : a().cardReplacedEmail });
      close();
    } catch (error) {
      setDialogError(failureText(error));
    } finally {
      setDialogBusy(false);
      void refetch();
    }
  }
  // "Udskriv brev": the server makes the letter (and its code) as an audited action; it opens in its own window to print,
  // never on this page. The window is opened within the click, so a pop-up blocker lets it through.
  const [printing, setPrinting] = createSignal(false);
  async function printHolderLetter(cardId: number) {
    if (printing()) return;
    const win = window.open("", "_blank");
    if (!win) return setRowResult({ ok: false, text: a().holderLetterPopup });
    setPrinting(true);
    try {
      const letter = await trpc.backoffice.printCardLetter.mutate({ cardId, idempotencyKey: crypto.randomUUID() });
      win.document.open();
      win.document.write(letter.html);
      win.document.close();
      win.focus();
      win.print();
      setRowResult({ ok: true, text: a().holderLetterPrinted });
      setLetterFor(null);
    } catch (error) {
      win.close();
      setRowResult({ ok: false, text: failureText(error) });
    } finally {
      setPrinting(false);
    }
  }
  function correct(row: { accountId: number; name: string | null; cardNumber: string }) {
    setCorrectionTarget({ accountId: row.accountId, name: row.name ?? row.cardNumber, cardNumber: row.cardNumber });
    setSection("correction");
  }
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
      <input id="card-search" type="search" value={query()} onInput={(event) => search(event.currentTarget.value)} />
      <Result value={rowResult()} />
      <Show when={letterFor()}>
        {(pending) => (
          <p>
            <button type="button" disabled={printing()} aria-busy={printing() ? "true" : undefined} aria-label={a().holderLetterLabel(pending().name)} onClick={() => void printHolderLetter(pending().cardId)}>{a().holderLetter}</button>
          </p>
        )}
      </Show>
      <div class="table-scroll">
        <table class="compact">
          <thead><tr><th scope="col">{a().name}</th><th scope="col">{a().cardNumber}</th><th scope="col">{a().class}</th><th scope="col" class="number">{a().balance}</th><th scope="col">{a().status}</th><th scope="col">{a().guardians}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={rowsOf(results)}>
              {(row) => (
                <tr>
                  <td>{row.name ?? "–"}</td>
                  <td>{row.cardNumber}</td>
                  <td>{[row.school, row.className, row.track].filter(Boolean).join(" / ")}</td>
                  <td class="number">{formatOre(row.balanceOre)}</td>
                  <td>{row.status === "active" ? a().active : row.blockedBy === "holder" || row.blockedBy === "guardian" ? a().blockedByHolder : a().blocked}</td>
                  <td>
                    <ul class="guardians">
                      <For each={row.guardians}>
                        {(guardian) => (
                          <li>
                            {guardian.name ?? "–"} ({guardian.cardNumber ?? "–"}){" "}
                            {/* Guardians may move the cardholder's money: administrators only (separation of duties). */}
                            <Show when={props.me.role === "admin"}>
                              <button type="button" class="secondary" aria-label={a().removeGuardianLabel(guardian.name ?? guardian.cardNumber ?? "", row.name ?? row.cardNumber)} onClick={() => ask({ kind: "removeGuardian", row, guardian })}>
                                ×
                              </button>
                            </Show>
                          </li>
                        )}
                      </For>
                    </ul>
                    {/* Guardians may move the cardholder's money: administrators only (separation of duties). */}
                    <Show when={props.me.role === "admin"}>
                      <button type="button" class="secondary" aria-label={a().addGuardianLabel(row.name ?? row.cardNumber)} onClick={() => ask({ kind: "guardian", row })}>{a().addGuardian}</button>
                    </Show>
                  </td>
                  <td class="actions">
                    <button type="button" class={row.status === "active" ? "danger" : "secondary"} aria-label={row.status === "active" ? a().blockLabel(holderName(row)) : a().unblockLabel(holderName(row))} onClick={() => ask({ kind: "status", row, next: row.status === "active" ? "blocked" : "active" })}>{row.status === "active" ? a().block : a().unblock}</button>
                    <button type="button" class="secondary" aria-label={a().replaceLabel(holderName(row))} onClick={() => ask({ kind: "replace", row })}>{a().replaceCard}</button>
                    {/* A holder nobody can e-mail gets the card's code on a printed letter (the server refuses it otherwise). */}
                    <Show when={!row.email}>
                      <button type="button" class="secondary" disabled={printing()} aria-label={a().holderLetterLabel(holderName(row))} onClick={() => void printHolderLetter(row.cardId)}>{a().holderLetter}</button>
                    </Show>
                    <button type="button" class="secondary" aria-label={a().schoolingLabel(holderName(row))} onClick={() => ask({ kind: "schooling", row })}>{a().schooling}</button>
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
      <Show when={total() !== null && total()! > 0}>
        <nav class="pager" aria-label={a().paging}>
          <button type="button" class="secondary" disabled={pageIndex() === 0 || results.loading} onClick={() => setPageIndex(pageIndex() - 1)}>‹ {a().previousPage}</button>
          <span data-testid="cards-range">
            {capped() ? a().showingRangeCapped(pageIndex() * CARD_PAGE + 1, shownTo(), total()!) : a().showingRange(pageIndex() * CARD_PAGE + 1, shownTo(), total()!)}
          </span>
          <button type="button" class="secondary" disabled={!hasNext() || results.loading} onClick={() => setPageIndex(pageIndex() + 1)}>{a().nextPage} ›</button>
        </nav>
      </Show>
      <Show when={question()}>
        {(open) => (
          <Switch>
            <Match when={open().kind === "status" && (open() as Extract<Question, { kind: "status" }>)}>
              {(shown) => (
                <ConfirmDialog
                  title={shown().next === "blocked" ? a().blockTitle : a().unblockTitle}
                  message={shown().next === "blocked" ? a().blockConfirm(holderName(shown().row), shown().row.cardNumber) : a().unblockConfirm(holderName(shown().row), shown().row.cardNumber)}
                  confirmLabel={shown().next === "blocked" ? a().blockTitle : a().unblockTitle}
                  danger={shown().next === "blocked"}
                  busy={dialogBusy()}
                  error={dialogError()}
                  onCancel={close}
                  onConfirm={() => void answer(() => trpc.backoffice.setCardStatus.mutate({ cardId: shown().row.cardId, status: shown().next }), a().statusChanged(shown().next === "blocked"))}
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
                  busy={dialogBusy()}
                  error={dialogError()}
                  onCancel={close}
                  onConfirm={() => void replace(shown().row)}
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
                  busy={dialogBusy()}
                  error={dialogError()}
                  onCancel={close}
                  onConfirm={() => {
                    const value = (text: string) => text.trim() || null;
                    const fields = schoolingFields();
                    void answer(() => trpc.backoffice.setSchooling.mutate({ userId: shown().row.userId, school: value(fields.school), className: value(fields.className), track: value(fields.track) }), a().schoolingSaved);
                  }}
                >
                  <div class="dialog-fields">
                    <label for="schooling-school">{a().school}</label>
                    <input id="schooling-school" value={schoolingFields().school} onInput={(event) => setSchoolingFields({ ...schoolingFields(), school: event.currentTarget.value })} />
                    <label for="schooling-class">{a().class}</label>
                    <input id="schooling-class" value={schoolingFields().className} onInput={(event) => setSchoolingFields({ ...schoolingFields(), className: event.currentTarget.value })} />
                    <label for="schooling-track">{a().track}</label>
                    <input id="schooling-track" value={schoolingFields().track} onInput={(event) => setSchoolingFields({ ...schoolingFields(), track: event.currentTarget.value })} />
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
                  busy={dialogBusy()}
                  error={dialogError()}
                  onCancel={close}
                  onConfirm={() => {
                    const cardNumber = guardianCard().replace(/\s/g, "");
                    if (!/^\d{6,20}$/.test(cardNumber)) return setDialogError(a().guardianCardInvalid);
                    void answer(() => trpc.backoffice.linkGuardian.mutate({ userId: shown().row.userId, guardianCardNumber: cardNumber }), a().guardianLinked);
                  }}
                >
                  <div class="dialog-fields">
                    <label for="guardian-card">{a().guardianCardNumber}</label>
                    <input id="guardian-card" inputmode="numeric" autocomplete="off" value={guardianCard()} onInput={(event) => setGuardianCard(event.currentTarget.value)} />
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
                  busy={dialogBusy()}
                  error={dialogError()}
                  onCancel={close}
                  onConfirm={() => void answer(() => trpc.backoffice.unlinkGuardian.mutate({ userId: shown().row.userId, guardianUserId: shown().guardian.userId }), a().guardianRemoved)}
                />
              )}
            </Match>
          </Switch>
        )}
      </Show>
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
    </section>
  );
}
