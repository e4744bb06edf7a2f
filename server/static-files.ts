// The built client's files: the precompressed copy (brotli or gzip, written by the build) when the browser accepts it.
import { resolve, sep } from "node:path";

/** In order of preference: brotli is smaller than gzip for the same file. */
const ENCODINGS = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" },
] as const;
type Encoding = (typeof ENCODINGS)[number]["name"];

/**
 * The content codings an Accept-Encoding header allows (RFC 9110 §12.5.3): listed with a q above 0, or covered by `*`.
 * No header means identity only, as a client that cannot decode asks for nothing.
 */
export function acceptedEncodings(header: string | null): Set<Encoding> {
  const accepted = new Set<Encoding>();
  if (!header) return accepted;
  const weights = new Map<string, number>();
  for (const part of header.split(",")) {
    const [token, ...parameters] = part.trim().toLowerCase().split(";");
    if (!token) continue;
    const q = parameters.map((parameter) => parameter.trim()).find((parameter) => parameter.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    weights.set(token.trim(), Number.isFinite(weight) ? weight : 0);
  }
  for (const { name } of ENCODINGS) {
    const weight = weights.get(name) ?? (name === "gzip" ? weights.get("x-gzip") : undefined) ?? weights.get("*");
    if (weight !== undefined && weight > 0) accepted.add(name);
  }
  return accepted;
}

export interface StaticAnswer {
  /** The file on disk, the compressed copy or the original. */
  path: string;
  encoding: Encoding | null;
}

/**
 * Which file answers a request for `path` (an existing file of the build): its .br or .gz copy if the browser accepts
 * that coding and the build wrote one, the file itself otherwise.
 */
export async function chooseVariant(path: string, acceptEncoding: string | null): Promise<StaticAnswer> {
  const accepted = acceptedEncodings(acceptEncoding);
  for (const { name, suffix } of ENCODINGS) {
    if (accepted.has(name) && (await Bun.file(path + suffix).exists())) return { path: path + suffix, encoding: name };
  }
  return { path, encoding: null };
}

/**
 * A response with a file of the build: its own Content-Type whichever copy is sent, Content-Encoding for a compressed
 * copy, and Vary: Accept-Encoding, because a cache between here and the browser must not hand brotli to one that asked
 * for none. Hashed files under /assets/ never change and are cached for a year; every other file is revalidated.
 */
export async function fileResponse(path: string, request: { acceptEncoding: string | null; immutable: boolean; contentType?: string }): Promise<Response> {
  const answer = await chooseVariant(path, request.acceptEncoding);
  const headers = new Headers({
    "content-type": request.contentType ?? (Bun.file(path).type || "application/octet-stream"),
    "cache-control": request.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    vary: "Accept-Encoding",
  });
  if (answer.encoding) headers.set("content-encoding", answer.encoding);
  return new Response(Bun.file(answer.path), { headers });
}

/** Content types Bun does not know by the file's extension. */
const EXTRA_TYPES: Record<string, string> = { ".webmanifest": "application/manifest+json" };

export interface StaticClient {
  /** The answer for a GET of `pathname`: a file of the build, a 404 for a missing hashed asset, or the app's page. */
  serve(pathname: string, acceptEncoding: string | null): Promise<Response>;
}

export function staticClient(clientDist: string): StaticClient {
  const distRoot = resolve(clientDist);
  return {
    async serve(pathname, acceptEncoding) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        // A path that is not valid percent-encoding (e.g. /%E0%A4%A) names no file: the client's mistake, not ours.
        return new Response("Bad request", { status: 400 });
      }
      const candidate = resolve(distRoot, "." + decoded);
      if (candidate.startsWith(distRoot + sep) && !pathname.endsWith("/")) {
        if (await Bun.file(candidate).exists()) {
          const extension = candidate.slice(candidate.lastIndexOf("."));
          return fileResponse(candidate, { acceptEncoding, immutable: pathname.startsWith("/assets/"), contentType: EXTRA_TYPES[extension] });
        }
        if (pathname.startsWith("/assets/")) return new Response("Not found", { status: 404 });
      }
      // Single-page app: every other path gets index.html and the client routes it.
      const index = resolve(distRoot, "index.html");
      if (await Bun.file(index).exists()) return fileResponse(index, { acceptEncoding, immutable: false, contentType: "text/html; charset=utf-8" });
      return new Response("<!doctype html><title>Kantinekort</title><p>The client is not built yet: run <code>npm run build:client</code>.</p>", {
        status: 503,
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    },
  };
}
