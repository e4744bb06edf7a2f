// The operator's HTTP routes (/healthz, /readyz, /metrics) and the request log: one JSON line per request with its id.
import { statSync } from "node:fs";
import { timingSafeEqual } from "node:crypto";
import { isLoopbackAddress } from "../config.ts";
import { log } from "./logger.ts";
import { countHttpRequest, openStreams, registry } from "./metrics.ts";
import { readiness, type DatabaseIdentity, type ProbedServices } from "./health.ts";

export const REQUEST_ID_HEADER = "x-request-id";

/** What the router found wrong with a request (a malformed Host), for that request's one log line. */
const problems = new WeakMap<Request, string>();
export function noteRequestProblem(request: Request, problem: string): void {
  problems.set(request, problem);
}

/** A request id a trusted proxy may hand us (Caddy's {http.request.uuid}); anything else is replaced by our own. */
const FORWARDED_REQUEST_ID = /^[A-Za-z0-9._:-]{8,100}$/;

/** A request's addresses: the connection's peer, and the client (the peer, or the forwarded address behind a trusted proxy). */
export interface RequestAddresses {
  peer: string | null;
  client: string | null;
}

export interface RequestLogOptions {
  /** Whether X-Request-Id from the peer is believed (only behind a trusted proxy, TRUST_PROXY). */
  trustForwardedId: boolean;
  /** The request's addresses, worked out once and handed to the router too; the client is in the log line. */
  addressesOf: (request: Request) => RequestAddresses;
  /** The largest request body accepted (MAX_BODY_BYTES); a larger one is answered 413 here, with its log line. */
  maxBodyBytes: number;
}

/**
 * The most header bytes (names and values) a request may carry: answered 431 here, with its log line. Bun refuses
 * headers beyond its own limit (16 KiB) before any code of ours runs, so ours must be below it to be the one that answers.
 */
export const MAX_HEADER_BYTES = 8 * 1024;

type SizeCheck = { status: 413 | 431; problem: string } | { status: null; request: Request };

/**
 * Why a request is too large to handle (431 headers, 413 body), synchronously from its headers: no await on a sale's
 * path. A body without Content-Length (chunked) is the one case that must be read first (readChunked).
 */
function tooLarge(request: Request, maxBodyBytes: number): SizeCheck | "chunked" {
  let headerBytes = 0;
  for (const [name, value] of request.headers) headerBytes += name.length + value.length + 4;
  if (headerBytes > MAX_HEADER_BYTES) return { status: 431, problem: `request headers of ${headerBytes} bytes exceed ${MAX_HEADER_BYTES}` };
  const length = request.headers.get("content-length");
  if (length !== null) {
    if (Number(length) > maxBodyBytes) return { status: 413, problem: `request body of ${length} bytes exceeds MAX_BODY_BYTES (${maxBodyBytes})` };
    return { status: null, request };
  }
  return request.body ? "chunked" : { status: null, request };
}

async function readChunked(request: Request, maxBodyBytes: number): Promise<SizeCheck> {
  // A chunked body (no Content-Length; tills and browsers send one): read up to the limit here, never further.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBodyBytes) {
      void reader.cancel().catch(() => {});
      return { status: 413, problem: `chunked request body exceeds MAX_BODY_BYTES (${maxBodyBytes})` };
    }
    chunks.push(value);
  }
  return { status: null, request: new Request(request, { body: Buffer.concat(chunks) }) };
}

/**
 * Wraps the router: every request gets an id (answered in X-Request-Id, passed to the router for its own log lines) and
 * one log line with method, path (never the query string, which can hold a card number), status, time and client.
 */
export function withRequestLog(
  handle: (request: Request, requestId: string, addresses: RequestAddresses) => Promise<Response>,
  options: RequestLogOptions,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const started = performance.now();
    const forwarded = options.trustForwardedId ? request.headers.get(REQUEST_ID_HEADER) : null;
    const requestId = forwarded && FORWARDED_REQUEST_ID.test(forwarded) ? forwarded : crypto.randomUUID();
    const addresses = options.addressesOf(request);
    let response: Response;
    try {
      const size = tooLarge(request, options.maxBodyBytes);
      const checked = size === "chunked" ? await readChunked(request, options.maxBodyBytes) : size;
      if (checked.status !== null) {
        // Bun.serve lets every size through to here (server/app.ts), so that a refusal is one line like any request.
        noteRequestProblem(request, checked.problem);
        response = new Response(checked.status === 413 ? "For stor forespørgsel / Request body too large" : "For store headere / Request headers too large", {
          status: checked.status,
          headers: { connection: "close" },
        });
      } else {
        if (checked.request !== request) {
          const problem = problems.get(request);
          if (problem) problems.set(checked.request, problem);
          request = checked.request;
        }
        response = await handle(request, requestId, addresses);
      }
    } catch (error) {
      log.error({ requestId, method: request.method, path: pathOf(request.url), client: addresses.client }, "request failed");
      throw error;
    }
    response.headers.set(REQUEST_ID_HEADER, requestId);
    countHttpRequest(response.status);
    // A request we could not route is the client's mistake: its one line is a warning that says why, never a stack trace.
    const problem = problems.get(request);
    if (log.isLevelEnabled(problem ? "warn" : "info")) {
      const fields = { requestId, method: request.method, path: pathOf(request.url), status: response.status, ms: Math.round((performance.now() - started) * 10) / 10, client: addresses.client };
      if (problem) log.warn({ ...fields, problem }, "request");
      else log.info(fields, "request");
    }
    return response;
  };
}

/** The path without query string or fragment, at most 200 characters (ours are shorter; a hostile one is cut). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const end = url.slice(start).search(/[?#]/);
  return (end < 0 ? url.slice(start) : url.slice(start, start + end)).slice(0, 200);
}

/**
 * Counts an open event stream (by its procedure, e.g. accounts.onBalance) until it ends: the body has been sent to the
 * end or the connection is gone, whichever comes first. Answers that are not streams (a refused subscription) count
 * nothing. Returns the function to call when the body ends.
 */
export function countStream(pathname: string, response: Response, signal: AbortSignal, onEnd: () => void): () => void {
  if (!(response.headers.get("content-type") ?? "").startsWith("text/event-stream")) return onEnd;
  const kind = pathname.slice("/trpc/".length, "/trpc/".length + 100);
  openStreams.inc({ kind });
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    openStreams.dec({ kind });
  };
  signal.addEventListener("abort", close, { once: true });
  return () => {
    close();
    onEnd();
  };
}

export interface OpsRouteOptions {
  services: ProbedServices;
  /** The database file as it was when the server opened it, to notice it being removed or replaced. */
  databaseIdentity: DatabaseIdentity | null;
  shutdownSignal?: AbortSignal;
}

/** The identity (device and inode) of the database file now, or null when there is none. */
export function databaseIdentityOf(path: string): DatabaseIdentity | null {
  if (path === ":memory:") return null;
  try {
    const stat = statSync(path);
    return { dev: stat.dev, ino: stat.ino };
  } catch {
    return null;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

/** Whether the bearer token in the request is the metrics token (compared in constant time). */
function hasMetricsToken(request: Request, expected: string | null): boolean {
  if (!expected) return false;
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * Whether the request comes from this machine directly: a loopback peer that no proxy stands in front of. A request
 * relayed by a reverse proxy on this machine has a loopback peer too, but carries forwarding headers.
 */
function directFromThisMachine(request: Request, peer: string | null): boolean {
  return isLoopbackAddress(peer) && !request.headers.has("x-forwarded-for") && !request.headers.has("forwarded") && !request.headers.has("x-real-ip");
}

/** Answers /healthz, /readyz and /metrics; null for every other path. */
export async function opsRoute(request: Request, url: URL, peer: string | null, options: OpsRouteOptions): Promise<Response | null> {
  const { pathname } = url;
  if (pathname !== "/healthz" && pathname !== "/readyz" && pathname !== "/metrics") return null;
  if (request.method !== "GET" && request.method !== "HEAD") return new Response("Method not allowed", { status: 405, headers: { allow: "GET, HEAD" } });
  if (pathname === "/healthz") return json(200, { status: "ok" });
  if (pathname === "/readyz") {
    const result = await readiness(options.services, { databaseIdentity: options.databaseIdentity, shuttingDown: options.shutdownSignal?.aborted ?? false });
    return json(result.ready ? 200 : 503, { status: result.ready ? "ready" : "not ready", ...(result.reason ? { reason: result.reason } : {}), checks: result.checks });
  }
  const token = options.services.config.metricsToken;
  if (!hasMetricsToken(request, token) && !directFromThisMachine(request, peer)) {
    // Without a token there is nothing to ask for: the route does not exist beyond this machine.
    if (!token) return new Response("Not found", { status: 404 });
    return new Response("Unauthorized", { status: 401, headers: { "www-authenticate": 'Bearer realm="metrics"' } });
  }
  return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType, "cache-control": "no-store" } });
}
