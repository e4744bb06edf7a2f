// Keyboard input at the till: a card reader that types digits and Enter (keyboard wedge) without a focused field, and shortcut keys.

/** Whether a key event belongs to a field the user is typing in, which then handles its own keys. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

export interface TillKeyHandlers {
  /** Digits typed so far (the reader's or a person's), shown on screen. */
  digits(): string;
  setDigits(digits: string): void;
  /** Enter after digits: a card number was read. */
  onCard(cardNumber: string): void;
  /** Every other key outside fields; return true when it was used, so its default action is cancelled. */
  onKey(event: KeyboardEvent): boolean;
}

const MAX_CARD_DIGITS = 19;

/**
 * Listens on the window, so a card can be read whatever has focus (a product button, nothing) except a text field.
 * Digits collect into the card number; Enter with digits hands it over and is cancelled, so it never also presses the
 * focused button. Returns the function that stops listening.
 */
export function listenForTillKeys(handlers: TillKeyHandlers): () => void {
  const onKeyDown = (event: KeyboardEvent) => {
    if (isTypingTarget(event.target) || event.ctrlKey || event.metaKey) return;
    if (!event.altKey && /^[0-9]$/.test(event.key)) {
      event.preventDefault();
      if (handlers.digits().length < MAX_CARD_DIGITS) handlers.setDigits(handlers.digits() + event.key);
      return;
    }
    if (event.key === "Enter" && handlers.digits().length > 0) {
      event.preventDefault();
      const cardNumber = handlers.digits();
      handlers.setDigits("");
      handlers.onCard(cardNumber);
      return;
    }
    if (event.key === "Backspace" && handlers.digits().length > 0) {
      event.preventDefault();
      handlers.setDigits(handlers.digits().slice(0, -1));
      return;
    }
    if (handlers.onKey(event)) event.preventDefault();
  };
  window.addEventListener("keydown", onKeyDown);
  return () => window.removeEventListener("keydown", onKeyDown);
}
