// HTTP routing for Bun.serve: tRPC at /trpc (with the CSRF guard), the built SolidJS client, and security headers.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { resolve, sep } from "node:path";
import { appRouter } from "./routers/_app.ts";
import type { AppServices } from "./trpc.ts";

export const securityHeaders: Record<string, string> = {
  "Content-Security-Policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
};

function withSecurityHeaders(response: Response): Response {
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
 * and refuse any request whose Origin names another site.
 */
export function csrfRejection(request: Request): Response | null {
  const origin = request.headers.get("origin");
  if (origin && origin !== "null") {
    const host = request.headers.get("host");
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (!host || originHost !== host) return jsonError(403, "Cross-site request refused");
  } else if (origin === "null") {
    return jsonError(403, "Cross-site request refused");
  }
  if (request.method === "POST") {
    const contentType = (request.headers.get("content-type") ?? "").toLowerCase();
    if (!contentType.startsWith("application/json")) return jsonError(415, "POST bodies must be application/json");
  }
  return null;
}

export interface HttpHandlerOptions {
  services: AppServices;
  clientDist: string;
  /** Supplies the peer address (Bun's server.requestIP). */
  clientAddress?: (request: Request) => string | null;
}

export function createHttpHandler(options: HttpHandlerOptions): (request: Request) => Promise<Response> {
  const distRoot = resolve(options.clientDist);

  async function serveClient(pathname: string): Promise<Response> {
    const candidate = resolve(distRoot, "." + decodeURIComponent(pathname));
    if (candidate.startsWith(distRoot + sep) && !pathname.endsWith("/")) {
      const file = Bun.file(candidate);
      if (await file.exists()) {
        const immutable = pathname.startsWith("/assets/");
        return new Response(file, { headers: { "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache" } });
      }
      if (pathname.startsWith("/assets/")) return new Response("Not found", { status: 404 });
    }
    // Single-page app: every other path gets index.html and the client routes it.
    const index = Bun.file(resolve(distRoot, "index.html"));
    if (await index.exists()) return new Response(index, { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" } });
    return new Response("<!doctype html><title>Kantinekort</title><p>The client is not built yet: run <code>npm run build:client</code>.</p>", {
      status: 503,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }

  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === "/trpc" || url.pathname.startsWith("/trpc/")) {
      const rejection = csrfRejection(request);
      if (rejection) return withSecurityHeaders(rejection);
      const response = await fetchRequestHandler({
        endpoint: "/trpc",
        req: request,
        router: appRouter,
        createContext: () => ({ services: options.services, headers: request.headers, clientAddress: options.clientAddress?.(request) ?? null }),
      });
      return withSecurityHeaders(response);
    }
    if (request.method !== "GET" && request.method !== "HEAD") return withSecurityHeaders(new Response("Method not allowed", { status: 405 }));
    return withSecurityHeaders(await serveClient(url.pathname));
  };
}
