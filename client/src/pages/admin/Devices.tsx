// Enheder: POS terminals and kitchen screens, created with a one-time secret and revoked (administrators).
import { createResource, createSignal, For, Show } from "solid-js";
import { trpc } from "../../trpc.ts";
import { a } from "../../admin-i18n.ts";
import { confirmDialog } from "../../components/ConfirmDialog.tsx";
import { type Me, Result, type Outcome, failureText, attempt, ListState, rowsOf, canteenOf, CanteenPicker, formKey, addCanteen } from "./shared.tsx";

export function Devices(props: { me: Me }) {
  const [devices, { refetch }] = createResource(() => trpc.backoffice.devices.query());
  const [name, setName] = createSignal("");
  const [kind, setKind] = createSignal<"terminal" | "screen">("terminal");
  const [secret, setSecret] = createSignal<string | null>(null);
  const [result, setResult] = createSignal<Outcome>(null);
  const [revokeResult, setRevokeResult] = createSignal<Outcome>(null);
  const [creating, setCreating] = createSignal(false);
  // Busy while it is created (a double click makes one device); the name is emptied after a success.
  const deviceKey = formKey(() => [kind(), name()]);
  async function create(event: SubmitEvent) {
    event.preventDefault();
    if (creating()) return;
    setCreating(true);
    try {
      const created = await trpc.backoffice.createDevice.mutate({ kind: kind(), canteenId: canteenOf(props.me).canteenId, name: name().trim() || (kind() === "terminal" ? "Kasse" : "Køkkenskærm"), idempotencyKey: deviceKey.key() });
      deviceKey.next();
      setSecret(created.secret);
      setResult({ ok: true, text: a().deviceCreated });
      setName("");
    } catch (error) {
      setResult({ ok: false, text: failureText(error) });
    } finally {
      setCreating(false);
    }
    void refetch();
  }
  async function revoke(deviceKind: "terminal" | "screen", id: number, name: string) {
    if (!(await confirmDialog({ title: a().revokeLabel(name), message: a().revokeConfirmFor(name), confirmLabel: a().revoke, danger: true }))) return;
    await attempt(setRevokeResult, () => trpc.backoffice.revokeDevice.mutate({ kind: deviceKind, id }), a().deviceRevoked);
    void refetch();
  }
  // Opret kantine (administrators): a school with several canteens gets each its own tills, screens, catalogue and menus.
  const [canteenName, setCanteenName] = createSignal("");
  const [creatingCanteen, setCreatingCanteen] = createSignal(false);
  // Each form says how it went inside itself: the canteen form's error never lands under the device form.
  const [canteenResult, setCanteenResult] = createSignal<Outcome>(null);
  const canteenKey = formKey(canteenName);
  async function createCanteen(event: SubmitEvent) {
    event.preventDefault();
    if (creatingCanteen()) return;
    setCreatingCanteen(true);
    try {
      const created = await trpc.backoffice.createCanteen.mutate({ name: canteenName().trim(), idempotencyKey: canteenKey.key() });
      canteenKey.next();
      addCanteen({ canteenId: created.canteenId, name: created.name, orderCutoffTime: "09:30" });
      setCanteenName("");
      setCanteenResult({ ok: true, text: a().canteenCreated(created.name) });
    } catch (error) {
      setCanteenResult({ ok: false, text: failureText(error) });
    } finally {
      setCreatingCanteen(false);
    }
  }
  return (
    <section>
      <h2>{a().devicesTitle}</h2>
      <form class="card-panel" onSubmit={createCanteen} novalidate aria-labelledby="create-canteen-title">
        <h3 id="create-canteen-title">{a().createCanteen}</h3>
        <label for="canteen-name">{a().newCanteen}</label>
        <input id="canteen-name" value={canteenName()} onInput={(event) => setCanteenName(event.currentTarget.value)} />
        <button type="submit" disabled={creatingCanteen()} aria-busy={creatingCanteen() ? "true" : undefined}>{creatingCanteen() ? a().saving : a().createCanteen}</button>
        <Result value={canteenResult()} />
      </form>
      <form class="card-panel" onSubmit={create} aria-labelledby="create-device-title">
        <h3 id="create-device-title">{a().createDevice}</h3>
        <CanteenPicker me={props.me} id="device-canteen" />
        <label for="device-kind">{a().type}</label>
        <select id="device-kind" onChange={(event) => setKind(event.currentTarget.value as "terminal" | "screen")}>
          <option value="terminal">{a().terminal}</option>
          <option value="screen">{a().screen}</option>
        </select>
        <label for="device-name">{a().name}</label>
        <input id="device-name" value={name()} onInput={(event) => setName(event.currentTarget.value)} />
        <button type="submit" disabled={creating()} aria-busy={creating() ? "true" : undefined}>{creating() ? a().saving : a().createDevice}</button>
        <Result value={result()} />
        <Show when={secret()}>
          <p role="status" class="notice">{a().secretOnce} <code data-testid="device-secret">{secret()}</code></p>
        </Show>
      </form>
      <Result value={revokeResult()} />
      <ListState of={devices} empty={rowsOf(devices).length === 0} emptyText={a().noDevices} />
      <ul>
        <For each={rowsOf(devices)}>
          {(device) => (
            <li>
              {a().deviceLine(device.kind, device.name, device.canteen, device.revoked)}
              <Show when={!device.revoked}>
                {" "}
                <button type="button" class="secondary" onClick={() => revoke(device.kind, device.id, device.name)} aria-label={a().revokeLabel(device.name)}>{a().revoke}</button>
              </Show>
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
