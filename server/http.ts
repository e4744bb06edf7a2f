// HTTP routing for Bun.serve: tRPC at /trpc (with the CSRF guard), the built SolidJS client (server/static-files.ts), and security headers.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "./routers/_app.ts";
import type { AppServices } from "./context.ts";
import { findSession, isHttps, readCookie, SESSION_COOKIE } from "./auth/session.ts";
import { readPhoto } from "./services/portal.ts";
import { statementMonth } from "./services/statements.ts";
import { actableAccount } from "./services/access.ts";
import { readOutbox } from "./mail/mailer.ts";
import { kroner, plainFigure, toCsv } from "./csv.ts";
import { handlePaymentCallback } from "./services/payments/callbacks.ts";
import { AcquirerSimulator } from "./acquirer/simulator.ts";
import { escapeHtml } from "./html.ts";
import { MAX_BATCH_SIZE } from "../common/limits.ts";
import { isIP } from "node:net";
import { isLoopbackAddress, type TrustProxy } from "./config.ts";
import { countStream, databaseIdentityOf, noteRequestProblem, opsRoute, withRequestLog, type RequestAddresses } from "./ops/http.ts";
import { setStorageSource } from "./ops/metrics.ts";
import { freeBytes } from "./ops/storage.ts";
import { staticClient } from "./static-files.ts";
import { readProductPhoto } from "./services/backoffice/product-photos.ts";
import { PRODUCT_PHOTO_PATH } from "../common/product-photos.ts";

export const securityHeaders: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
};


export function withSecurityHeaders(response: Response): Response {
  for (const [name, value] of Object.entries(securityHeaders)) response.headers.set(name, value);
  return response;
}

function jsonError(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: { message, code: status === 403 ? "FORBIDDEN" : "BAD_REQUEST" } }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

/**
 * tRPC v11 also accepts form posts, which a hostile page can send cross-site with the user's cookies.
 * We only accept JSON bodies for POSTs (a cross-site JSON request needs a CORS preflight we never grant)
 * and refuse any request whose Origin names another site. The portal's own site is the request's Host, or
 * PUBLIC_URL when it is set: a reverse proxy may rewrite Host to the upstream's address.
 */
export function csrfRejection(request: Request, publicUrl: string | null = null): Response | null {
  const origin = request.headers.get("origin");
  if (origin && origin !== "null") {
    const host = request.headers.get("host");
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    const publicHost = publicUrl ? new URL(publicUrl).host : null;
    const sameSite = originHost !== null && (originHost === host || originHost === publicHost);
    if (!sameSite) return jsonError(403, "Cross-site request refused");
  } else if (origin === "null") {
    return jsonError(403, "Cross-site request refused");
  }
  if (request.method === "POST") {
    const contentType = (request.headers.get("content-type") ?? "").toLowerCase();
    if (!contentType.startsWith("application/json")) return jsonError(415, "POST bodies must be application/json");
  }
  return null;
}

/**
 * tRPC ends a subscription when its request's signal aborts, so an event stream gets a request whose signal also
 * aborts at shutdown; only streams pay for this, never the hot path (sales). The signals are joined by hand because
 * Bun 1.4's AbortSignal.any on a request's signal broke live streams in our tests.
 */
function endsAtShutdown(request: Request, shutdownSignal: AbortSignal): { request: Request; release: () => void } {
  const joined = new AbortController();
  const abort = () => joined.abort();
  if (shutdownSignal.aborted) abort();
  shutdownSignal.addEventListener("abort", abort, { once: true });
  request.signal.addEventListener("abort", abort, { once: true });
  // A stream that ended, whether the client closed it or the server did (a session that ended), must not stay
  // registered on the server-wide shutdown signal: that would grow with every stream for the life of the process.
  const release = () => shutdownSignal.removeEventListener("abort", abort);
  joined.signal.addEventListener("abort", release, { once: true });
  return { request: new Request(request, { signal: joined.signal }), release };
}

/**
 * An event stream's body that calls `onEnd` once it has been sent to the end, and that the server can also cut short (`cut`): the connection closes, the subscription's
 * generator is returned, and `onEnd` runs. Used for a reader that stopped reading (server/events/stream-limits.ts).
 */
function cuttableBody(): { wrap: (response: Response, onEnd: () => void) => Response; cut: () => void } {
  let controller: TransformStreamDefaultController | null = null;
  let cut = false;
  let onEnd: (() => void) | null = null;
  let ended = false;
  const end = () => {
    if (ended || !onEnd) return;
    ended = true;
    onEnd();
  };
  // Terminated, not errored: the response ends as if complete (no error and stack in the log), the subscription
  // upstream is cancelled, and the client's EventSource reconnects with its last id.
  const fail = () => controller?.terminate();
  return {
    wrap(response, whenEnded) {
      onEnd = whenEnded;
      if (!response.body) {
        end();
        return response;
      }
      const body = response.body.pipeThrough(
        new TransformStream({
          start(started) {
            controller = started;
            if (cut) {
              fail();
              end();
            }
          },
          flush: end,
        }),
      );
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    },
    cut() {
      if (cut) return;
      cut = true;
      fail();
      end();
    },
  };
}

/** A Host header we can route: a name or an IPv4 address, or an IPv6 address in brackets, with an optional valid port. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$/;

/**
 * Why a request cannot be routed at all (a broken Host header, a NUL byte in the path), or null when it can. Such a
 * request is the client's mistake: it gets a 400 and one log line, never a 500 with a stack trace.
 */
export function malformedRequest(request: Request): { reason: string; url: null } | { reason: null; url: URL } {
  const host = request.headers.get("host");
  if (host !== null) {
    const match = HOST_HEADER.exec(host);
    if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return { reason: `malformed Host header ${JSON.stringify(host.slice(0, 80))}`, url: null };
  }
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { reason: "unparseable request URL", url: null };
  }
  // A NUL byte names no file and no route; file APIs throw on it.
  if (/%00/.test(url.pathname) || url.pathname.includes("\u0000")) return { reason: "NUL byte in the path", url: null };
  return { reason: null, url };
}

/**
 * The client's address for rate limits and logs. Behind trusted proxies (TRUST_PROXY) it is taken from
 * X-Forwarded-For, reading from the right and passing only over trusted hops: whatever a client writes itself
 * into the header sits further left and is never believed.
 */
export function clientAddressOf(peer: string | null, forwardedFor: string | null, trust: TrustProxy): string | null {
  if (trust.kind === "none" || peer === null) return peer;
  const chain = (forwardedFor ?? "")
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  const normalise = (address: string) => address.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  let client = peer;
  if (trust.kind === "hops") {
    for (let hop = 0; hop < trust.hops && chain.length > 0; hop += 1) {
      const next = chain.pop()!;
      if (isIP(next) === 0) return client;
      client = next;
    }
    return client;
  }
  while (trust.addresses.includes(normalise(client)) && chain.length > 0) {
    const next = chain.pop()!;
    if (isIP(next) === 0) return client;
    client = next;
  }
  return client;
}

export interface HttpHandlerOptions {
  services: AppServices;
  clientDist: string;
  /** Supplies the peer address of the connection (Bun's server.requestIP), never taken from a header. */
  peerAddress?: (request: Request) => string | null;
  /** Aborted when the server shuts down: ends open SSE streams, so that a graceful stop need not wait for them. */
  shutdownSignal?: AbortSignal;
}

/** tRPC behind the CSRF guard; an SSE stream is cut at shutdown and counted while it is open. */
async function trpcRoute(options: HttpHandlerOptions, request: Request, url: URL, requestId: string, clientAddress: string | null): Promise<Response> {
  const rejection = csrfRejection(request, options.services.config.publicUrl);
  if (rejection) return rejection;
  const stream = options.shutdownSignal && request.headers.get("accept")?.includes("text/event-stream") ? endsAtShutdown(request, options.shutdownSignal) : null;
  const body = stream ? cuttableBody() : null;
  const response = await fetchRequestHandler({
    endpoint: "/trpc",
    req: stream ? stream.request : request,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE,
    createContext: ({ resHeaders }) => ({
      services: options.services,
      headers: request.headers,
      clientAddress,
      requestId,
      resHeaders,
      secure: isHttps(request),
      dropStream: body?.cut,
    }),
  });
  return stream && body ? body.wrap(response, countStream(url.pathname, response, stream.request.signal, stream.release)) : response;
}

/** The acquirer's signed callback, and the simulator's hosted page when the simulator is the acquirer; null for anything else. */
async function paymentRoute(services: HttpHandlerOptions["services"], request: Request, url: URL): Promise<Response | null> {
  if (url.pathname === "/payments/callback" && request.method === "POST") {
    const answer = await handlePaymentCallback(services, request.headers, await request.text());
    return new Response(answer.body, { status: answer.status });
  }
  if (url.pathname.startsWith("/acquirer/") && services.acquirer instanceof AcquirerSimulator) return services.acquirer.handle(request);
  return null;
}

/** The server's one request handler: ops routes, tRPC, payments, portal routes, then the built client; every answer with security headers. */
export function createHttpHandler(options: HttpHandlerOptions): (request: Request) => Promise<Response> {
  const client = staticClient(options.clientDist);
  // The database file as opened, so that /readyz notices it being removed or replaced under the running server.
  const databaseIdentity = databaseIdentityOf(options.services.store.path);
  // The storage metrics (free space, commits failing) are about this server's database.
  const { store } = options.services;
  setStorageSource(() => ({ freeBytes: freeBytes(store.path), failing: store.writer.storageFailure !== null }));

  const route = async (request: Request, requestId: string, { peer, client: clientAddress }: RequestAddresses): Promise<Response> => {
    const checked = malformedRequest(request);
    if (checked.reason !== null) {
      noteRequestProblem(request, checked.reason);
      return withSecurityHeaders(new Response("Ugyldig forespørgsel / Bad request", { status: 400 }));
    }
    const url = checked.url;
    const ops = await opsRoute(request, url, peer, { services: options.services, databaseIdentity, shutdownSignal: options.shutdownSignal });
    if (ops) return withSecurityHeaders(ops);
    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) return withSecurityHeaders(await trpcRoute(options, request, url, requestId, clientAddress));
    const payment = await paymentRoute(options.services, request, url);
    if (payment) return withSecurityHeaders(payment);
    const routed = await portalRoute(options.services, request, url, peer);
    if (routed) return withSecurityHeaders(routed);
    if (request.method !== "GET" && request.method !== "HEAD") return withSecurityHeaders(new Response("Method not allowed", { status: 405 }));
    return withSecurityHeaders(await client.serve(url.pathname, request.headers.get("accept-encoding")));
  };
  const trust = options.services.config.trustProxy;
  return withRequestLog(route, {
    trustForwardedId: trust.kind !== "none",
    maxBodyBytes: options.services.config.maxBodyBytes,
    // Once per request: Bun's requestIP was 5 % of a sale's time when the router and the log line each asked for it.
    addressesOf: (request) => {
      const peer = options.peerAddress?.(request) ?? null;
      return { peer, client: clientAddressOf(peer, request.headers.get("x-forwarded-for"), trust) };
    },
  });
}

function signedInUser(services: AppServices, request: Request): number | null {
  const token = readCookie(request.headers.get("cookie"), SESSION_COOKIE);
  if (!token) return null;
  return services.store.read((tx) => findSession(tx, token))?.session.userId ?? null;
}

/** Plain HTTP routes of the portal: statement CSV, the owner's photo, product photos, and the development mail outbox. */
async function portalRoute(services: AppServices, request: Request, url: URL, peer: string | null): Promise<Response | null> {
  if (request.method !== "GET") return null;
  if (url.pathname === "/statement.csv") {
    const userId = signedInUser(services, request);
    if (userId === null) return new Response("Log på først / Sign in first", { status: 401 });
    const accountId = Number(url.searchParams.get("accountId"));
    const year = Number(url.searchParams.get("year"));
    const month = Number(url.searchParams.get("month"));
    if (!Number.isInteger(accountId) || !Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12 || year < 2000 || year > 2100) {
      return new Response("Ugyldig forespørgsel / Bad request", { status: 400 });
    }
    const statement = services.store.read((tx) => (actableAccount(tx, userId, accountId) ? statementMonth(tx, accountId, year, month) : null));
    if (!statement) return new Response("Ikke fundet / Not found", { status: 404 });
    const dateFormat = new Intl.DateTimeFormat("da-DK", { timeZone: "Europe/Copenhagen", dateStyle: "short", timeStyle: "short" });
    const csv = toCsv(
      ["Dato", "Tekst", "Beløb", "Saldo"],
      statement.lines.map((line) => [plainFigure(dateFormat.format(new Date(line.createdAt))), line.text, kroner(line.amountOre), kroner(line.balanceAfterOre)]),
    );
    return new Response("\uFEFF" + csv, {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="kontoudtog-${year}-${String(month).padStart(2, "0")}.csv"`,
        "cache-control": "no-store",
      },
    });
  }
  const photo = /^\/photos\/(\d+)$/.exec(url.pathname);
  if (photo) {
    const userId = signedInUser(services, request);
    // Only the owner sees their photo; anyone else gets the same answer as for a missing one.
    if (userId === null || userId !== Number(photo[1])) return new Response("Not found", { status: 404 });
    const stored = services.store.read((tx) => readPhoto(tx, userId));
    if (!stored) return new Response("Not found", { status: 404 });
    return new Response(new Uint8Array(stored.bytes), { headers: { "content-type": stored.mime, "cache-control": "private, max-age=3600" } });
  }
  const productPhoto = PRODUCT_PHOTO_PATH.exec(url.pathname);
  if (productPhoto) {
    // A dish's photo is public, like the menu board in the canteen: the till's <img> and a shared link carry no
    // session. The address names the version: the current one is cached for a year, an older one briefly.
    const [productId, version, widthPx] = productPhoto.slice(1).map(Number) as [number, number, number];
    const stored = services.store.read((tx) => readProductPhoto(tx, productId, widthPx));
    if (!stored) return new Response("Not found", { status: 404 });
    const cacheControl = stored.version === version ? "public, max-age=31536000, immutable" : "public, max-age=60";
    return new Response(new Uint8Array(stored.bytes), { headers: { "content-type": stored.mime, "cache-control": cacheControl } });
  }
  if (url.pathname === "/dev/outbox") {
    if (services.config.production) return new Response("Not found", { status: 404 });
    // Reset links are in there: only someone at this machine may read them, whatever HOST the server listens on.
    // The peer is the connection's own address, so no header (X-Forwarded-For, Host) can claim to be local.
    if (!isLoopbackAddress(peer)) return new Response("Kun fra denne maskine / Only from this machine", { status: 403 });
    const mails = readOutbox(services.store);
    const items = mails
      .map((mail) => `<article><h2>${escapeHtml(mail.subject)}</h2><p>Til: ${escapeHtml(mail.recipient)} · ${new Date(mail.createdAt).toISOString()}</p><pre>${escapeHtml(mail.body)}</pre></article>`)
      .join("");
    return new Response(`<!doctype html><html lang="da"><meta charset="utf-8"><title>Udbakke (udvikling)</title><h1>Udbakke (kun udvikling)</h1>${items || "<p>Ingen e-mails.</p>"}</html>`, {
      headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
    });
  }
  return null;
}
