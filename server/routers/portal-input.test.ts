// Bad input on every portal mutation over real HTTP: 400 BAD_REQUEST with field issues, and not one row written or changed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;
let card: TestCard;
let client: PortalClient;
const code = "314159";

beforeAll(async () => {
  server = await startTestServer();
  store = server.services.store;
  canteen = await createCanteen(store);
  card = await createCard(store, canteen, { code, balanceOre: 5_000, name: "Bo Bent", email: "bo@example.dk" });
  client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
});
afterAll(async () => {
  await server.close();
});

/** Every row a portal mutation could write or change, so "nothing changed" is checked on contents, not only counts. */
function snapshot(): string {
  return store.read((tx) => {
    const dump: Record<string, unknown> = {};
    for (const table of ["users", "cards", "ledger_accounts", "transfers", "sessions", "password_reset_tokens", "outbox", "support_cases", "user_photos", "login_attempts"]) {
      dump[table] = tx.sqlite.query(`SELECT * FROM ${table} ORDER BY rowid`).all();
    }
    return JSON.stringify(dump);
  });
}

const validProfile = {
  name: "Bo Bent",
  email: "bo@example.dk",
  address: "Vej 1",
  postalCode: "8000",
  city: "Aarhus",
  phone: "12345678",
  limits: { dailyOre: null, weeklyOre: null, monthlyOre: null },
};
const png = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a9f5e1a50000000049454e44ae426082", "hex");

/** [procedure, bad input, a field path that must be named (or null for a whole-input issue)]. */
const cases: Array<[string, unknown, string | null]> = [
  ["auth.login", { cardNumber: "12ab", password: code }, "cardNumber"],
  ["auth.login", { cardNumber: "12345678901234", password: "" }, "password"],
  ["auth.login", { cardNumber: "12345678901234", password: "x", extra: 1 }, null],
  ["auth.login", undefined, null],
  ["auth.changePassword", { currentPassword: code, newPassword: "kort1", repeatPassword: "kort1" }, "newPassword"],
  ["auth.changePassword", { currentPassword: code, newPassword: "onlyletters", repeatPassword: "onlyletters" }, "newPassword"],
  ["auth.changePassword", { currentPassword: code, newPassword: "12345678", repeatPassword: "12345678" }, "newPassword"],
  ["auth.changePassword", { currentPassword: code, newPassword: "Sommer2026", repeatPassword: "Sommer2027" }, "repeatPassword"],
  ["auth.requestPasswordReset", { email: "not-an-email" }, "email"],
  ["auth.requestPasswordReset", {}, "email"],
  ["auth.resetPassword", { token: "short", newPassword: "Sommer2026", repeatPassword: "Sommer2026" }, "token"],
  ["auth.resetPassword", { token: "a".repeat(32), newPassword: "weak", repeatPassword: "weak" }, "newPassword"],
  ["profile.update", { ...validProfile, name: "" }, "name"],
  ["profile.update", { ...validProfile, email: "bo@" }, "email"],
  ["profile.update", { ...validProfile, cpr: "3113951234" }, "cpr"],
  ["profile.update", { ...validProfile, cpr: "12345" }, "cpr"],
  ["profile.update", { ...validProfile, postalCode: "80000" }, "postalCode"],
  ["profile.update", { ...validProfile, phone: "call me" }, "phone"],
  ["profile.update", { ...validProfile, limits: { dailyOre: -1, weeklyOre: null, monthlyOre: null } }, "limits.dailyOre"],
  ["profile.update", { ...validProfile, limits: { dailyOre: 10.5, weeklyOre: null, monthlyOre: null } }, "limits.dailyOre"],
  ["profile.update", { ...validProfile, limits: undefined }, "limits"],
  ["profile.uploadPhoto", { dataUrl: "data:image/gif;base64,R0lGODlhAQABAAAAACw=" }, "dataUrl"],
  ["profile.uploadPhoto", { dataUrl: `data:image/jpeg;base64,${png.toString("base64")}` }, "dataUrl"],
  ["profile.uploadPhoto", { dataUrl: `data:image/png;base64,${Buffer.concat([png.subarray(0, 8), Buffer.alloc(310_000)]).toString("base64")}` }, "dataUrl"],
  ["profile.uploadPhoto", { dataUrl: 42 }, "dataUrl"],
  ["accounts.block", { accountId: "1" }, "accountId"],
  ["accounts.block", { accountId: -3 }, "accountId"],
  ["support.create", { name: "Bo", email: "bo@example.dk", accountId: 0, description: "Kortet virker ikke" }, "accountId"],
  ["support.create", { name: "Bo", email: "bo@example.dk", accountId: 1, description: "kort" }, "description"],
  ["support.create", { name: "", email: "bo@example.dk", accountId: 1, description: "Kortet virker ikke" }, "name"],
  ["support.create", { name: "Bo", email: "nope", accountId: 1, description: "Kortet virker ikke" }, "email"],
];

describe("bad input on every portal mutation", () => {
  test.each(cases.map((entry, index) => [index, ...entry] as const))("#%i %s → 400 with issues, nothing written", async (_index, procedure, input, path) => {
    // accounts.block and support.create need a real account id where the case is not about the id itself.
    const body = procedure === "support.create" && (input as { accountId: number }).accountId === 1 ? { ...(input as object), accountId: card.accountId } : input;
    const before = snapshot();
    const response = await client.mutate(procedure, body);
    expect(response.status).toBe(400);
    expect(response.error?.data.code).toBe("BAD_REQUEST");
    expect(response.error?.data.issues?.length).toBeGreaterThan(0);
    if (path !== null) expect(response.error?.data.issues?.map((issue) => issue.path)).toContain(path);
    // Bad input is answered before any write: not even a login attempt or a session refresh is recorded.
    expect(snapshot()).toBe(before);
    expect(response.text).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test("the session still works after all the bad input (nothing was locked or ended)", async () => {
    expect((await client.query("auth.me")).data).toMatchObject({ userId: card.userId, profileComplete: true });
  });
});
