// The request context every procedure gets, and the whole set of running services (the service bundle plus the heavy
// reads and the ledger watch). Types only, below server/trpc.ts and the routers, above the services.
import type { ServiceBundle } from "./services/bundle.ts";
import type { HeavyReads } from "./services/reads/pool.ts";
import type { LedgerWatch } from "./services/reads/verify-schedule.ts";

export interface AppServices extends ServiceBundle {
  /** Reports, searches and the ledger check, on a worker thread of their own (issue 27). */
  reads: HeavyReads;
  /** The background ledger verifier's last answer. */
  ledgerWatch: LedgerWatch;
}

export interface Context {
  services: AppServices;
  headers: Headers;
  /** The client's address as the server saw it; used for rate limits and logs. */
  clientAddress: string | null;
  /** This request's id (X-Request-Id), for log lines about it. */
  requestId?: string;
  /** Response headers (Set-Cookie); absent for createCaller in tests that do not need them. */
  resHeaders?: Headers;
  /** Whether the request came over HTTPS, so cookies get the Secure flag. */
  secure?: boolean;
  /** For event streams over HTTP: cuts the connection (a reader that stopped reading; it reconnects with its last id). */
  dropStream?: () => void;
}
