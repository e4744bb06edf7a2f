// Personale: staff accounts and their roles (administrators).
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { a } from "../../admin-i18n.ts";
import { confirmDialog } from "../../components/ConfirmDialog.tsx";
import { type Me, Result, type Outcome, attempt, ListState, rowsOf, formKey } from "./shared.tsx";

export function Staff(props: { me: Me }) {
  const [members, { refetch }] = createResource(() => trpc.backoffice.staffMembers.query());
  const [form, setForm] = createSignal({ email: "", name: "", role: "staff" as "staff" | "admin", password: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const staffKey = formKey(form);
  const [creating, setCreating] = createSignal(false);
  async function create(event: SubmitEvent) {
    event.preventDefault();
    if (creating()) return;
    setCreating(true);
    try {
      if (await attempt(setResult, () => trpc.backoffice.createStaff.mutate({ ...form(), idempotencyKey: staffKey.key() }), a().staffCreated)) {
        staffKey.next();
        setForm({ email: "", name: "", role: "staff", password: "" });
        void refetch();
      }
    } finally {
      setCreating(false);
    }
  }
  async function changeRole(select: HTMLSelectElement, member: { userId: number; email: string; name: string | null; role: string }, role: "staff" | "admin") {
    // A role change gives or takes away the administrator's powers: ask first, and show the old role again if declined.
    const roleName = role === "admin" ? a().roleAdmin : a().roleStaff;
    if (!(await confirmDialog({ title: a().roleTitle, message: a().roleConfirm(member.name ?? member.email, roleName), confirmLabel: a().roleTitle }))) {
      select.value = member.role;
      return;
    }
    const userId = member.userId;
    await attempt(setResult, () => trpc.backoffice.setStaffRole.mutate({ userId, role }), a().staffChanged);
    void refetch();
  }
  async function disable(userId: number, email: string) {
    if (!(await confirmDialog({ title: a().disableLabel(email), message: a().disableConfirm(email), confirmLabel: a().disable, danger: true }))) return;
    await attempt(setResult, () => trpc.backoffice.disableStaff.mutate({ userId }), a().staffChanged);
    void refetch();
  }
  return (
    <section>
      <h2>{a().staffTitle}</h2>
      <Result value={result()} />
      <div class="table-scroll">
        <table class="compact">
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
        <button type="submit" disabled={creating()} aria-busy={creating() ? "true" : undefined}>{creating() ? a().saving : a().newStaff}</button>
      </form>
    </section>
  );
}
