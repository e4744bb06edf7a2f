// Test helper: one HTTP/1.1 request written byte for byte on a TCP socket, for headers that fetch() would not send (a broken Host).
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** Sends `request` (request line and headers, CRLF-separated, ending in an empty line) and reads the answer until the server closes. */
export function rawHttp(port: number, request: string, timeoutMs = 5_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms to ${JSON.stringify(request.slice(0, 60))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer | string) => chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
  });
}

/** A GET with the given Host header line (or none when `host` is null), closing the connection after the answer. */
export function rawGet(port: number, path: string, host: string | null, extraHeaders = ""): Promise<RawAnswer> {
  const hostLine = host === null ? "" : `Host: ${host}\r\n`;
  return rawHttp(port, `GET ${path} HTTP/1.1\r\n${hostLine}${extraHeaders}Connection: close\r\n\r\n`);
}
