// Hostile input against every tRPC procedure over real HTTP: always a 4xx, never a 500 or a stack trace, never a write.
import { afterAll, beforeAll, expect, test } from "vitest";
import fc from "fast-check";
import { appRouter } from "../routers/_app.ts";
import { databaseFingerprint, PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import { rawGet } from "../testing/raw-http.ts";
import { onLogLine } from "../ops/logger.ts";

let server: TestServer;
let sessionCookie: string;
let staffCookie: string;

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  const portal = new PortalClient(server.url);
  await portal.login("12345678901234", "482913");
  sessionCookie = portal.cookie!;
  const staff = new PortalClient(server.url);
  await staff.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" });
  staffCookie = staff.cookie!;
});
afterAll(async () => {
  await server.close();
});

interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  hasInput: boolean;
}

/** Every procedure of the app router, found from its definition so that new ones are fuzzed without listing them. */
function procedures(): ProcedureInfo[] {
  const record = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: ProcedureInfo["type"]; inputs: unknown[] } }> } })._def.procedures;
  return Object.entries(record).map(([path, procedure]) => ({ path, type: procedure._def.type, hasInput: procedure._def.inputs.length > 0 }));
}

const hostileObjects: unknown[] = [
  { amountOre: -1, cardNumber: "1' OR '1'='1", saleId: "x" },
  { amountOre: 1.5, accountId: "1; DROP TABLE transfers; --" },
  { amountOre: 1e308, accountId: 2 ** 63 },
  { amountOre: "NaN", accountId: Number.NaN },
  JSON.parse('{"__proto__": {"admin": true}, "constructor": {"prototype": {"polluted": 1}}}'),
  { prototype: { polluted: true }, toString: "x" },
  { name: "x".repeat(100_000), email: "a@b.c" },
  { name: "\u202Eevil\u0000null\uD83D\uDE00", description: "<script>alert(1)</script>" },
  { deliveryDay: "2026-13-45", lines: [{ productId: -1, quantity: 1e9 }] },
  { nested: { deeper: { deepest: { evenDeeper: [[[[[{}]]]]] } } } },
  { token: "a".repeat(5000), newPassword: 12345678, repeatPassword: null },
];

const hostilePrimitives = fc.oneof(
  fc.string({ maxLength: 50 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 5 }),
);

function send(procedure: ProcedureInfo, input: unknown, credentials: "none" | "terminal" | "session" | "staff", rawBody?: string) {
  const headers: Record<string, string> = { "content-type": "application/json", "x-kantinekort-csrf": "1" };
  if (credentials === "terminal") headers.authorization = `Bearer ${server.services.config.posDemoKey}`;
  if (credentials === "session") headers.cookie = sessionCookie;
  if (credentials === "staff") headers.cookie = staffCookie;
  const encoded = rawBody ?? JSON.stringify(input);
  if (procedure.type === "mutation") return fetch(`${server.url}/trpc/${procedure.path}`, { method: "POST", headers, body: encoded });
  return fetch(`${server.url}/trpc/${procedure.path}?input=${encodeURIComponent(encoded)}`, { headers });
}

test("every procedure answers hostile input with a 4xx and changes nothing", async () => {
  const targets = procedures().filter((procedure) => procedure.type !== "subscription" && procedure.hasInput);
  expect(targets.length).toBeGreaterThan(25);
  const before = databaseFingerprint(server.services.store);
  const primitives = fc.sample(hostilePrimitives, { numRuns: 12, seed: 20261124 });
  const failures: string[] = [];
  for (const procedure of targets) {
    for (const input of [...hostileObjects, ...primitives]) {
      for (const credentials of ["none", "terminal", "session", "staff"] as const) {
        const response = await send(procedure, input, credentials);
        const body = await response.text();
        if (response.status < 400 || response.status >= 500) failures.push(`${procedure.path} (${credentials}) → ${response.status}: ${body.slice(0, 120)}`);
        if (/"stack"|\bat [\w.<>]+ \(|\.ts:\d+/.test(body)) failures.push(`${procedure.path} leaked a stack trace`);
        if (body.includes(server.services.config.posDemoKey)) failures.push(`${procedure.path} echoed a secret`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(databaseFingerprint(server.services.store)).toEqual(before);
  expect(server.services.store.read((tx) => checkLedger(tx)).ok).toBe(true);
}, 120_000);

test("malformed JSON, wrong content types, garbage batches and oversized bodies are refused early", async () => {
  const before = databaseFingerprint(server.services.store);
  const post = (path: string, body: BodyInit, contentType = "application/json") =>
    fetch(`${server.url}/trpc/${path}`, { method: "POST", headers: { "content-type": contentType, authorization: `Bearer ${server.services.config.posDemoKey}` }, body });
  for (const [body, type] of [["{", "application/json"], ["null", "application/json"], ["[1,2,3]", "application/json"], ["saleId=x", "application/x-www-form-urlencoded"], ["<xml/>", "text/xml"]] as const) {
    const response = await post("pos.sale", body, type);
    expect(response.status, body).toBeGreaterThanOrEqual(400);
    expect(response.status, body).toBeLessThan(500);
  }
  const batch = await post("pos.sale,pos.refund?batch=1", JSON.stringify({ 0: "garbage", 1: { saleId: 1 } }));
  expect(batch.status).toBeGreaterThanOrEqual(400);
  expect(batch.status).toBeLessThan(500);
  const huge = await post("pos.sale", JSON.stringify({ padding: "x".repeat(server.services.config.maxBodyBytes + 10) }));
  expect(huge.status).toBe(413);
  const unknown = await post("no.such.procedure", "{}");
  expect(unknown.status).toBe(404);
  expect(databaseFingerprint(server.services.store)).toEqual(before);
});

/**
 * What a hostile value may be in a field of each kind. Text that a person types (names, descriptions) may
 * legitimately look like SQL or say "NaN", so only values that no field should accept are tried there.
 */
const HUGE_TEXT = "x".repeat(100_000);
const hostileValues = {
  number: [HUGE_TEXT, 1e308, -1, 0.5, "NaN", "Infinity", "1; DROP TABLE transfers; --", "1 OR 1=1", { __proto__: null, admin: true }, JSON.parse('{"__proto__": {"admin": true}}'), [1], true],
  token: [HUGE_TEXT, 1e308, -1, 0.5, "NaN", "' OR '1'='1", "x'; DROP TABLE sales; --", JSON.parse('{"__proto__": {"admin": true}}'), ["a"], null],
  text: [HUGE_TEXT, 1e308, -1, 0.5, JSON.parse('{"__proto__": {"admin": true}}'), ["a"]],
  list: [HUGE_TEXT, 1e308, -1, 0.5, "NaN", "[]; DROP TABLE sales", JSON.parse('{"__proto__": {"admin": true}}'), [JSON.parse('{"__proto__": {"admin": true}}')]],
} as const;

type FieldKind = keyof typeof hostileValues;

interface ValidSample {
  path: string;
  type: "query" | "mutation";
  credentials: "terminal" | "session";
  /** A fresh valid input each call (new idempotency keys), so that a mutated field is the only thing wrong. */
  input: () => Record<string, unknown>;
  fields: Record<string, FieldKind>;
}

test("a valid request with one field made hostile is refused with a 4xx and writes nothing", async () => {
  const store = server.services.store;
  const demoCard = "12345678901234";
  const accountId = store.read((tx) => (tx.sqlite.query("SELECT account_id FROM cards WHERE card_number = ?").get(demoCard) as { account_id: number }).account_id);
  let counter = 0;
  const key = (prefix: string) => `${prefix}-${++counter}-${crypto.randomUUID()}`;
  const saleToRefund = key("fuzz-sale");
  const samples: ValidSample[] = [
    {
      path: "pos.sale",
      type: "mutation",
      credentials: "terminal",
      input: () => ({ saleId: key("fuzz-sale"), cardNumber: demoCard, amountOre: 100, items: [{ name: "Kaffe", quantity: 1, unitPriceOre: 100 }] }),
      fields: { saleId: "token", cardNumber: "token", amountOre: "number", items: "list" },
    },
    { path: "pos.refund", type: "mutation", credentials: "terminal", input: () => ({ refundId: key("fuzz-refund"), saleId: saleToRefund, amountOre: 1 }), fields: { refundId: "token", saleId: "token", amountOre: "number" } },
    { path: "pos.balance", type: "query", credentials: "terminal", input: () => ({ cardNumber: demoCard }), fields: { cardNumber: "token" } },
    { path: "pos.deliver", type: "mutation", credentials: "terminal", input: () => ({ orderNumber: "O-999999" }), fields: { orderNumber: "token" } },
    {
      path: "profile.update",
      type: "mutation",
      credentials: "session",
      input: () => ({ name: "Testbruger A", email: "testbruger.a@example.dk", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } }),
      fields: { name: "text", email: "token", limits: "list" },
    },
    {
      path: "support.create",
      type: "mutation",
      credentials: "session",
      input: () => ({ name: "Testbruger A", email: "testbruger.a@example.dk", accountId, description: "Kortet virker ikke i kantinen" }),
      fields: { name: "text", email: "token", accountId: "number", description: "text", phone: "text" },
    },
    {
      path: "payouts.request",
      type: "mutation",
      credentials: "session",
      input: () => ({ accountId, name: "Testbruger A", registrationNumber: "1234", bankAccountNumber: "12345678", amountOre: 100, idempotencyKey: key("fuzz-payout") }),
      fields: { accountId: "number", name: "text", registrationNumber: "token", bankAccountNumber: "token", amountOre: "number", idempotencyKey: "token", message: "text" },
    },
  ];
  const call = (sample: ValidSample, body: string) =>
    send({ path: sample.path, type: sample.type, hasInput: true }, undefined, sample.credentials, body).then(async (response) => ({ status: response.status, body: await response.text() }));

  // Each sample as it is must be accepted, or the mutations below would only prove that the sample was wrong.
  await call(samples[0]!, JSON.stringify({ ...samples[0]!.input(), saleId: saleToRefund }));
  for (const sample of samples) {
    const answer = await call(sample, JSON.stringify(sample.input()));
    expect(answer.status, `${sample.path}: ${answer.body.slice(0, 200)}`).toBe(200);
  }

  const before = databaseFingerprint(store);
  const failures: string[] = [];
  for (const sample of samples) {
    const variants: Array<[string, string]> = [];
    for (const [field, kind] of Object.entries(sample.fields)) {
      for (const value of hostileValues[kind]) variants.push([`${field} = ${JSON.stringify(value)?.slice(0, 40)}`, JSON.stringify({ ...sample.input(), [field]: value })]);
    }
    // An own "__proto__" key (as JSON.parse makes it) next to valid fields.
    variants.push(["extra __proto__ key", JSON.stringify(sample.input()).replace(/^\{/, '{"__proto__":{"admin":true},')]);
    variants.push(["extra constructor key", JSON.stringify({ ...sample.input(), constructor: { prototype: { polluted: true } } })]);
    for (const [label, body] of variants) {
      const answer = await call(sample, body);
      if (answer.status < 400 || answer.status >= 500) failures.push(`${sample.path} with ${label} → ${answer.status}: ${answer.body.slice(0, 160)}`);
    }
  }
  expect(failures).toEqual([]);
  expect(databaseFingerprint(store)).toEqual(before);
  expect(({} as Record<string, unknown>).admin).toBeUndefined();
  expect(store.read((tx) => checkLedger(tx)).ok).toBe(true);
}, 120_000);

test("malformed paths, cookies and headers are refused with a 4xx, never a 500", async () => {
  const failures: string[] = [];
  const check = async (label: string, response: Promise<Response>) => {
    const answer = await response;
    const body = await answer.text();
    if (answer.status >= 500) failures.push(`${label} → ${answer.status}: ${body.slice(0, 120)}`);
  };
  for (const path of ["/%E0%A4%A", "/%", "/%zz", "/assets/%E0%A4%A.js", "/%C0%AF..%C0%AF", "/trpc/%E0%A4%A", "/photos/%E0%A4%A"]) {
    await check(`GET ${path}`, fetch(`${server.url}${path}`));
  }
  const malformedCookies = ["kk_kitchen=%E0%A4%A", "kk_kitchen=%", "kk_kitchen===%%", "kk_session=%E0%A4%A", "kk_session=;kk_kitchen=", "=;=;=", "kk_kitchen=x".repeat(500)];
  for (const cookie of malformedCookies) {
    const headers = { cookie, "content-type": "application/json", "x-kantinekort-csrf": "1" };
    await check(`kitchen.queue with ${cookie.slice(0, 30)}`, fetch(`${server.url}/trpc/kitchen.queue`, { headers }));
    await check(`kitchen.advance with ${cookie.slice(0, 30)}`, fetch(`${server.url}/trpc/kitchen.advance`, { method: "POST", headers, body: JSON.stringify({ orderId: 1, to: "preparing" }) }));
    await check(`auth.me with ${cookie.slice(0, 30)}`, fetch(`${server.url}/trpc/auth.me`, { headers }));
    await check(`statement.csv with ${cookie.slice(0, 30)}`, fetch(`${server.url}/statement.csv?accountId=1&year=2026&month=1`, { headers }));
  }
  const malformedHeaders: Record<string, string>[] = [
    { authorization: "Bearer %E0%A4%A" },
    { authorization: `Bearer ${"k".repeat(10_000)}` },
    { authorization: "Basic ::::" },
    { origin: "%E0%A4%A" },
    { origin: "http://[::1" },
    { "content-type": "application/json; charset=%E0%A4%A" },
    { "x-forwarded-for": "%E0%A4%A, not-an-address" },
    { "x-forwarded-proto": "%E0%A4%A" },
    { "trpc-accept": "application/jsonl" },
    { "last-event-id": "%E0%A4%A" },
  ];
  for (const extra of malformedHeaders) {
    const headers = { "content-type": "application/json", "x-kantinekort-csrf": "1", ...extra };
    const label = JSON.stringify(extra).slice(0, 60);
    await check(`pos.sale with ${label}`, fetch(`${server.url}/trpc/pos.sale`, { method: "POST", headers, body: JSON.stringify({ saleId: "malformed-1", cardNumber: "12345678901234", amountOre: 1 }) }));
    await check(`kitchen.queue with ${label}`, fetch(`${server.url}/trpc/kitchen.queue`, { headers }));
  }
  expect(failures).toEqual([]);
});

test("NUL bytes in paths and malformed Host headers get a 400 with one log line and no stack trace, on every route", async () => {
  const port = Number(new URL(server.url).port);
  const logged: string[] = [];
  // The server's log lines (JSON, one per line) as they are written.
  const stopListening = onLogLine((line) => void logged.push(line.replace(/\n$/, "")));
  const cases: Array<{ path: string; host: string | null }> = [];
  for (const path of ["/%00", "/kitchen%00", "/trpc/health%00", "/assets/x%00.js", "/statement.csv%00", "/dev/outbox%00", "/acquirer/pay/%00", "/photos/1%00"]) cases.push({ path, host: "127.0.0.1" });
  for (const host of ["", "a b", "[::1", "x:99999", "x:-1", "exa mple.dk:80", "[::1]:99999", "a/b"]) {
    for (const path of ["/", "/kitchen", "/trpc/health", "/trpc/auth.me", "/dev/outbox", "/statement.csv"]) cases.push({ path, host });
  }
  const failures: string[] = [];
  try {
    for (const { path, host } of cases) {
      const before = logged.length;
      const answer = await rawGet(port, path, host);
      if (answer.status !== 400) failures.push(`${path} with Host ${JSON.stringify(host)} → ${answer.status}`);
      if (/\bat [\w.<>]+ \(|\.ts:\d+|"stack"/.test(answer.body)) failures.push(`${path} with Host ${JSON.stringify(host)} leaked a stack trace`);
      const lines = logged.slice(before);
      if (lines.length !== 1 || lines[0]!.includes("\n")) failures.push(`${path} with Host ${JSON.stringify(host)} logged ${JSON.stringify(lines)}`);
    }
    // A well-formed Host with a port, an IPv6 literal and a plain name are still served.
    for (const host of ["127.0.0.1", `127.0.0.1:${port}`, "[::1]:8080", "kantine.example.dk"]) {
      const answer = await rawGet(port, "/trpc/health", host);
      if (answer.status !== 200) failures.push(`health with good Host ${host} → ${answer.status}`);
    }
  } finally {
    stopListening();
  }
  expect(failures).toEqual([]);
});
