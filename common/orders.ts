// Shared rules for webshop orders that the server applies and the screens show: how long a cancelled order stays on the kitchen screen.

/**
 * A cancelled order stays on the kitchen screen, marked "Annulleret", for this long after it was cancelled, so a cook who
 * already started on it sees why it went, instead of it vanishing silently. The server's queue includes it for the same
 * time (a screen that reloads still shows it), and the screen drops it when the time is up.
 */
export const KITCHEN_CANCELLED_SHOWN_MS = 10 * 60_000;
