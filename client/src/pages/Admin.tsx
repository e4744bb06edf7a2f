// Back office (Danish first): staff sign-in, then cards, devices, catalogue and menus, payouts, support, reports, corrections, audit log.
import { createEffect, createResource, createSignal, For, Match, Show, Switch, type JSX, type Resource } from "solid-js";
import { errorCode, fieldIssues, trpc } from "../trpc.ts";
import { formatDateTime, formatOre, parseKroner } from "../format.ts";
import { language, localise, setLanguage } from "../i18n.ts";
import { a } from "../admin-i18n.ts";

type Me = Awaited<ReturnType<typeof trpc.backoffice.me.query>>;

function SignIn(props: { onDone: () => void }) {
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [message, setMessage] = createSignal<string | null>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const result = await trpc.backoffice.login.mutate({ email: email().trim(), password: password() }).catch(() => null);
    if (result?.ok) props.onDone();
    else setMessage(result && result.reason === "locked" ? a().locked(Math.ceil(result.retryAfterSeconds / 60)) : a().wrongLogin);
  }
  return (
    <form class="card-panel narrow-panel" onSubmit={submit} novalidate>
      <h1>{a().title}</h1>
      <label for="staff-email">{a().email}</label>
      <input id="staff-email" type="email" autocomplete="username" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
      <label for="staff-password">{a().password}</label>
      <input id="staff-password" type="password" autocomplete="current-password" value={password()} onInput={(event) => setPassword(event.currentTarget.value)} />
      <Show when={message()}><p role="alert" class="error">{message()}</p></Show>
      <button type="submit">{a().signIn}</button>
    </form>
  );
}

function Result(props: { value: { ok: boolean; text: string } | null }) {
  return <Show when={props.value}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>;
}

type Outcome = { ok: boolean; text: string } | null;

/**
 * What to tell staff when an action fails: the fields at fault, or the server's reason (messages of expected refusals
 * read "code: Dansk / English"), or a general line. Never silence: a button that does nothing looks like it worked.
 */
function failureText(error: unknown): string {
  const issues = Object.values(fieldIssues(error)).map(localise).join(" ");
  if (issues) return issues;
  if (error instanceof Error && /^[a-z_]+: /.test(error.message)) return localise(error.message.replace(/^[a-z_]+: /, ""));
  if (errorCode(error) === "NOT_FOUND") return a().notFound;
  return a().somethingWrong;
}

/** Runs one staff action and reports its outcome in `show`; answers whether it succeeded. */
async function attempt(show: (outcome: Outcome) => void, action: () => Promise<unknown>, success: string): Promise<boolean> {
  try {
    await action();
    show({ ok: true, text: success });
    return true;
  } catch (error) {
    show({ ok: false, text: failureText(error) });
    return false;
  }
}

/** A list's loading, failure and empty states. */
function ListState(props: { of: Resource<unknown>; empty: boolean; emptyText: string }) {
  return (
    <Switch>
      <Match when={props.of.error}><p role="alert" class="error">{a().loadFailed}</p></Match>
      <Match when={props.of.loading}><p role="status" class="hint">{a().loading}</p></Match>
      <Match when={props.empty}><p class="hint">{props.emptyText}</p></Match>
    </Switch>
  );
}

/** A resource's rows, or none while it loads or after it failed (reading a failed resource would throw). */
function rowsOf<T>(resource: Resource<T[]>): T[] {
  return resource.error ? [] : (resource() ?? []);
}

/** Which section is open, and the cardholder a correction is for: set from a row in Kort, read by Korrektion. */
const [section, setSection] = createSignal("cards");
const [correctionTarget, setCorrectionTarget] = createSignal<{ accountId: number; name: string; cardNumber: string } | null>(null);

/** Prints the card letter alone: the print stylesheet hides everything else while `print-letter` is set. */
function printLetter() {
  const root = document.documentElement;
  root.classList.add("print-letter");
  window.addEventListener("afterprint", () => root.classList.remove("print-letter"), { once: true });
  window.print();
}

function Cards(props: { me: Me }) {
  const [query, setQuery] = createSignal("");
  const [results, { refetch }] = createResource(query, (value) => trpc.backoffice.searchCards.query({ query: value }));
  const [fields, setFields] = createSignal({ name: "", email: "", school: "", className: "", track: "" });
  const [issued, setIssued] = createSignal<{ cardNumber: string; verificationCode: string; name: string } | null>(null);
  const [result, setResult] = createSignal<Outcome>(null);
  const [rowResult, setRowResult] = createSignal<Outcome>(null);
  const [csv, setCsv] = createSignal("navn;e-mail;skole;klasse;spor\n");
  const [importResult, setImportResult] = createSignal<Awaited<ReturnType<typeof trpc.backoffice.importCards.mutate>> | null>(null);
  const [importError, setImportError] = createSignal<Outcome>(null);
  async function issue(event: SubmitEvent) {
    event.preventDefault();
    try {
      const card = await trpc.backoffice.issueCard.mutate(fields());
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
      const card = await trpc.backoffice.replaceCard.mutate({ cardId });
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
      setImportResult(await trpc.backoffice.importCards.mutate({ csv: csv(), commit }));
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
                            <button type="button" class="secondary" aria-label={a().removeGuardianLabel(guardian.name ?? guardian.cardNumber ?? "", row.name ?? row.cardNumber)} onClick={() => removeGuardian(row, guardian)}>
                              ×
                            </button>
                          </li>
                        )}
                      </For>
                    </ul>
                    <button type="button" class="secondary" aria-label={a().addGuardianLabel(row.name ?? row.cardNumber)} onClick={() => addGuardian(row)}>{a().addGuardian}</button>
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

function Devices(props: { me: Me }) {
  const [devices, { refetch }] = createResource(() => trpc.backoffice.devices.query());
  const [name, setName] = createSignal("");
  const [kind, setKind] = createSignal<"terminal" | "screen">("terminal");
  const [secret, setSecret] = createSignal<string | null>(null);
  const [result, setResult] = createSignal<Outcome>(null);
  async function create(event: SubmitEvent) {
    event.preventDefault();
    try {
      const created = await trpc.backoffice.createDevice.mutate({ kind: kind(), canteenId: props.me.canteens[0]!.canteenId, name: name().trim() || "Kasse" });
      setSecret(created.secret);
      setResult({ ok: true, text: a().deviceCreated });
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    }
    void refetch();
  }
  async function revoke(deviceKind: "terminal" | "screen", id: number) {
    if (!window.confirm(a().revokeConfirm)) return;
    await attempt(setResult, () => trpc.backoffice.revokeDevice.mutate({ kind: deviceKind, id }), a().deviceRevoked);
    void refetch();
  }
  return (
    <section>
      <h2>{a().devicesTitle}</h2>
      <form class="card-panel" onSubmit={create} aria-label={a().createDevice}>
        <label for="device-kind">{a().type}</label>
        <select id="device-kind" onChange={(event) => setKind(event.currentTarget.value as "terminal" | "screen")}>
          <option value="terminal">{a().terminal}</option>
          <option value="screen">{a().screen}</option>
        </select>
        <label for="device-name">{a().name}</label>
        <input id="device-name" value={name()} onInput={(event) => setName(event.currentTarget.value)} />
        <button type="submit">{a().create}</button>
      </form>
      <Result value={result()} />
      <Show when={secret()}>
        <p role="status" class="notice">{a().secretOnce} <code data-testid="device-secret">{secret()}</code></p>
      </Show>
      <ListState of={devices} empty={rowsOf(devices).length === 0} emptyText={a().noDevices} />
      <ul>
        <For each={rowsOf(devices)}>
          {(device) => (
            <li>
              {a().deviceLine(device.kind, device.name, device.canteen, device.revoked)}
              <Show when={!device.revoked}>
                {" "}
                <button type="button" class="secondary" onClick={() => revoke(device.kind, device.id)} aria-label={a().revokeLabel(device.name)}>{a().revoke}</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

function Catalogue(props: { me: Me }) {
  const canteenId = props.me.canteens[0]!.canteenId;
  const [products, { refetch }] = createResource(() => trpc.backoffice.products.query());
  const days = Array.from({ length: 7 }, (_, offset) => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date(Date.now() + offset * 86_400_000)));
  const [week, { refetch: refetchWeek }] = createResource(() => trpc.backoffice.menuWeek.query({ canteenId, days }));
  const [form, setForm] = createSignal({ name: "", category: "Dagens ret", price: "", allergens: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const [cutoff, setCutoff] = createSignal(props.me.canteens[0]!.orderCutoffTime);
  async function add(event: SubmitEvent) {
    event.preventDefault();
    const priceOre = Math.round(Number(form().price.replace(",", ".")) * 100);
    if (await attempt(setResult, () => trpc.backoffice.saveProduct.mutate({ canteenId, name: form().name, category: form().category, priceOre, allergens: form().allergens || undefined, active: true }), a().productSaved)) {
      void refetch();
    }
  }
  async function toggle(day: string, productId: number, offered: boolean) {
    await attempt(setResult, () => trpc.backoffice.setMenuItem.mutate({ canteenId, deliveryDay: day, productId, offered, quantityLimit: null }), a().menuSaved);
    // Refetched either way, so a refused change does not leave its checkbox showing what was never saved.
    void refetchWeek();
  }
  async function saveCutoff(event: SubmitEvent) {
    event.preventDefault();
    await attempt(setResult, () => trpc.backoffice.setOrderCutoff.mutate({ canteenId, time: cutoff() }), a().cutoffSaved);
  }
  const offeredOn = (day: string, productId: number) => Boolean(!week.error && week()?.[day]?.some((item) => item.productId === productId));
  return (
    <section>
      <h2>{a().catalogue}</h2>
      <form class="card-panel" onSubmit={add} aria-label={a().newProduct}>
        <label for="product-name">{a().name}</label>
        <input id="product-name" value={form().name} onInput={(event) => setForm({ ...form(), name: event.currentTarget.value })} />
        <label for="product-category">{a().category}</label>
        <input id="product-category" value={form().category} onInput={(event) => setForm({ ...form(), category: event.currentTarget.value })} />
        <label for="product-price">{a().price}</label>
        <input id="product-price" inputmode="decimal" value={form().price} onInput={(event) => setForm({ ...form(), price: event.currentTarget.value })} />
        <label for="product-allergens">{a().allergens}</label>
        <input id="product-allergens" value={form().allergens} onInput={(event) => setForm({ ...form(), allergens: event.currentTarget.value })} />
        <button type="submit">{a().saveProduct}</button>
      </form>
      <Result value={result()} />
      <form class="card-panel" onSubmit={saveCutoff}>
        <label for="cutoff">{a().cutoff}</label>
        <input id="cutoff" value={cutoff()} onInput={(event) => setCutoff(event.currentTarget.value)} />
        <button type="submit">{a().saveCutoff}</button>
      </form>
      <ListState of={products} empty={rowsOf(products).length === 0} emptyText={a().noProducts} />
      <Show when={week.error}><p role="alert" class="error">{a().loadFailed}</p></Show>
      <div class="table-scroll">
        <table aria-label={a().weekMenu}>
          <thead>
            <tr>
              <th scope="col">{a().product}</th>
              <For each={days}>{(day) => <th scope="col">{day.slice(5)}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <For each={rowsOf(products)}>
              {(product) => (
                <tr>
                  <th scope="row">{product.name} ({formatOre(product.priceOre)})</th>
                  <For each={days}>
                    {(day) => (
                      <td>
                        <input type="checkbox" aria-label={`${product.name} ${day}`} checked={offeredOn(day, product.productId)} onChange={(event) => toggle(day, product.productId, event.currentTarget.checked)} />
                      </td>
                    )}
                  </For>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Payouts() {
  const [payouts, { refetch }] = createResource(() => trpc.backoffice.payouts.query({ status: "all" }));
  const [result, setResult] = createSignal<Outcome>(null);
  async function decide(payout: { payoutId: number; cardholder: string | null; name: string; amountOre: number }, status: "paid" | "rejected") {
    const who = payout.cardholder ?? payout.name;
    const amount = formatOre(payout.amountOre);
    if (status === "rejected") {
      // The prompt names the payout and what happens, so answering it is the confirmation; cancelling changes nothing.
      const reason = window.prompt(a().rejectPrompt(who, amount));
      if (!reason) return;
      await attempt(setResult, () => trpc.backoffice.decidePayout.mutate({ payoutId: payout.payoutId, status, reason }), a().decided);
    } else {
      if (!window.confirm(a().markPaidConfirm(who, amount))) return;
      await attempt(setResult, () => trpc.backoffice.decidePayout.mutate({ payoutId: payout.payoutId, status }), a().decided);
    }
    void refetch();
  }
  async function exportCsv() {
    try {
      const csv = await trpc.backoffice.payoutsCsv.query();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
      link.download = "udbetalinger.csv";
      link.click();
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    }
  }
  return (
    <section>
      <h2>{a().payouts}</h2>
      <button type="button" class="secondary" onClick={exportCsv}>{a().exportCsv}</button>
      <Result value={result()} />
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">{a().cardholder}</th><th scope="col">{a().account}</th><th scope="col" class="number">{a().amount}</th><th scope="col">{a().status}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={rowsOf(payouts)}>
              {(payout) => (
                <tr>
                  <td>{payout.cardholder ?? payout.name}</td>
                  <td>{payout.registrationNumber} {payout.bankAccountNumber}</td>
                  <td class="number">{formatOre(payout.amountOre)}</td>
                  <td>{a().payoutStatus[payout.status]}</td>
                  <td class="actions">
                    <Show when={payout.status === "pending"}>
                      <button type="button" onClick={() => decide(payout, "paid")} aria-label={a().markPaidLabel(payout.payoutId)}>{a().markPaid}</button>
                      <button type="button" class="danger" onClick={() => decide(payout, "rejected")} aria-label={a().rejectLabel(payout.payoutId)}>{a().reject}</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <ListState of={payouts} empty={rowsOf(payouts).length === 0} emptyText={a().noPayouts} />
    </section>
  );
}

function Support() {
  const [cases, { refetch }] = createResource(() => trpc.backoffice.supportCases.query());
  const [reply, setReply] = createSignal<Record<number, string>>({});
  const [results, setResults] = createSignal<Record<number, Outcome>>({});
  const show = (caseId: number) => (outcome: Outcome) => setResults({ ...results(), [caseId]: outcome });
  async function send(caseId: number) {
    if (await attempt(show(caseId), () => trpc.backoffice.replySupport.mutate({ caseId, message: reply()[caseId] ?? "" }), a().replySent)) setReply({ ...reply(), [caseId]: "" });
  }
  async function close(caseId: number) {
    if (await attempt(show(caseId), () => trpc.backoffice.closeSupport.mutate({ caseId }), a().caseClosed)) void refetch();
  }
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
                <button type="button" onClick={() => send(supportCase.caseId)}>{a().sendReply}</button>
                <button type="button" class="secondary" onClick={() => close(supportCase.caseId)}>{a().closeCase}</button>
              </div>
            </Show>
            <Result value={results()[supportCase.caseId] ?? null} />
          </article>
        )}
      </For>
    </section>
  );
}

function Reports() {
  const [day, setDay] = createSignal(new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date()));
  const [report] = createResource(day, (value) => trpc.backoffice.report.query({ day: value }));
  const shownReport = () => (report.error ? undefined : report());
  const max = () => Math.max(1, ...(shownReport()?.salesByProduct.map((row) => row.amountOre) ?? [1]));
  return (
    <section>
      <h2>{a().reports}</h2>
      <label for="report-day">{a().day}</label>
      <input id="report-day" type="date" value={day()} onInput={(event) => setDay(event.currentTarget.value)} />
      <ListState of={report} empty={shownReport()?.salesByProduct.length === 0} emptyText={a().noSales} />
      <Show when={shownReport()}>
        {(shown) => (
          <>
            <dl class="totals">
              <For each={shown().salesByCanteen}>{(row) => <><dt>{a().sales(row.canteen)}</dt><dd>{formatOre(row.salesOre)} ({row.count})</dd></>}</For>
              <dt>{a().deposits}</dt><dd>{formatOre(shown().depositsOre)}</dd>
              <dt>{a().payoutsTotal}</dt><dd>{formatOre(shown().payoutsOre)}</dd>
              <dt>{a().liability}</dt><dd>{formatOre(shown().liabilityOre)}</dd>
              <dt>ledger:check</dt><dd class={shown().ledger.ok ? "success" : "error"}>{shown().ledger.ok ? "OK" : shown().ledger.violations.join("; ")}</dd>
            </dl>
            <figure aria-label={a().chart}>
              <For each={shown().salesByProduct}>
                {(row) => (
                  <div class="bar-row">
                    <span>{row.product} ({row.quantity})</span>
                    <span class="bar" style={{ width: `${(row.amountOre / max()) * 100}%` }} />
                    <span>{formatOre(row.amountOre)}</span>
                  </div>
                )}
              </For>
            </figure>
            <a class="button-link" download={`salg-${day()}.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(shown().csv)}`}>{a().downloadCsv}</a>
          </>
        )}
      </Show>
    </section>
  );
}

function Correction() {
  const [values, setValues] = createSignal({ amount: "", direction: "credit", reason: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const [running, setRunning] = createSignal(false);
  // One idempotency key per filled-in form: a double click or a retry after a lost answer posts the correction once.
  // Editing the form, a success or a decline starts a new one (the ledger stores declines under their key).
  const [idempotencyKey, setIdempotencyKey] = createSignal(crypto.randomUUID());
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const target = correctionTarget();
    if (!target || running()) return;
    const amountOre = parseKroner(values().amount);
    if (Number.isNaN(amountOre) || amountOre <= 0) {
      setResult({ ok: false, text: a().badAmount });
      return;
    }
    const credit = values().direction === "credit";
    if (!window.confirm(a().correctionConfirm(formatOre(amountOre), credit, target.name))) return;
    setRunning(true);
    try {
      const answer = await trpc.backoffice.correct.mutate({ accountId: target.accountId, amountOre, direction: credit ? "credit" : "debit", reason: values().reason, idempotencyKey: idempotencyKey() });
      setResult(answer.ok ? { ok: true, text: a().posted } : { ok: false, text: a().insufficient });
      setIdempotencyKey(crypto.randomUUID());
      if (answer.ok) setValues({ amount: "", direction: values().direction, reason: "" });
    } catch (error) {
      setResult({ ok: false, text: errorCode(error) === "NOT_FOUND" ? a().noAccount : failureText(error) });
    } finally {
      setRunning(false);
    }
  }
  const set = (key: string, value: string) => {
    setValues({ ...values(), [key]: value });
    setIdempotencyKey(crypto.randomUUID());
  };
  return (
    <form class="card-panel" onSubmit={submit} aria-label={a().correction}>
      <h2>{a().correctionTitle}</h2>
      <Show
        when={correctionTarget()}
        fallback={
          <p>
            {a().chooseCardholder}{" "}
            <button type="button" class="link-button" onClick={() => setSection("cards")}>{a().goToCards}</button>
          </p>
        }
      >
        {(target) => <p data-testid="correction-target">{a().correctionFor(target().name, target().cardNumber)}</p>}
      </Show>
      <label for="correction-amount">{a().amountKr}</label>
      <input id="correction-amount" inputmode="decimal" value={values().amount} onInput={(event) => set("amount", event.currentTarget.value)} />
      <label for="correction-direction">{a().direction}</label>
      <select id="correction-direction" value={values().direction} onChange={(event) => set("direction", event.currentTarget.value)}>
        <option value="credit">{a().credit}</option>
        <option value="debit">{a().debit}</option>
      </select>
      <label for="correction-reason">{a().reason}</label>
      <input id="correction-reason" value={values().reason} onInput={(event) => set("reason", event.currentTarget.value)} />
      <button type="submit" disabled={running() || !correctionTarget()}>{running() ? a().posting : a().post}</button>
      <Result value={result()} />
    </form>
  );
}

function AuditLog() {
  const [entries] = createResource(() => trpc.backoffice.audit.query());
  return (
    <section>
      <h2>{a().audit}</h2>
      <ListState of={entries} empty={rowsOf(entries).length === 0} emptyText={a().noAudit} />
      <ul>
        <For each={rowsOf(entries)}>{(entry) => <li>{formatDateTime(entry.createdAt)} · {entry.actor} · {entry.action} {entry.target ?? ""}</li>}</For>
      </ul>
    </section>
  );
}

function Staff(props: { me: Me }) {
  const [members, { refetch }] = createResource(() => trpc.backoffice.staffMembers.query());
  const [form, setForm] = createSignal({ email: "", name: "", role: "staff" as "staff" | "admin", password: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  async function create(event: SubmitEvent) {
    event.preventDefault();
    if (await attempt(setResult, () => trpc.backoffice.createStaff.mutate(form()), a().staffCreated)) {
      setForm({ email: "", name: "", role: "staff", password: "" });
      void refetch();
    }
  }
  async function changeRole(select: HTMLSelectElement, member: { userId: number; email: string; name: string | null; role: string }, role: "staff" | "admin") {
    // A role change gives or takes away the administrator's powers: ask first, and show the old role again if declined.
    if (!window.confirm(a().roleConfirm(member.name ?? member.email, role === "admin" ? a().roleAdmin : a().roleStaff))) {
      select.value = member.role;
      return;
    }
    const userId = member.userId;
    await attempt(setResult, () => trpc.backoffice.setStaffRole.mutate({ userId, role }), a().staffChanged);
    void refetch();
  }
  async function disable(userId: number, email: string) {
    if (!window.confirm(a().disableConfirm(email))) return;
    await attempt(setResult, () => trpc.backoffice.disableStaff.mutate({ userId }), a().staffChanged);
    void refetch();
  }
  return (
    <section>
      <h2>{a().staffTitle}</h2>
      <Result value={result()} />
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">{a().email}</th><th scope="col">{a().name}</th><th scope="col">{a().role}</th><th scope="col">{a().action}</th></tr></thead>
          <tbody>
            <For each={rowsOf(members)}>
              {(member) => (
                <tr>
                  <td>{member.email} {member.userId === props.me.userId ? a().you : ""}</td>
                  <td>{member.name ?? "–"}</td>
                  <td>
                    <Show when={!member.disabled && member.userId !== props.me.userId} fallback={<>{member.role === "admin" ? a().roleAdmin : a().roleStaff}{member.disabled ? ` (${a().disabled})` : ""}</>}>
                      <select aria-label={a().roleLabel(member.email)} value={member.role} onChange={(event) => void changeRole(event.currentTarget, member, event.currentTarget.value as "staff" | "admin")}>
                        <option value="staff">{a().roleStaff}</option>
                        <option value="admin">{a().roleAdmin}</option>
                      </select>
                    </Show>
                  </td>
                  <td class="actions">
                    <Show when={!member.disabled && member.userId !== props.me.userId}>
                      <button type="button" class="danger" onClick={() => disable(member.userId, member.email)} aria-label={a().disableLabel(member.email)}>{a().disable}</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <ListState of={members} empty={false} emptyText="" />
      <form class="card-panel" onSubmit={create} novalidate aria-label={a().newStaff}>
        <h3>{a().newStaff}</h3>
        <label for="staff-new-email">{a().email}</label>
        <input id="staff-new-email" type="email" autocomplete="off" value={form().email} onInput={(event) => setForm({ ...form(), email: event.currentTarget.value })} />
        <label for="staff-new-name">{a().name}</label>
        <input id="staff-new-name" value={form().name} onInput={(event) => setForm({ ...form(), name: event.currentTarget.value })} />
        <label for="staff-new-role">{a().role}</label>
        <select id="staff-new-role" value={form().role} onChange={(event) => setForm({ ...form(), role: event.currentTarget.value as "staff" | "admin" })}>
          <option value="staff">{a().roleStaff}</option>
          <option value="admin">{a().roleAdmin}</option>
        </select>
        <label for="staff-new-password">{a().initialPassword}</label>
        <input id="staff-new-password" type="password" autocomplete="new-password" value={form().password} onInput={(event) => setForm({ ...form(), password: event.currentTarget.value })} />
        <button type="submit">{a().newStaff}</button>
      </form>
    </section>
  );
}

const sections: Array<{ key: string; label: () => string; adminOnly?: boolean; render: (me: Me) => JSX.Element }> = [
  { key: "cards", label: () => a().cards, render: (me) => <Cards me={me} /> },
  { key: "devices", label: () => a().devices, adminOnly: true, render: (me) => <Devices me={me} /> },
  { key: "catalogue", label: () => a().catalogue, render: (me) => <Catalogue me={me} /> },
  { key: "payouts", label: () => a().payouts, adminOnly: true, render: () => <Payouts /> },
  { key: "support", label: () => a().support, render: () => <Support /> },
  { key: "reports", label: () => a().reports, render: () => <Reports /> },
  { key: "correction", label: () => a().correction, adminOnly: true, render: () => <Correction /> },
  { key: "audit", label: () => a().audit, adminOnly: true, render: () => <AuditLog /> },
  { key: "staff", label: () => a().staff, adminOnly: true, render: (me) => <Staff me={me} /> },
];

export function AdminPage() {
  const [me, { refetch }] = createResource(async () => {
    try {
      return await trpc.backoffice.me.query();
    } catch (error) {
      if (errorCode(error) === "UNAUTHORIZED" || errorCode(error) === "FORBIDDEN") return null;
      throw error;
    }
  });
  // The open section and a chosen correction target belong to one staff session: however it ended (Log ud, expiry, a
  // disabled account), the next person to sign in starts on Kort with no cardholder preselected.
  createEffect(() => {
    if (me.state === "ready" && me() === null) {
      setSection("cards");
      setCorrectionTarget(null);
    }
  });
  return (
    <div class="admin">
      <Switch>
        <Match when={me.state === "ready" && me() === null}>
          <SignIn onDone={() => void refetch()} />
        </Match>
        <Match when={me.state === "ready" && me()}>
          {(staff) => (
            <>
              <header class="topbar">
                <span class="brand">{a().brand}</span>
                <span>{staff().email} ({staff().role === "admin" ? a().roleAdmin : a().roleStaff})</span>
                <select aria-label={a().language} value={language()} onChange={(event) => setLanguage(event.currentTarget.value as "da" | "en")}>
                  <option value="da">Dansk</option>
                  <option value="en">English</option>
                </select>
                <button type="button" class="link-button" onClick={async () => { await trpc.backoffice.logout.mutate().catch(() => undefined); void refetch(); }}>{a().signOut}</button>
              </header>
              <nav class="tabs" aria-label={a().nav}>
                <For each={sections.filter((candidate) => !candidate.adminOnly || staff().role === "admin")}>
                  {(candidate) => (
                    <button type="button" class={section() === candidate.key ? "tab active" : "tab"} aria-pressed={section() === candidate.key ? "true" : "false"} onClick={() => setSection(candidate.key)}>
                      {candidate.label()}
                    </button>
                  )}
                </For>
              </nav>
              <main class="content">{(sections.find((candidate) => candidate.key === section() && (!candidate.adminOnly || staff().role === "admin")) ?? sections[0]!).render(staff())}</main>
            </>
          )}
        </Match>
        <Match when={me.state === "errored"}>
          <p role="alert" class="error">{a().loadFailed}</p>
        </Match>
      </Switch>
    </div>
  );
}
