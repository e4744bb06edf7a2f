// The confirmation step before money moves (Overfør, Udbetal): what will happen, Tilbage, and the one button that does it.
import type { JSX } from "solid-js";
import { ConfirmDialog } from "./components/ConfirmDialog.tsx";

/** The shared in-app dialog with the money move's wording; unmounting it (Tilbage, Escape, done) closes it. */
export function ConfirmMoneyMove(props: { label: string; text: JSX.Element; confirmLabel: string; busy: boolean; onBack: () => void; onConfirm: () => void }) {
  return <ConfirmDialog title={props.label} message={props.text} confirmLabel={props.confirmLabel} busy={props.busy} onCancel={() => props.onBack()} onConfirm={() => props.onConfirm()} />;
}
