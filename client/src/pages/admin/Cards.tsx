// Kort: search cardholders, block/replace cards, school/class, guardians, issue cards and import class lists.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { type Me, Result, type Outcome, failureText, ListState, rowsOf, setSection, setCorrectionTarget } from "./shared.tsx";
import { CardDialogs, holderName, useCardQuestions } from "./card-questions.tsx";
import { CardImport, IssueCard, type IssuedCard } from "./CardIssue.tsx";

const CARD_PAGE = 50;

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
  const [issued, setIssued] = createSignal<IssuedCard | null>(null);
  const [rowResult, setRowResult] = createSignal<Outcome>(null);
  // A replacement's code never comes back here (staff who saw it could sign in as the holder): the answer says whether
  // it went by e-mail or waits for "Udskriv brev", and only the printed letter holds it.
  const [letterFor, setLetterFor] = createSignal<{ cardId: number; name: string } | null>(null);
  const questions = useCardQuestions({
    refetch,
    setRowResult,
    onReplaced: (card, row) => {
      setIssued(null);
      setLetterFor(card.delivery === "letter" ? { cardId: card.cardId, name: holderName({ name: row.name, cardNumber: card.cardNumber }) } : null);
    },
  });
  const ask = questions.ask;
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
      <CardDialogs questions={questions} />
      <IssueCard issued={issued()} onIssued={setIssued} onChanged={refetch} />
      <CardImport onImported={refetch} />
    </section>
  );
}
