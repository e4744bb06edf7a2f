// The one in-app confirmation dialog (portal, kitchen, back office): modal, role alertdialog, focus trapped, Escape cancels.
import { createUniqueId, onCleanup, onMount, Show, type JSX } from "solid-js";
import { render } from "solid-js/web";
import { language } from "../language.ts";

// Its one word of its own, so the back office can use the dialog without the portal's dictionary.
const BACK = { da: "Tilbage", en: "Back" } as const;

export interface ConfirmDialogProps {
  /** The dialog's accessible name and heading, e.g. "Annuller ordre". */
  title: string;
  /** What will happen, in a sentence the user can say yes or no to. */
  message?: JSX.Element;
  /** The button that does it; name the action ("Annuller ordre"), not "OK". */
  confirmLabel: string;
  /** The way out; defaults to "Tilbage" / "Back". */
  cancelLabel?: string;
  /** A destructive action (block, cancel, delete) gets the red button. */
  danger?: boolean;
  /** While the action runs: the confirm button is disabled and Escape does nothing, so it cannot be sent twice. */
  busy?: boolean;
  /** A failure to show inside the dialog, so the user can try again or go back. */
  error?: string | null;
  /** "alertdialog" (default) interrupts for a decision; "dialog" for a form-like question. */
  role?: "alertdialog" | "dialog";
  onConfirm: () => void;
  onCancel: () => void;
  /** Extra content under the message (details, a reason field). */
  children?: JSX.Element;
  /**
   * A dialog that asks for input (a reason, a card number): the first field has the first focus instead of the cancel
   * button, and Enter in a one-line field confirms, as it would submit a form.
   */
  form?: boolean;
}

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * Shown while mounted: the caller renders it inside `<Show when={asking()}>` and unmounts it in onConfirm/onCancel.
 * It opens as a native modal <dialog>, so the page behind is inert to mouse and screen readers; Tab and Shift+Tab are
 * kept inside by hand as well, because a modal dialog alone still lets focus leave for the browser's own controls.
 * The safe button (cancel) has the first focus, as WAI-ARIA asks for a destructive question, and focus returns to
 * whatever opened the dialog when it goes away.
 */
export function ConfirmDialog(props: ConfirmDialogProps): JSX.Element {
  const titleId = createUniqueId();
  const messageId = createUniqueId();
  let dialog!: HTMLDialogElement;
  let cancelButton!: HTMLButtonElement;
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;

  const cancel = () => {
    if (!props.busy) props.onCancel();
  };

  onMount(() => {
    if (!dialog.open) dialog.showModal();
    const field = props.form ? dialog.querySelector<HTMLElement>("input:not([disabled]), select:not([disabled]), textarea:not([disabled])") : null;
    (field ?? cancelButton).focus();
  });
  onCleanup(() => {
    if (dialog.open) dialog.close();
    if (opener?.isConnected) opener.focus();
  });

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "Escape") {
      // Handled here rather than by the browser's own cancel, which would close the dialog behind the caller's back.
      event.preventDefault();
      cancel();
      return;
    }
    if (event.key === "Enter" && props.form && event.target instanceof HTMLInputElement && event.target.type !== "checkbox") {
      event.preventDefault();
      if (!props.busy) props.onConfirm();
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (event.shiftKey && (document.activeElement === first || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !dialog.contains(document.activeElement))) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog
      ref={dialog}
      class="confirm-dialog"
      role={props.role ?? "alertdialog"}
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={props.message !== undefined ? messageId : undefined}
      onKeyDown={onKeyDown}
      // The browser's cancel (Escape on some platforms, a close request) becomes our cancel; the caller unmounts us.
      onCancel={(event) => {
        event.preventDefault();
        cancel();
      }}
    >
      <h2 id={titleId}>{props.title}</h2>
      <Show when={props.message !== undefined}>
        <p id={messageId}>{props.message}</p>
      </Show>
      {props.children}
      <Show when={props.error}>
        <p role="alert" class="error">{props.error}</p>
      </Show>
      <div class="actions">
        <button type="button" class="secondary" ref={cancelButton} onClick={cancel} disabled={props.busy}>
          {props.cancelLabel ?? BACK[language()]}
        </button>
        <button type="button" class={props.danger ? "danger" : undefined} disabled={props.busy} aria-busy={props.busy ? "true" : undefined} onClick={() => props.onConfirm()}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/**
 * The drop-in for `window.confirm()`: `if (!(await confirmDialog({ title, message, confirmLabel }))) return;`.
 * Resolves true on confirm, false on cancel or Escape; the dialog mounts in its own root on <body> and removes itself.
 */
export function confirmDialog(options: Omit<ConfirmDialogProps, "onConfirm" | "onCancel" | "busy" | "error" | "children">): Promise<boolean> {
  return new Promise((resolve) => {
    const host = document.createElement("div");
    document.body.append(host);
    let dispose: () => void = () => undefined;
    const finish = (answer: boolean) => {
      dispose();
      host.remove();
      resolve(answer);
    };
    dispose = render(() => <ConfirmDialog {...options} onConfirm={() => finish(true)} onCancel={() => finish(false)} />, host);
  });
}
