// The confirmation step before money moves (Overfør, Udbetal): what will happen, Tilbage, and the one button that does it.
import type { JSX } from "solid-js";
import { t } from "./i18n.ts";

export function ConfirmMoneyMove(props: { label: string; text: JSX.Element; confirmLabel: string; busy: boolean; onBack: () => void; onConfirm: () => void }) {
  return (
    <div class="notice" role="alertdialog" aria-label={props.label}>
      <p>{props.text}</p>
      <div class="actions">
        <button type="button" class="secondary" onClick={() => props.onBack()}>{t().back}</button>
        <button type="button" disabled={props.busy} onClick={() => props.onConfirm()}>{props.confirmLabel}</button>
      </div>
    </div>
  );
}
