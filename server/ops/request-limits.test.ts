// Requests refused for their size (413 body, 431 headers) over real HTTP: each gets the usual one log line with its
// request id, status and reason, like every other request, and reaches no procedure.
import { afterAll, beforeAll, expect, test } from "vitest";
import { startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { onLogLine } from "./logger.ts";
import { MAX_HEADER_BYTES } from "./http.ts";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

/** The log lines written while `send` runs, once they are flushed (the logger writes once per turn of the loop). */
async function linesDuring(send: () => Promise<Response>): Promise<{ response: Response; lines: any[] }> {
  const lines: string[] = [];
  const stop = onLogLine((line) => lines.push(line));
  try {
    const response = await send();
    await response.arrayBuffer();
    await new Promise((resolve) => setImmediate(resolve));
    return { response, lines: lines.map((line) => JSON.parse(line)) };
  } finally {
    stop();
  }
}

const saleUrl = () => `${server.url}/trpc/pos.sale`;
const headers = () => ({ "content-type": "application/json", authorization: `Bearer ${server.services.config.posDemoKey}` });

test("an oversized body (Content-Length) is answered 413 with one log line naming its id, status and reason", async () => {
  const before = tableCounts(server.services.store);
  const { response, lines } = await linesDuring(() =>
    fetch(saleUrl(), { method: "POST", headers: headers(), body: JSON.stringify({ padding: "x".repeat(server.services.config.maxBodyBytes + 10) }) }),
  );
  expect(response.status).toBe(413);
  const requestLines = lines.filter((line) => line.msg === "request");
  expect(requestLines).toHaveLength(1);
  expect(requestLines[0]).toMatchObject({ status: 413, path: "/trpc/pos.sale", requestId: response.headers.get("x-request-id") });
  expect(requestLines[0].problem).toMatch(/exceeds MAX_BODY_BYTES/);
  expect(tableCounts(server.services.store)).toEqual(before);
});

test("an oversized chunked body (no Content-Length) is answered 413 with one log line", async () => {
  const big = new TextEncoder().encode("x".repeat(server.services.config.maxBodyBytes + 10));
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(big);
      controller.close();
    },
  });
  const { response, lines } = await linesDuring(() => fetch(saleUrl(), { method: "POST", headers: headers(), body, duplex: "half" } as RequestInit));
  expect(response.status).toBe(413);
  const requestLines = lines.filter((line) => line.msg === "request");
  expect(requestLines).toHaveLength(1);
  expect(requestLines[0]).toMatchObject({ status: 413, requestId: response.headers.get("x-request-id") });
  expect(requestLines[0].problem).toMatch(/chunked request body exceeds/);
});

test("a small chunked body still reaches its procedure", async () => {
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(JSON.stringify({ cardNumber: "00000000" })));
      controller.close();
    },
  });
  const response = await fetch(`${server.url}/trpc/pos.balance`, { method: "POST", headers: headers(), body, duplex: "half" } as RequestInit);
  // Reached tRPC (a query over POST is refused by it, not by the size check).
  expect(response.status).not.toBe(413);
});

test("oversized headers are answered 431 with one log line naming its id, status and reason", async () => {
  const { response, lines } = await linesDuring(() => fetch(saleUrl(), { method: "POST", headers: { ...headers(), "x-padding": "y".repeat(MAX_HEADER_BYTES + 100) }, body: "{}" }));
  expect(response.status).toBe(431);
  const requestLines = lines.filter((line) => line.msg === "request");
  expect(requestLines).toHaveLength(1);
  expect(requestLines[0]).toMatchObject({ status: 431, requestId: response.headers.get("x-request-id") });
  expect(requestLines[0].problem).toMatch(/request headers of \d+ bytes exceed/);
});
