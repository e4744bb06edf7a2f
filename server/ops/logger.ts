// The server's log: one JSON line per event (pino) on stdout, levels by LOG_LEVEL. Nothing secret is ever passed to it;
// the redaction below is a second line of defence for field names that could carry a secret by mistake.
import pino from "pino";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type Logger = pino.Logger;

function initialLevel(): LogLevel {
  const requested = process.env.LOG_LEVEL?.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(requested ?? "")) return requested as LogLevel;
  return process.env.NODE_ENV === "test" ? "warn" : "info";
}

/**
 * Top-level field names whose values are replaced. Top level only: wildcard paths (`*.password`) doubled the cost of
 * every request's line in a measurement, and no call site passes nested objects from input.
 */
const SECRET_FIELDS = ["password", "code", "verificationCode", "cardNumber", "cpr", "token", "authorization", "cookie", "secret", "key", "apiKey"];

/** Who else reads every line as it is written (the fuzz test counts lines); empty in normal operation. */
const listeners = new Set<(line: string) => void>();
const stdout = pino.destination({ dest: 1, sync: true });
/**
 * Lines are gathered and written together once per turn of the event loop: one synchronous write per request was 4 %
 * of a till sale's time in the issue-16 profile, and pino's asynchronous mode cost more than it saved (a byte count
 * and a buffer copy per line). A line is on its way within the same turn; whatever is pending is written at exit.
 */
let pending: string[] = [];
let flushScheduled = false;
function flushLines(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const chunk = pending.length === 1 ? pending[0]! : pending.join("");
  pending = [];
  stdout.write(chunk);
}
process.on("exit", flushLines);
const destination = {
  write(line: string): void {
    for (const listener of listeners) listener(line);
    pending.push(line);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushLines);
    }
  },
};

/** Calls `listener` with every log line (JSON, newline at the end) until the returned function is called. */
export function onLogLine(listener: (line: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export const log: Logger = pino({
  level: initialLevel(),
  base: { service: "kantinekort" },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  redact: { paths: SECRET_FIELDS, censor: "[redacted]" },
}, destination);

/** LOG_LEVEL from the validated configuration (the server calls this at start). */
export function setLogLevel(level: LogLevel): void {
  log.level = level;
}

/** An error as a log field: its name and message; the stack only for errors we did not foresee. */
export function errorField(error: unknown, withStack = false): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(withStack && error.stack ? { stack: error.stack } : {}) };
  return { name: "NonError", message: String(error) };
}
