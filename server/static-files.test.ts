// Static serving of the built client: the precompressed copy the browser accepts (br, gzip, none), Vary, types and caching.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { acceptedEncodings, staticClient } from "./static-files.ts";
import { createHttpHandler } from "./http.ts";
import { startTestServer, type TestServer } from "./testing/harness.ts";

const script = `export const greeting = ${JSON.stringify("hej ".repeat(2_000))};\n`;
const page = `<!doctype html><title>Kantinekort</title><script type="module" src="/assets/app-1a2b3c.js"></script>${"<!-- padding -->".repeat(100)}`;
let dist: string;

beforeAll(() => {
  dist = mkdtempSync(join(tmpdir(), "kantinekort-static-"));
  mkdirSync(join(dist, "assets"));
  // The compressed copies are marked so a test can tell which one was sent without trusting the headers alone.
  const files: Record<string, string> = { "assets/app-1a2b3c.js": script, "index.html": page, "manifest.webmanifest": '{"name":"Kantinekort"}' };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dist, name), text);
    writeFileSync(join(dist, `${name}.br`), brotliCompressSync(`${text}/*br*/`));
    writeFileSync(join(dist, `${name}.gz`), gzipSync(`${text}/*gz*/`));
  }
  // A file the build wrote no compressed copy of (too small to gain) is sent as it is, whatever the browser accepts.
  writeFileSync(join(dist, "assets", "tiny-9f8e7d.css"), "a{}");
});
afterAll(() => rmSync(dist, { recursive: true, force: true }));

async function body(response: Response): Promise<string> {
  const bytes = Buffer.from(await response.arrayBuffer());
  const encoding = response.headers.get("content-encoding");
  return (encoding === "br" ? brotliDecompressSync(bytes) : encoding === "gzip" ? gunzipSync(bytes) : bytes).toString();
}

describe("Accept-Encoding", () => {
  test("reads tokens, q-values and the wildcard", () => {
    expect([...acceptedEncodings("gzip, deflate, br, zstd")].sort()).toEqual(["br", "gzip"]);
    expect([...acceptedEncodings("br;q=0, gzip;q=0.5")]).toEqual(["gzip"]);
    expect([...acceptedEncodings("*")].sort()).toEqual(["br", "gzip"]);
    expect([...acceptedEncodings("*;q=0, br")]).toEqual(["br"]);
    expect([...acceptedEncodings("identity")]).toEqual([]);
    expect([...acceptedEncodings(null)]).toEqual([]);
    expect([...acceptedEncodings("BR; Q=1")]).toEqual(["br"]);
  });
});

describe("a hashed asset", () => {
  test("brotli when the browser accepts it, with the script's type, Vary and a year of immutable caching", async () => {
    const response = await staticClient(dist).serve("/assets/app-1a2b3c.js", "gzip, deflate, br");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await body(response)).toBe(`${script}/*br*/`);
  });

  test("gzip when brotli is not accepted", async () => {
    const response = await staticClient(dist).serve("/assets/app-1a2b3c.js", "gzip, deflate");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(await body(response)).toBe(`${script}/*gz*/`);
  });

  test("the file itself without Accept-Encoding, or when the browser refuses both codings", async () => {
    for (const header of [null, "identity", "br;q=0, gzip;q=0"]) {
      const response = await staticClient(dist).serve("/assets/app-1a2b3c.js", header);
      expect(response.headers.get("content-encoding")).toBeNull();
      expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
      expect(response.headers.get("vary")).toBe("Accept-Encoding");
      expect(response.headers.get("cache-control")).toContain("immutable");
      expect(await response.text()).toBe(script);
    }
  });

  test("a file without a compressed copy is sent as it is; a missing asset is a 404, not the app's page", async () => {
    const tiny = await staticClient(dist).serve("/assets/tiny-9f8e7d.css", "br, gzip");
    expect(tiny.headers.get("content-encoding")).toBeNull();
    expect(tiny.headers.get("content-type")).toMatch(/^text\/css/);
    expect(await tiny.text()).toBe("a{}");
    expect((await staticClient(dist).serve("/assets/gone-000000.js", "br")).status).toBe(404);
  });
});

describe("the app's page and other files", () => {
  test("every client route gets index.html, compressed, as HTML, revalidated on each visit", async () => {
    for (const path of ["/", "/konti", "/kasse", "/admin"]) {
      const response = await staticClient(dist).serve(path, "br");
      expect(response.headers.get("content-encoding")).toBe("br");
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(response.headers.get("vary")).toBe("Accept-Encoding");
      expect(await body(response)).toBe(`${page}/*br*/`);
    }
  });

  test("the web app manifest has its own content type", async () => {
    const response = await staticClient(dist).serve("/manifest.webmanifest", "gzip");
    expect(response.headers.get("content-type")).toBe("application/manifest+json");
    expect(response.headers.get("content-encoding")).toBe("gzip");
    expect(response.headers.get("cache-control")).toBe("no-cache");
  });

  test("paths outside the build are not served", async () => {
    const response = await staticClient(dist).serve("/..%2f..%2fetc%2fpasswd", "br");
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await body(response)).toBe(`${page}/*br*/`);
  });
});

describe("over the HTTP handler", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  test("the compressed copy keeps the security headers, and a HEAD gets the same headers", async () => {
    const handle = createHttpHandler({ services: server.services, clientDist: dist, peerAddress: () => "127.0.0.1" });
    const response = await handle(new Request("http://127.0.0.1/assets/app-1a2b3c.js", { headers: { "accept-encoding": "gzip, br" } }));
    expect(response.headers.get("content-encoding")).toBe("br");
    expect(response.headers.get("vary")).toBe("Accept-Encoding");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await body(response)).toBe(`${script}/*br*/`);
    const head = await handle(new Request("http://127.0.0.1/assets/app-1a2b3c.js", { method: "HEAD", headers: { "accept-encoding": "gzip" } }));
    expect(head.status).toBe(200);
    expect(head.headers.get("content-encoding")).toBe("gzip");
  });
});
