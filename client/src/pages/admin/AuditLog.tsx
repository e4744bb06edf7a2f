// Revisionslog: the tenant's audit log (administrators), each entry in words (who did what to which card and holder, the
// amount and the reason), filtered by who, what kind and which days, a page at a time, newest first.
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { language } from "../../language.ts";
import { a } from "../../admin-i18n.ts";
import { AUDIT_ACTIONS } from "../../../../common/audit.ts";
import { ListState, rowsOf } from "./shared.tsx";

const PAGE_SIZE = 50;

/** The kinds staff filter on, each the audit actions it covers. */
const KINDS = {
  cards: ["card.issue", "card.block", "card.unblock", "card.replace", "card.letter", "cards.import", "cardholder.schooling"],
  guardians: ["guardian.link", "guardian.unlink"],
  corrections: ["ledger.correction"],
  payouts: ["payout.paid", "payout.rejected"],
  catalogue: ["product.create", "product.update", "menu.set", "canteen.create", "canteen.cutoff"],
  devices: ["terminal.create", "terminal.revoke", "screen.create", "screen.revoke"],
  staff: ["staff.create", "staff.role", "staff.disable"],
  support: ["support.reply", "support.close"],
} as const satisfies Record<string, ReadonlyArray<keyof typeof AUDIT_ACTIONS>>;
type Kind = keyof typeof KINDS;

interface Filters {
  actorUserId: number | null;
  kind: Kind | "";
  from: string;
  to: string;
}

export function AuditLog() {
  const [staff] = createResource(() => trpc.backoffice.staffMembers.query());
  const [filters, setFilters] = createSignal<Filters>({ actorUserId: null, kind: "", from: "", to: "" });
  // The pages seen so far: each entry is the beforeId that opened it (null for the newest page), so Forrige goes back.
  const [pages, setPages] = createSignal<Array<number | null>>([null]);
  const beforeId = () => pages()[pages().length - 1] ?? null;
  const [page] = createResource(
    () => ({ ...filters(), beforeId: beforeId() }),
    (query) =>
      trpc.backoffice.audit.query({
        limit: PAGE_SIZE,
        ...(query.actorUserId !== null ? { actorUserId: query.actorUserId } : {}),
        ...(query.kind ? { actions: [...KINDS[query.kind]] } : {}),
        ...(query.from ? { from: query.from } : {}),
        ...(query.to ? { to: query.to } : {}),
        ...(query.beforeId !== null ? { beforeId: query.beforeId } : {}),
      }),
  );
  const entries = () => (page.error ? [] : (page()?.entries ?? []));
  /** A changed filter starts again at the newest page. */
  const filter = (change: Partial<Filters>) => {
    setFilters({ ...filters(), ...change });
    setPages([null]);
  };
  const summary = (entry: { summary: { da: string; en: string } }) => (language() === "en" ? entry.summary.en : entry.summary.da);
  const actionName = (action: string) => {
    const words = (AUDIT_ACTIONS as Record<string, { da: string; en: string }>)[action];
    return words ? (language() === "en" ? words.en : words.da) : action;
  };

  return (
    <section>
      <h2>{a().audit}</h2>
      <form class="filters card-panel" role="search" aria-label={a().auditFilters} onSubmit={(event) => event.preventDefault()}>
        <div>
          <label for="audit-actor">{a().auditWho}</label>
          <select id="audit-actor" value={filters().actorUserId ?? ""} onChange={(event) => filter({ actorUserId: event.currentTarget.value ? Number(event.currentTarget.value) : null })}>
            <option value="">{a().auditEveryone}</option>
            <For each={rowsOf(staff)}>{(member) => <option value={member.userId}>{member.name ? `${member.name} (${member.email})` : member.email}</option>}</For>
          </select>
        </div>
        <div>
          <label for="audit-kind">{a().auditKind}</label>
          <select id="audit-kind" value={filters().kind} onChange={(event) => filter({ kind: event.currentTarget.value as Kind | "" })}>
            <option value="">{a().auditAllKinds}</option>
            <For each={Object.keys(KINDS) as Kind[]}>{(kind) => <option value={kind}>{a().auditKinds[kind]}</option>}</For>
          </select>
        </div>
        <div>
          <label for="audit-from">{a().auditFrom}</label>
          <input id="audit-from" type="date" value={filters().from} onChange={(event) => filter({ from: event.currentTarget.value })} />
        </div>
        <div>
          <label for="audit-to">{a().auditTo}</label>
          <input id="audit-to" type="date" value={filters().to} onChange={(event) => filter({ to: event.currentTarget.value })} />
        </div>
        <Show when={filters().actorUserId !== null || filters().kind || filters().from || filters().to}>
          <button type="button" class="secondary" onClick={() => filter({ actorUserId: null, kind: "", from: "", to: "" })}>{a().auditClear}</button>
        </Show>
      </form>
      <ListState of={page} empty={entries().length === 0} emptyText={a().noAudit} />
      <Show when={entries().length > 0}>
        <div class="table-scroll">
          <table class="compact audit-log" aria-label={a().audit}>
            <thead>
              <tr>
                <th scope="col">{a().auditWhen}</th>
                <th scope="col">{a().auditWho}</th>
                <th scope="col">{a().auditKind}</th>
                <th scope="col">{a().auditWhat}</th>
              </tr>
            </thead>
            <tbody>
              <For each={entries()}>
                {(entry) => (
                  <tr data-action={entry.action}>
                    <td class="nowrap">{formatDateTime(entry.createdAt)}</td>
                    <td>{entry.actor}</td>
                    <td>{actionName(entry.action)}</td>
                    <td>{summary(entry)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
      <nav class="pager" aria-label={a().paging}>
        <button type="button" class="secondary" disabled={pages().length <= 1 || page.loading} onClick={() => setPages(pages().slice(0, -1))}>‹ {a().newer}</button>
        <span data-testid="audit-page">{a().pageNumber(pages().length)}</span>
        <button type="button" class="secondary" disabled={!page()?.nextBeforeId || page.loading} onClick={() => setPages([...pages(), page()!.nextBeforeId])}>{a().older} ›</button>
      </nav>
    </section>
  );
}
