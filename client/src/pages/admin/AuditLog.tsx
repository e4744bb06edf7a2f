// Revisionslog: the tenant's audit log (administrators), each entry in words: who did what to which card and holder,
// with the amount and the reason.
import { createResource, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { ListState, rowsOf } from "./shared.tsx";
import { describeAudit, type AuditDetails } from "./audit-text.ts";

export function AuditLog() {
  const [entries] = createResource(() => trpc.backoffice.audit.query());
  return (
    <section>
      <h2>{a().audit}</h2>
      <ListState of={entries} empty={rowsOf(entries).length === 0} emptyText={a().noAudit} />
      <Show when={rowsOf(entries).length > 0}>
        <div class="table-scroll">
          <table class="compact audit-log">
            <thead>
              <tr>
                <th scope="col">{a().auditWhen}</th>
                <th scope="col">{a().auditWho}</th>
                <th scope="col">{a().auditWhat}</th>
              </tr>
            </thead>
            <tbody>
              <For each={rowsOf(entries)}>
                {(entry) => (
                  <tr data-action={entry.action}>
                    <td class="nowrap">{formatDateTime(entry.createdAt)}</td>
                    <td>{entry.actor}</td>
                    <td>{describeAudit(entry.action, entry.target, entry.details as AuditDetails)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>
      </Show>
    </section>
  );
}
