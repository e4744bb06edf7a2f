// Security checks in CI: headers on every kind of response, and no secrets or CPR numbers in the server's own logs.
import { afterAll, beforeAll, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitForHttp } from "../../tools/processes.ts";

const directory = mkdtempSync(join(tmpdir(), "kantinekort-security-"));
let base = "";
let server: Bun.Subprocess<"ignore", "pipe", "pipe">;
let logs: Promise<[string, string]>;
const POS_KEY = "security-test-terminal-key-00001";

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = Bun.spawn([process.execPath, "server/main.ts"], {
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DATABASE_PATH: join(directory, "security.sqlite"), SEED_DEMO: "true", POS_DEMO_KEY: POS_KEY, NODE_ENV: "test", LOG_LEVEL: "info" },
    stdout: "pipe",
    stderr: "pipe",
  });
  logs = Promise.all([new Response(server.stdout).text(), new Response(server.stderr).text()]);
  await waitForHttp(`${base}/trpc/health`);
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function checkHeaders(response: Response, label: string) {
  const csp = response.headers.get("content-security-policy") ?? "";
  const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "";
  expect(scriptSrc, label).toContain("'self'");
  expect(scriptSrc, label).not.toContain("unsafe-inline");
  expect(csp, label).toContain("frame-ancestors 'none'");
  expect(response.headers.get("x-content-type-options"), label).toBe("nosniff");
  expect(response.headers.get("referrer-policy"), label).toBe("same-origin");
}

test("security headers are on pages, API answers, errors, the payment page and the outbox", async () => {
  for (const path of ["/", "/konti", "/kitchen", "/trpc/health", "/trpc/pos.sale", "/acquirer/pay/00000000-0000-0000-0000-000000000000", "/dev/outbox", "/statement.csv", "/assets/missing.js", "/%E0%A4%A"]) {
    checkHeaders(await fetch(`${base}${path}`), path);
  }
  checkHeaders(await fetch(`${base}/trpc/pos.sale`, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" }), "refused POST");
});

test("a scripted session leaves no CPR number, code, key, session or reset token in the logs; one JSON line per request with its id", async () => {
  // Every answer's X-Request-Id, to find its log line afterwards.
  const requestIds: string[] = [];
  const fetch = async (input: string, init?: RequestInit) => {
    const response = await globalThis.fetch(input, init);
    requestIds.push(response.headers.get("x-request-id") ?? "missing");
    return response;
  };
  const json = { "content-type": "application/json", "x-kantinekort-csrf": "1" };
  await fetch(`${base}/trpc/auth.login`, { method: "POST", headers: json, body: JSON.stringify({ cardNumber: "12345678901234", password: "999999" }) });
  const login = await fetch(`${base}/trpc/auth.login`, { method: "POST", headers: json, body: JSON.stringify({ cardNumber: "12345678901234", password: "482913" }) });
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  const token = cookie.split("=")[1]!;
  await fetch(`${base}/trpc/profile.update`, {
    method: "POST",
    headers: { ...json, cookie },
    body: JSON.stringify({ name: "Testbruger A", email: "testbruger.a@example.dk", cpr: "0111021234", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } }),
  });
  await fetch(`${base}/trpc/profile.update`, { method: "POST", headers: { ...json, cookie }, body: JSON.stringify({ name: "", email: "x", cpr: "3199991234" }) });
  for (const amountOre of [3_500, -1, 1e12]) {
    await fetch(`${base}/trpc/pos.sale`, { method: "POST", headers: { ...json, authorization: `Bearer ${POS_KEY}` }, body: JSON.stringify({ saleId: `log-${amountOre}-0000`, cardNumber: "12345678901234", amountOre }) });
  }
  await fetch(`${base}/trpc/pos.sale`, { method: "POST", headers: { ...json, authorization: "Bearer wrong-key-that-is-long-enough" }, body: "{}" });
  await fetch(`${base}/trpc/auth.requestPasswordReset`, { method: "POST", headers: json, body: JSON.stringify({ email: "testbruger.a@example.dk" }) });
  // The reset mail is sent after the answer (so that known and unknown addresses take equally long): wait for it.
  let resetToken: string | undefined;
  for (let attempt = 0; attempt < 200 && !resetToken; attempt += 1) {
    if (attempt > 0) await Bun.sleep(25);
    resetToken = /token=([a-z2-7]+)/.exec(await (await fetch(`${base}/dev/outbox`)).text())?.[1];
  }
  expect(resetToken).toBeTruthy();
  server.kill("SIGTERM");
  await server.exited;
  const [stdout, stderr] = await logs;
  const output = stdout + stderr;
  expect(output).toContain("login failed");
  // Every line is one JSON object; every request the session made has exactly one request line, found by its id.
  const lines = output.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const line of lines) expect(typeof line.level === "string" && typeof line.time === "string" && typeof line.msg === "string", JSON.stringify(line)).toBe(true);
  expect(new Set(requestIds).size).toBe(requestIds.length);
  // Nine calls above and at least one look into the outbox.
  expect(requestIds.length).toBeGreaterThanOrEqual(10);
  for (const id of requestIds) {
    const requestLines = lines.filter((line) => line.msg === "request" && line.requestId === id);
    expect(requestLines, `request line for ${id}`).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({ level: "info", client: "127.0.0.1" });
    expect(requestLines[0]!.path).toMatch(/^\/[^?]*$/);
  }
  // The failed login's own line names its request.
  expect(lines.some((line) => line.msg === "login failed" && requestIds.includes(line.requestId as string))).toBe(true);
  for (const secret of ["0111021234", "011102-1234", "3199991234", "482913", POS_KEY, token, resetToken!, "12345678901234"]) {
    expect(output.includes(secret), `log contains ${secret.slice(0, 4)}…`).toBe(false);
  }
});
