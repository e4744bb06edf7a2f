// One call for an event that is both logged and counted (sign-ins, payments), so that call sites stay one line.
import { log } from "./logger.ts";
import { logins, payments } from "./metrics.ts";

export type LoginOutcome = "succeeded" | "failed" | "locked";

/** A sign-in attempt: counted by kind and outcome, logged with the masked user name and the client's address. */
export function recordLogin(kind: "cardholder" | "staff", outcome: LoginOutcome, fields: { requestId?: string; user?: string; client: string | null }): void {
  logins.inc({ kind, outcome });
  log.info({ requestId: fields.requestId, kind, user: fields.user, client: fields.client ?? "?" }, outcome === "locked" ? `${kind === "staff" ? "staff " : ""}login refused (locked)` : `${kind === "staff" ? "staff " : ""}login ${outcome}`);
}

/** A payment settled (a capture, decline or failure applied to a pending payment, or a late capture). */
export function recordPayment(purpose: string, outcome: string): void {
  payments.inc({ purpose, outcome });
}
