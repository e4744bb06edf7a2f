// Revisionslog: the tenant's audit log (administrators).
import { createResource, For } from "solid-js";
import { trpc } from "../../trpc.ts";
import { formatDateTime } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { ListState, rowsOf } from "./shared.tsx";

export function AuditLog() {
  const [entries] = createResource(() => trpc.backoffice.audit.query({ limit: 200 }).then((page) => page.entries));
  return (
    <section>
      <h2>{a().audit}</h2>
      <ListState of={entries} empty={rowsOf(entries).length === 0} emptyText={a().noAudit} />
      <ul>
        <For each={rowsOf(entries)}>{(entry) => <li>{formatDateTime(entry.createdAt)} · {entry.actor} · {entry.action} · {entry.summary.da}</li>}</For>
      </ul>
    </section>
  );
}
