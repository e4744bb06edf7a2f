// Korrektion: a manual ledger correction for the cardholder chosen in Kort (administrators).
import { createSignal, Show } from "solid-js";
import { errorCode, trpc } from "../../trpc.ts";
import { formatOre, parseKroner } from "../../format.ts";
import { a } from "../../admin-i18n.ts";
import { confirmDialog } from "../../components/ConfirmDialog.tsx";
import { Result, type Outcome, failureText, setSection, correctionTarget } from "./shared.tsx";

export function Correction() {
  const [values, setValues] = createSignal({ amount: "", direction: "credit", reason: "" });
  const [result, setResult] = createSignal<Outcome>(null);
  const [running, setRunning] = createSignal(false);
  const [asking, setAsking] = createSignal(false);
  // One idempotency key per filled-in form: a double click or a retry after a lost answer posts the correction once.
  // Editing the form, a success or a decline starts a new one (the ledger stores declines under their key).
  const [idempotencyKey, setIdempotencyKey] = createSignal(crypto.randomUUID());
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const target = correctionTarget();
    if (!target || running() || asking()) return;
    const amountOre = parseKroner(values().amount);
    if (amountOre === null || amountOre <= 0) {
      setResult({ ok: false, text: a().badAmount });
      return;
    }
    const credit = values().direction === "credit";
    // A double click opens one question, not two; the idempotency key covers retries of the post itself.
    setAsking(true);
    const confirmed = await confirmDialog({ title: a().correctionConfirmTitle, message: a().correctionConfirm(formatOre(amountOre), credit, target.name), confirmLabel: a().post });
    setAsking(false);
    if (!confirmed) return;
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
      <button type="submit" disabled={running() || asking() || !correctionTarget()}>{running() ? a().posting : a().post}</button>
      <Result value={result()} />
    </form>
  );
}
