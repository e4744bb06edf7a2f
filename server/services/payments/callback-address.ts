// Where acquirers send their callbacks: one path on our own origin, for hosted pages and saved-card charges alike.
import type { ServiceBundle } from "../bundle.ts";

/** The path of the callback on our own origin; the same for every acquirer. */
export const CALLBACK_PATH = "/payments/callback";

/**
 * Where a server-to-server charge (a recurring top-up) tells its result: PUBLIC_URL, or this server's own address when
 * PUBLIC_URL is not set (development and tests). Set by startServer once it listens.
 */
let ownOrigin: string | null = null;
export function setOwnOrigin(origin: string | null): void {
  ownOrigin = origin;
}
/** The callback address for a server-to-server charge. */
export function callbackUrlFor(services: ServiceBundle): string {
  const base = services.config.publicUrl?.replace(/\/$/, "") ?? ownOrigin ?? "http://127.0.0.1";
  return `${base}${CALLBACK_PATH}`;
}
