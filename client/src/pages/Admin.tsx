// Back office (Danish first): staff sign-in, then cards, devices, catalogue and menus, payouts, support, reports, corrections, audit log.
import { createResource, createSignal, For, Match, Show, Switch, type JSX } from "solid-js";
import { errorCode, fieldIssues, trpc } from "../trpc.ts";
import { formatDateTime, formatOre } from "../format.ts";
import { localise } from "../i18n.ts";

type Me = Awaited<ReturnType<typeof trpc.backoffice.me.query>>;

function SignIn(props: { onDone: () => void }) {
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [message, setMessage] = createSignal<string | null>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const result = await trpc.backoffice.login.mutate({ email: email().trim(), password: password() }).catch(() => null);
    if (result?.ok) props.onDone();
    else setMessage(result && result.reason === "locked" ? `For mange forsøg. Prøv igen om ${Math.ceil(result.retryAfterSeconds / 60)} minutter.` : "Forkert e-mail eller adgangskode.");
  }
  return (
    <form class="card-panel narrow-panel" onSubmit={submit} novalidate>
      <h1>Kantinekort – administration</h1>
      <label for="staff-email">E-mail</label>
      <input id="staff-email" type="email" autocomplete="username" value={email()} onInput={(event) => setEmail(event.currentTarget.value)} />
      <label for="staff-password">Adgangskode</label>
      <input id="staff-password" type="password" autocomplete="current-password" value={password()} onInput={(event) => setPassword(event.currentTarget.value)} />
      <Show when={message()}><p role="alert" class="error">{message()}</p></Show>
      <button type="submit">Log på</button>
    </form>
  );
}

function Result(props: { value: { ok: boolean; text: string } | null }) {
  return <Show when={props.value}>{(shown) => <p role={shown().ok ? "status" : "alert"} class={shown().ok ? "success" : "error"}>{shown().text}</p>}</Show>;
}

function Cards() {
  const [query, setQuery] = createSignal("");
  const [results, { refetch }] = createResource(query, (value) => trpc.backoffice.searchCards.query({ query: value }));
  const [fields, setFields] = createSignal({ name: "", email: "", school: "", className: "", track: "" });
  const [issued, setIssued] = createSignal<{ cardNumber: string; verificationCode: string; name: string } | null>(null);
  const [result, setResult] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [csv, setCsv] = createSignal("navn;e-mail;skole;klasse;spor\n");
  const [importResult, setImportResult] = createSignal<Awaited<ReturnType<typeof trpc.backoffice.importCards.mutate>> | null>(null);
  async function issue(event: SubmitEvent) {
    event.preventDefault();
    try {
      const card = await trpc.backoffice.issueCard.mutate(fields());
      setIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: fields().name });
      setResult(null);
      void refetch();
    } catch (error) {
      setResult({ ok: false, text: Object.values(fieldIssues(error)).map(localise).join(" ") || "Noget gik galt." });
    }
  }
  async function status(cardId: number, next: "active" | "blocked") {
    await trpc.backoffice.setCardStatus.mutate({ cardId, status: next });
    void refetch();
  }
  async function replace(cardId: number, name: string | null) {
    if (!window.confirm("Erstat kortet? Det gamle kort spærres, saldoen følger med.")) return;
    const card = await trpc.backoffice.replaceCard.mutate({ cardId });
    setIssued({ cardNumber: card.cardNumber, verificationCode: card.verificationCode, name: name ?? "" });
    void refetch();
  }
  async function schooling(row: { userId: number; school: string | null; className: string | null; track: string | null }) {
    const answer = window.prompt("Skole; Klasse; Spor", [row.school, row.className, row.track].map((value) => value ?? "").join("; "));
    if (answer === null) return;
    const [school, className, track] = answer.split(";").map((value) => value.trim() || null);
    await trpc.backoffice.setSchooling.mutate({ userId: row.userId, school: school ?? null, className: className ?? null, track: track ?? null });
    void refetch();
  }
  async function runImport(commit: boolean) {
    setImportResult(await trpc.backoffice.importCards.mutate({ csv: csv(), commit }));
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
      <h2>Kort og kortholdere</h2>
      <label for="card-search">Søg (navn, kortnummer, skole, klasse)</label>
      <input id="card-search" type="search" value={query()} onInput={(event) => setQuery(event.currentTarget.value)} />
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">Navn</th><th scope="col">Kortnummer</th><th scope="col">Klasse</th><th scope="col" class="number">Saldo</th><th scope="col">Status</th><th scope="col">Handling</th></tr></thead>
          <tbody>
            <For each={results()}>
              {(row) => (
                <tr>
                  <td>{row.name ?? "–"}</td>
                  <td>{row.cardNumber}</td>
                  <td>{[row.school, row.className, row.track].filter(Boolean).join(" / ")}</td>
                  <td class="number">{formatOre(row.balanceOre)}</td>
                  <td>{row.status === "active" ? "Aktiv" : "Spærret"}</td>
                  <td class="actions">
                    <button type="button" class="secondary" onClick={() => status(row.cardId, row.status === "active" ? "blocked" : "active")}>{row.status === "active" ? "Spær" : "Åbn"}</button>
                    <button type="button" class="secondary" onClick={() => replace(row.cardId, row.name)}>Erstat kort</button>
                    <button type="button" class="secondary" onClick={() => schooling(row)}>Skole/klasse</button>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
      <form class="card-panel" onSubmit={issue} novalidate aria-label="Udsted kort">
        <h3>Udsted kort</h3>
        {field("name", "Navn")}
        {field("email", "E-mail")}
        {field("school", "Skole")}
        {field("className", "Klasse")}
        {field("track", "Spor")}
        <button type="submit">Udsted kort</button>
      </form>
      <Result value={result()} />
      <Show when={issued()}>
        {(card) => (
          <div class="card-letter" role="status" aria-label="Kortbrev">
            <h3>Kortbrev – {card().name}</h3>
            <p>Brugernavn (kortnummer): <strong data-testid="issued-card-number">{card().cardNumber}</strong></p>
            <p>Verifikationskode: <strong data-testid="issued-code">{card().verificationCode}</strong></p>
            <p class="hint">Koden vises kun denne ene gang. Udskriv brevet og giv det til kortholderen.</p>
            <button type="button" class="secondary" onClick={() => window.print()}>Udskriv kortbrev</button>
          </div>
        )}
      </Show>
      <div class="card-panel">
        <h3>Importér klasseliste (CSV)</h3>
        <label for="import-csv">CSV med kolonnerne navn; e-mail; skole; klasse; spor</label>
        <textarea id="import-csv" rows="6" value={csv()} onInput={(event) => setCsv(event.currentTarget.value)} />
        <div class="actions">
          <button type="button" class="secondary" onClick={() => runImport(false)}>Forhåndsvis</button>
          <button type="button" onClick={() => runImport(true)}>Importér</button>
        </div>
        <Show when={importResult()}>
          {(shown) => (
            <div role="status">
              <Show when={shown().errors.length > 0}>
                <ul class="error">
                  <For each={shown().errors}>{(error) => <li>Linje {error.line}: {localise(error.message)}</li>}</For>
                </ul>
                <p class="error">Intet er gemt. Ret fejlene og prøv igen.</p>
              </Show>
              <Show when={shown().ok && shown().issued.length === 0}><p>{shown().rows.length} elever er klar til import.</p></Show>
              <Show when={shown().issued.length > 0}>
                <p class="success">{shown().issued.length} kort er udstedt.</p>
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
  async function create(event: SubmitEvent) {
    event.preventDefault();
    const created = await trpc.backoffice.createDevice.mutate({ kind: kind(), canteenId: props.me.canteens[0]!.canteenId, name: name().trim() || "Kasse" });
    setSecret(created.secret);
    void refetch();
  }
  async function revoke(deviceKind: "terminal" | "screen", id: number) {
    if (!window.confirm("Tilbagekald? Nøglen virker ikke længere.")) return;
    await trpc.backoffice.revokeDevice.mutate({ kind: deviceKind, id });
    void refetch();
  }
  return (
    <section>
      <h2>Kasser og køkkenskærme</h2>
      <form class="card-panel" onSubmit={create} aria-label="Opret enhed">
        <label for="device-kind">Type</label>
        <select id="device-kind" onChange={(event) => setKind(event.currentTarget.value as "terminal" | "screen")}>
          <option value="terminal">Kasse (POS)</option>
          <option value="screen">Køkkenskærm</option>
        </select>
        <label for="device-name">Navn</label>
        <input id="device-name" value={name()} onInput={(event) => setName(event.currentTarget.value)} />
        <button type="submit">Opret</button>
      </form>
      <Show when={secret()}>
        <p role="status" class="notice">Nøgle (vises kun nu): <code data-testid="device-secret">{secret()}</code></p>
      </Show>
      <ul>
        <For each={devices()}>
          {(device) => (
            <li>
              {device.kind === "terminal" ? "Kasse" : "Skærm"}: {device.name} ({device.canteen}) – {device.revoked ? "tilbagekaldt" : "aktiv"}
              <Show when={!device.revoked}>
                {" "}
                <button type="button" class="secondary" onClick={() => revoke(device.kind, device.id)} aria-label={`Tilbagekald ${device.name}`}>Tilbagekald</button>
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
  const [result, setResult] = createSignal<{ ok: boolean; text: string } | null>(null);
  const [cutoff, setCutoff] = createSignal(props.me.canteens[0]!.orderCutoffTime);
  async function add(event: SubmitEvent) {
    event.preventDefault();
    const priceOre = Math.round(Number(form().price.replace(",", ".")) * 100);
    try {
      await trpc.backoffice.saveProduct.mutate({ canteenId, name: form().name, category: form().category, priceOre, allergens: form().allergens || undefined, active: true });
      setResult({ ok: true, text: "Produktet er gemt." });
      void refetch();
    } catch (error) {
      setResult({ ok: false, text: Object.values(fieldIssues(error)).map(localise).join(" ") || "Noget gik galt." });
    }
  }
  async function toggle(day: string, productId: number, offered: boolean) {
    await trpc.backoffice.setMenuItem.mutate({ canteenId, deliveryDay: day, productId, offered, quantityLimit: null });
    void refetchWeek();
  }
  return (
    <section>
      <h2>Katalog og menuer</h2>
      <form class="card-panel" onSubmit={add} aria-label="Nyt produkt">
        <label for="product-name">Navn</label>
        <input id="product-name" value={form().name} onInput={(event) => setForm({ ...form(), name: event.currentTarget.value })} />
        <label for="product-category">Kategori</label>
        <input id="product-category" value={form().category} onInput={(event) => setForm({ ...form(), category: event.currentTarget.value })} />
        <label for="product-price">Pris (kr.)</label>
        <input id="product-price" inputmode="decimal" value={form().price} onInput={(event) => setForm({ ...form(), price: event.currentTarget.value })} />
        <label for="product-allergens">Allergener</label>
        <input id="product-allergens" value={form().allergens} onInput={(event) => setForm({ ...form(), allergens: event.currentTarget.value })} />
        <button type="submit">Gem produkt</button>
      </form>
      <Result value={result()} />
      <form class="card-panel" onSubmit={async (event) => { event.preventDefault(); await trpc.backoffice.setOrderCutoff.mutate({ canteenId, time: cutoff() }); setResult({ ok: true, text: "Bestillingsfristen er gemt." }); }}>
        <label for="cutoff">Bestillingsfrist (samme dag, tt:mm)</label>
        <input id="cutoff" value={cutoff()} onInput={(event) => setCutoff(event.currentTarget.value)} />
        <button type="submit">Gem frist</button>
      </form>
      <div class="table-scroll">
        <table aria-label="Ugens menu">
          <thead>
            <tr>
              <th scope="col">Produkt</th>
              <For each={days}>{(day) => <th scope="col">{day.slice(5)}</th>}</For>
            </tr>
          </thead>
          <tbody>
            <For each={products()}>
              {(product) => (
                <tr>
                  <th scope="row">{product.name} ({formatOre(product.priceOre)})</th>
                  <For each={days}>
                    {(day) => {
                      const offered = () => Boolean(week()?.[day]?.some((item) => item.productId === product.productId));
                      return (
                        <td>
                          <input type="checkbox" aria-label={`${product.name} ${day}`} checked={offered()} onChange={(event) => toggle(day, product.productId, event.currentTarget.checked)} />
                        </td>
                      );
                    }}
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
  async function decide(payoutId: number, status: "paid" | "rejected") {
    if (status === "rejected") {
      const reason = window.prompt("Årsag til afvisning");
      if (!reason) return;
      await trpc.backoffice.decidePayout.mutate({ payoutId, status, reason });
    } else await trpc.backoffice.decidePayout.mutate({ payoutId, status });
    void refetch();
  }
  async function exportCsv() {
    const csv = await trpc.backoffice.payoutsCsv.query();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    link.download = "udbetalinger.csv";
    link.click();
  }
  return (
    <section>
      <h2>Udbetalinger</h2>
      <button type="button" class="secondary" onClick={exportCsv}>Eksportér ventende som CSV</button>
      <div class="table-scroll">
        <table>
          <thead><tr><th scope="col">Kortholder</th><th scope="col">Konto</th><th scope="col" class="number">Beløb</th><th scope="col">Status</th><th scope="col">Handling</th></tr></thead>
          <tbody>
            <For each={payouts()}>
              {(payout) => (
                <tr>
                  <td>{payout.cardholder ?? payout.name}</td>
                  <td>{payout.registrationNumber} {payout.bankAccountNumber}</td>
                  <td class="number">{formatOre(payout.amountOre)}</td>
                  <td>{({ pending: "Afventer", paid: "Udbetalt", rejected: "Afvist" } as Record<string, string>)[payout.status]}</td>
                  <td class="actions">
                    <Show when={payout.status === "pending"}>
                      <button type="button" onClick={() => decide(payout.payoutId, "paid")} aria-label={`Marker ${payout.payoutId} som udbetalt`}>Udbetalt</button>
                      <button type="button" class="danger" onClick={() => decide(payout.payoutId, "rejected")} aria-label={`Afvis ${payout.payoutId}`}>Afvis</button>
                    </Show>
                  </td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
      </div>
    </section>
  );
}

function Support() {
  const [cases, { refetch }] = createResource(() => trpc.backoffice.supportCases.query());
  const [reply, setReply] = createSignal<Record<number, string>>({});
  return (
    <section>
      <h2>Supportsager</h2>
      <Show when={cases()?.length === 0}><p>Ingen sager.</p></Show>
      <For each={cases()}>
        {(supportCase) => (
          <article class="card-panel">
            <h3>{supportCase.caseNumber} – {supportCase.name} ({supportCase.status === "open" ? "åben" : "lukket"})</h3>
            <p>{supportCase.email} {supportCase.phone ?? ""} · kort {supportCase.cardNumber} · {formatDateTime(supportCase.createdAt)}</p>
            <p>{supportCase.description}</p>
            <Show when={supportCase.status === "open"}>
              <label for={`reply-${supportCase.caseId}`}>Svar</label>
              <textarea id={`reply-${supportCase.caseId}`} rows="3" value={reply()[supportCase.caseId] ?? ""} onInput={(event) => setReply({ ...reply(), [supportCase.caseId]: event.currentTarget.value })} />
              <div class="actions">
                <button type="button" onClick={async () => { await trpc.backoffice.replySupport.mutate({ caseId: supportCase.caseId, message: reply()[supportCase.caseId] ?? "" }); setReply({ ...reply(), [supportCase.caseId]: "" }); }}>Send svar</button>
                <button type="button" class="secondary" onClick={async () => { await trpc.backoffice.closeSupport.mutate({ caseId: supportCase.caseId }); void refetch(); }}>Luk sag</button>
              </div>
            </Show>
          </article>
        )}
      </For>
    </section>
  );
}

function Reports() {
  const [day, setDay] = createSignal(new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Copenhagen" }).format(new Date()));
  const [report] = createResource(day, (value) => trpc.backoffice.report.query({ day: value }));
  const max = () => Math.max(1, ...(report()?.salesByProduct.map((row) => row.amountOre) ?? [1]));
  return (
    <section>
      <h2>Rapporter</h2>
      <label for="report-day">Dag</label>
      <input id="report-day" type="date" value={day()} onInput={(event) => setDay(event.currentTarget.value)} />
      <Show when={report()}>
        {(shown) => (
          <>
            <dl class="totals">
              <For each={shown().salesByCanteen}>{(row) => <><dt>Salg {row.canteen}</dt><dd>{formatOre(row.salesOre)} ({row.count})</dd></>}</For>
              <dt>Indbetalinger</dt><dd>{formatOre(shown().depositsOre)}</dd>
              <dt>Udbetalinger</dt><dd>{formatOre(shown().payoutsOre)}</dd>
              <dt>Tilgodehavende på kort (forpligtelse)</dt><dd>{formatOre(shown().liabilityOre)}</dd>
              <dt>ledger:check</dt><dd class={shown().ledger.ok ? "success" : "error"}>{shown().ledger.ok ? "OK" : shown().ledger.violations.join("; ")}</dd>
            </dl>
            <figure aria-label="Salg pr. produkt">
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
            <a class="button-link" download={`salg-${day()}.csv`} href={`data:text/csv;charset=utf-8,${encodeURIComponent(shown().csv)}`}>Download CSV</a>
          </>
        )}
      </Show>
    </section>
  );
}

function Correction() {
  const [values, setValues] = createSignal({ accountId: "", amount: "", direction: "credit", reason: "" });
  const [result, setResult] = createSignal<{ ok: boolean; text: string } | null>(null);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    try {
      const answer = await trpc.backoffice.correct.mutate({
        accountId: Number(values().accountId),
        amountOre: Math.round(Number(values().amount.replace(",", ".")) * 100),
        direction: values().direction as "credit" | "debit",
        reason: values().reason,
        idempotencyKey: crypto.randomUUID(),
      });
      setResult(answer.ok ? { ok: true, text: "Korrektionen er bogført." } : { ok: false, text: "Ikke penge nok på kontoen." });
    } catch (error) {
      setResult({ ok: false, text: Object.values(fieldIssues(error)).map(localise).join(" ") || (errorCode(error) === "NOT_FOUND" ? "Kontoen findes ikke." : "Noget gik galt.") });
    }
  }
  const set = (key: string, value: string) => setValues({ ...values(), [key]: value });
  return (
    <form class="card-panel" onSubmit={submit} aria-label="Korrektion">
      <h2>Manuel korrektion</h2>
      <label for="correction-account">Konto-id</label>
      <input id="correction-account" inputmode="numeric" value={values().accountId} onInput={(event) => set("accountId", event.currentTarget.value)} />
      <label for="correction-amount">Beløb (kr.)</label>
      <input id="correction-amount" inputmode="decimal" value={values().amount} onInput={(event) => set("amount", event.currentTarget.value)} />
      <label for="correction-direction">Retning</label>
      <select id="correction-direction" onChange={(event) => set("direction", event.currentTarget.value)}>
        <option value="credit">Indsæt på kortet</option>
        <option value="debit">Træk fra kortet</option>
      </select>
      <label for="correction-reason">Årsag (skal udfyldes)</label>
      <input id="correction-reason" value={values().reason} onInput={(event) => set("reason", event.currentTarget.value)} />
      <button type="submit">Bogfør korrektion</button>
      <Result value={result()} />
    </form>
  );
}

function AuditLog() {
  const [entries] = createResource(() => trpc.backoffice.audit.query());
  return (
    <section>
      <h2>Revisionslog</h2>
      <ul>
        <For each={entries()}>{(entry) => <li>{formatDateTime(entry.createdAt)} · {entry.actor} · {entry.action} {entry.target ?? ""}</li>}</For>
      </ul>
    </section>
  );
}

const sections: Array<{ key: string; label: string; adminOnly?: boolean; render: (me: Me) => JSX.Element }> = [
  { key: "cards", label: "Kort", render: () => <Cards /> },
  { key: "devices", label: "Kasser og skærme", adminOnly: true, render: (me) => <Devices me={me} /> },
  { key: "catalogue", label: "Katalog og menuer", render: (me) => <Catalogue me={me} /> },
  { key: "payouts", label: "Udbetalinger", adminOnly: true, render: () => <Payouts /> },
  { key: "support", label: "Support", render: () => <Support /> },
  { key: "reports", label: "Rapporter", render: () => <Reports /> },
  { key: "correction", label: "Korrektion", adminOnly: true, render: () => <Correction /> },
  { key: "audit", label: "Revisionslog", adminOnly: true, render: () => <AuditLog /> },
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
  const [section, setSection] = createSignal("cards");
  return (
    <div class="admin">
      <Switch>
        <Match when={me.state === "ready" && me() === null}>
          <SignIn onDone={() => void refetch()} />
        </Match>
        <Match when={me()}>
          {(staff) => (
            <>
              <header class="topbar">
                <span class="brand">Kantinekort · administration</span>
                <span>{staff().email} ({staff().role === "admin" ? "administrator" : "kantinepersonale"})</span>
                <button type="button" class="link-button" onClick={async () => { await trpc.backoffice.logout.mutate(); void refetch(); }}>Log ud</button>
              </header>
              <nav class="tabs" aria-label="Administration">
                <For each={sections.filter((candidate) => !candidate.adminOnly || staff().role === "admin")}>
                  {(candidate) => (
                    <button type="button" class={section() === candidate.key ? "tab active" : "tab"} aria-pressed={section() === candidate.key ? "true" : "false"} onClick={() => setSection(candidate.key)}>
                      {candidate.label}
                    </button>
                  )}
                </For>
              </nav>
              <main class="content">{sections.find((candidate) => candidate.key === section())!.render(staff())}</main>
            </>
          )}
        </Match>
      </Switch>
    </div>
  );
}
