// Hostile input against every tRPC procedure over real HTTP: always a 4xx, never a 500 or a stack trace, never a write.
import { afterAll, beforeAll, expect, test } from "vitest";
import fc from "fast-check";
import { appRouter } from "../routers/_app.ts";
import { PortalClient, startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/ledger.ts";

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

function send(procedure: ProcedureInfo, input: unknown, credentials: "none" | "terminal" | "session" | "staff") {
  const headers: Record<string, string> = { "content-type": "application/json", "x-kantinekort-csrf": "1" };
  if (credentials === "terminal") headers.authorization = `Bearer ${server.services.config.posDemoKey}`;
  if (credentials === "session") headers.cookie = sessionCookie;
  if (credentials === "staff") headers.cookie = staffCookie;
  const encoded = JSON.stringify(input);
  if (procedure.type === "mutation") return fetch(`${server.url}/trpc/${procedure.path}`, { method: "POST", headers, body: encoded });
  return fetch(`${server.url}/trpc/${procedure.path}?input=${encodeURIComponent(encoded)}`, { headers });
}

test("every procedure answers hostile input with a 4xx and changes nothing", async () => {
  const targets = procedures().filter((procedure) => procedure.type !== "subscription" && procedure.hasInput);
  expect(targets.length).toBeGreaterThan(25);
  const before = tableCounts(server.services.store);
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
  expect(tableCounts(server.services.store)).toEqual(before);
  expect(server.services.store.read((tx) => checkLedger(tx)).ok).toBe(true);
}, 120_000);

test("malformed JSON, wrong content types, garbage batches and oversized bodies are refused early", async () => {
  const before = tableCounts(server.services.store);
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
  expect(tableCounts(server.services.store)).toEqual(before);
});
