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

/** Field names whose values are replaced wherever they appear (top level or one level down). */
const SECRET_FIELDS = ["password", "code", "verificationCode", "cardNumber", "cpr", "token", "authorization", "cookie", "secret", "key", "apiKey"];

export const log: Logger = pino({
  level: initialLevel(),
  base: { service: "kantinekort" },
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)], censor: "[redacted]" },
});

/** LOG_LEVEL from the validated configuration (the server calls this at start). */
export function setLogLevel(level: LogLevel): void {
  log.level = level;
}

/** An error as a log field: its name and message; the stack only for errors we did not foresee. */
export function errorField(error: unknown, withStack = false): { name: string; message: string; stack?: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, ...(withStack && error.stack ? { stack: error.stack } : {}) };
  return { name: "NonError", message: String(error) };
}
