// Rapporter: the report of a day, a month, a school year (1 Aug – 31 Jul) or any stretch of at most 400 days. One line
// per kind of money movement (each the sum of the period's ledger transfers, so it reconciles with the ledger), sales by
// canteen and product with a chart, outstanding balances, and a CSV of sales. A day and a period show the same figures
// through the same components; a period is the exact day totals added up on the server (decision 005).
import { createEffect, createMemo, createResource, createSignal, For, type JSX, Match, onCleanup, Show, Switch } from "solid-js";
import { errorCode, fieldIssues, trpc } from "../../trpc.ts";
import { formatOre } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { language, localise } from "../../language.ts";
import { daysBetween, PERIOD_DAYS_MAX, periodOf, periodProblem, recentMonths, schoolYearName, schoolYearOf, type PeriodChoice, type PeriodProblem } from "../../../../common/report-periods.ts";

type DayReport = Awaited<ReturnType<typeof trpc.backoffice.report.query>>;
type PeriodReply = Awaited<ReturnType<typeof trpc.backoffice.periodReport.query>>;
type PeriodReport = Extract<PeriodReply, { status: "ready" }>;
/** A period whose days are still being added up for the first time: how far it is. */
type PeriodProgress = Extract<PeriodReply, { status: "preparing" }>;
/** What a day's and a period's report have in common: everything the figures below show. */
type Figures = Pick<DayReport, "lines" | "salesByCanteen" | "salesByProduct" | "payoutsPendingOre" | "liabilityOre" | "verification" | "csv">;

type PeriodKind = "day" | PeriodChoice["kind"];

const copenhagenToday = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date());

const monthName = (month: string) =>
  new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "da-DK", { month: "long", year: "numeric", timeZone: "UTC" }).format(Date.parse(`${month}-01T12:00:00Z`));
const dayName = (day: string) =>
  new Intl.DateTimeFormat(language() === "en" ? "en-GB" : "da-DK", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(Date.parse(`${day}T12:00:00Z`));

/** What staff read when a report fails: too slow, too many at once, a period the server refuses, or anything else. */
function reportFailure(error: unknown): string {
  const code = errorCode(error);
  if (code === "TIMEOUT") return a().reportTimeout;
  if (code === "TOO_MANY_REQUESTS") return a().reportBusy;
  const issues = Object.values(fieldIssues(error)).map(localise).join(" ");
  if (code === "BAD_REQUEST" && issues) return issues;
  return a().loadFailed;
}

/** The figures of a day or a period: the movements, sales by canteen, the balances now, the chart and the CSV. */
function ReportFigures(props: { figures: Figures; linesLabel: string; noSalesText: string; csvName: string; extra?: JSX.Element }) {
  const max = () => Math.max(1, ...props.figures.salesByProduct.map((row) => row.amountOre));
  const verification = () => props.figures.verification;
  return (
    <>
      <div class="table-scroll">
        <table class="compact report-lines" aria-label={props.linesLabel}>
          <thead>
            <tr>
              <th scope="col">{a().reportLine}</th>
              <th scope="col" class="number">{a().reportCount}</th>
              <th scope="col" class="number">{a().amount}</th>
            </tr>
          </thead>
          <tbody>
            {/* Every movement on its own line, each a sum of the ledger transfers of the day or period. */}
            <For each={props.figures.lines}>
              {(line) => (
                <tr data-line={line.key}>
                  <th scope="row">{language() === "en" ? line.label.en : line.label.da}</th>
                  <td class="number" data-testid={`report-count-${line.key}`}>{line.count}</td>
                  <td class="number" data-testid={`report-amount-${line.key}`}>{formatOre(line.amountOre)}</td>
                </tr>
              )}
            </For>
            <For each={props.figures.salesByCanteen}>
              {(row) => (
                <tr class="sub">
                  <th scope="row">{a().sales(row.canteen)}</th>
                  <td class="number">{row.count}</td>
                  <td class="number">{formatOre(row.salesOre)}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <dl class="totals">
        <dt>{a().payoutsPending}</dt><dd data-testid="report-payouts-pending">{formatOre(props.figures.payoutsPendingOre)}</dd>
        <dt>{a().liability}</dt><dd data-testid="report-liability">{formatOre(props.figures.liabilityOre)}</dd>
        <dt>{a().ledgerCheck}</dt>
        <dd data-testid="report-ledger" class={verification() === null ? "" : verification()!.ok ? "success" : "error"}>
          {verification() === null ? a().ledgerPending : verification()!.ok ? `${a().ledgerOk} ${new Date(verification()!.verifiedAtMs).toLocaleTimeString("da-DK", { timeZone: "Europe/Copenhagen", hour: "2-digit", minute: "2-digit" })}` : a().ledgerBroken}
        </dd>
        {props.extra}
      </dl>
      <Show when={props.figures.salesByProduct.length > 0} fallback={<p class="hint" data-testid="report-no-sales">{props.noSalesText}</p>}>
        <figure aria-label={a().chart}>
          <For each={props.figures.salesByProduct}>
            {(row) => (
              <div class="bar-row">
                <span>{row.product} ({row.quantity})</span>
                <span class="bar" style={{ width: `${(row.amountOre / max()) * 100}%` }} />
                <span>{formatOre(row.amountOre)}</span>
              </div>
            )}
          </For>
        </figure>
      </Show>
      <a class="button-link" download={props.csvName} href={`data:text/csv;charset=utf-8,${encodeURIComponent(props.figures.csv)}`}>{a().downloadCsv}</a>
    </>
  );
}

type Request = { kind: "day"; day: string } | { kind: "period"; from: string; to: string };
type Answer =
  | { kind: "day"; day: string; report: DayReport }
  | { kind: "period"; from: string; to: string; report: PeriodReport }
  | { kind: "preparing"; from: string; to: string; progress: PeriodProgress };

/** How soon a period that is still being added up is asked for again. */
const PREPARING_RETRY_MS = 700;

export function Reports() {
  const today = copenhagenToday();
  const [kind, setKind] = createSignal<PeriodKind>("day");
  const [day, setDay] = createSignal(today);
  const [month, setMonth] = createSignal(today.slice(0, 7));
  const [schoolYear, setSchoolYear] = createSignal(schoolYearOf(today));
  const [from, setFrom] = createSignal(`${today.slice(0, 7)}-01`);
  const [to, setTo] = createSignal(today);
  const months = recentMonths(today, 24);
  // This school year and the five before it: the ledger is kept five years.
  const schoolYears = Array.from({ length: 6 }, (_, index) => schoolYearOf(today) - index);

  const choice = (): PeriodChoice | null => {
    switch (kind()) {
      case "day":
        return null;
      case "month":
        return { kind: "month", month: month() };
      case "schoolYear":
        return { kind: "schoolYear", startYear: schoolYear() };
      case "range":
        return { kind: "range", from: from(), to: to() };
    }
  };
  const period = createMemo(() => {
    const chosen = choice();
    return chosen === null ? null : periodOf(chosen, today);
  });
  const problemText: Record<PeriodProblem, () => string> = {
    incomplete: () => a().periodIncomplete,
    backwards: () => a().periodBackwards,
    tooLong: () => a().periodTooLong(PERIOD_DAYS_MAX),
  };
  /** Why the chosen stretch cannot be reported on, said before asking the server (which refuses it too); null when it can. */
  const problem = () => {
    const chosen = period();
    const found = chosen === null ? null : periodProblem(chosen);
    return found === null ? null : problemText[found]();
  };
  const request = createMemo<Request | false>(() => {
    if (kind() === "day") return /^\d{4}-\d{2}-\d{2}$/.test(day()) ? { kind: "day", day: day() } : false;
    if (problem() !== null) return false;
    return { kind: "period", ...period()! };
  }, false, { equals: (before, after) => JSON.stringify(before) === JSON.stringify(after) });
  const [report, { refetch }] = createResource(request, async (chosen): Promise<Answer> => {
    if (chosen.kind === "day") return { kind: "day", day: chosen.day, report: await trpc.backoffice.report.query({ day: chosen.day }) };
    const reply = await trpc.backoffice.periodReport.query({ from: chosen.from, to: chosen.to });
    return reply.status === "preparing" ? { kind: "preparing", from: chosen.from, to: chosen.to, progress: reply } : { kind: "period", from: chosen.from, to: chosen.to, report: reply };
  });
  // A period still being added up: its progress stays on screen while the page asks again, until the report comes.
  const [progress, setProgress] = createSignal<PeriodProgress | null>(null);
  createEffect(() => {
    request();
    setProgress(null);
  });
  createEffect(() => {
    if (report.loading || report.error) return;
    const answer = report();
    if (answer?.kind !== "preparing") {
      setProgress(null);
      return;
    }
    setProgress(answer.progress);
    const timer = setTimeout(() => void refetch(), PREPARING_RETRY_MS);
    onCleanup(() => clearTimeout(timer));
  });
  // Only the figures of what is chosen now: never an earlier choice's while the new one is on its way.
  const shown = () => (report.loading || report.error || request() === false ? undefined : report());
  const dayAnswer = () => {
    const answer = shown();
    return answer?.kind === "day" ? answer : undefined;
  };
  const periodAnswer = () => {
    const answer = shown();
    return answer?.kind === "period" ? answer : undefined;
  };

  return (
    <section>
      <h2>{a().reports}</h2>
      <div class="filters">
        <div>
          <label for="report-kind">{a().periodKind}</label>
          <select id="report-kind" value={kind()} onChange={(event) => setKind(event.currentTarget.value as PeriodKind)}>
            <option value="day">{a().periodDay}</option>
            <option value="month">{a().periodMonth}</option>
            <option value="schoolYear">{a().periodSchoolYear}</option>
            <option value="range">{a().periodRange}</option>
          </select>
        </div>
        <Switch>
          <Match when={kind() === "day"}>
            <div>
              <label for="report-day">{a().day}</label>
              <input id="report-day" type="date" value={day()} onInput={(event) => setDay(event.currentTarget.value)} />
            </div>
          </Match>
          <Match when={kind() === "month"}>
            <div>
              <label for="report-month">{a().chooseMonth}</label>
              <select id="report-month" value={month()} onChange={(event) => setMonth(event.currentTarget.value)}>
                <For each={months}>{(value) => <option value={value}>{monthName(value)}</option>}</For>
              </select>
            </div>
          </Match>
          <Match when={kind() === "schoolYear"}>
            <div>
              <label for="report-school-year">{a().chooseSchoolYear}</label>
              <select id="report-school-year" value={String(schoolYear())} onChange={(event) => setSchoolYear(Number(event.currentTarget.value))}>
                <For each={schoolYears}>{(value) => <option value={String(value)}>{schoolYearName(value)}</option>}</For>
              </select>
            </div>
          </Match>
          <Match when={kind() === "range"}>
            <div>
              <label for="report-from">{a().auditFrom}</label>
              <input id="report-from" type="date" value={from()} max={today} onInput={(event) => setFrom(event.currentTarget.value)} />
            </div>
            <div>
              <label for="report-to">{a().auditTo}</label>
              <input id="report-to" type="date" value={to()} max={today} onInput={(event) => setTo(event.currentTarget.value)} />
            </div>
          </Match>
        </Switch>
        <button type="button" class="secondary" disabled={report.loading || request() === false} onClick={() => void refetch()}>{a().refresh}</button>
      </div>
      <Show when={period() !== null && problem() === null}>
        <p class="hint" data-testid="report-period">{a().periodShown(dayName(period()!.from), dayName(period()!.to), daysBetween(period()!.from, period()!.to))}</p>
      </Show>
      <Switch>
        <Match when={problem()}>{(text) => <p role="alert" class="error" data-testid="report-period-problem">{text()}</p>}</Match>
        <Match when={report.error}><p role="alert" class="error" data-testid="report-failed">{reportFailure(report.error)}</p></Match>
        <Match when={progress()}>
          {(shownProgress) => (
            <div role="status" aria-live="polite" data-testid="report-preparing">
              <p class="hint">{a().periodPreparing(shownProgress().readyDays, shownProgress().days)}</p>
              <progress max={shownProgress().days} value={shownProgress().readyDays} aria-label={a().periodLoading} />
            </div>
          )}
        </Match>
        <Match when={report.loading}>
          <p role="status" class="hint" aria-live="polite">{kind() === "day" ? a().loading : a().periodLoading}</p>
        </Match>
      </Switch>
      <Show when={dayAnswer()}>
        {(answer) => (
          <ReportFigures
            figures={answer().report}
            linesLabel={a().reportLines}
            noSalesText={a().noSales}
            csvName={`salg-${answer().day}.csv`}
            extra={
              <>
                {/* The chain head sealed by the day's end: a printed report shows any later rewrite of the ledger's history. */}
                <dt>{a().chainHead}</dt>
                <dd data-testid="report-chain-head">
                  {answer().report.chainHead === null ? a().chainHeadNone : <><code class="chain-head">{answer().report.chainHead!.head}</code> {a().chainHeadThrough(answer().report.chainHead!.throughSeq, new Date(answer().report.chainHead!.sealedAtMs).toLocaleString("da-DK", { timeZone: "Europe/Copenhagen" }))}</>}
                </dd>
              </>
            }
          />
        )}
      </Show>
      <Show when={periodAnswer()}>
        {(answer) => (
          <>
            <Show when={answer().report.lines.every((line) => line.count === 0) && answer().report.salesByCanteen.length === 0}>
              <p class="hint" data-testid="report-empty">{a().periodEmpty}</p>
            </Show>
            <ReportFigures figures={answer().report} linesLabel={a().periodLines} noSalesText={a().noSalesPeriod} csvName={`salg-${answer().from}_${answer().to}.csv`} />
          </>
        )}
      </Show>
    </section>
  );
}
