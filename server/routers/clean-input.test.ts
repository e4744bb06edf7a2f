// Issue 29, finding 10, over real HTTP: names and texts with control or bidi characters are refused everywhere with a
// readable message and change nothing; a cardholder photo is stored only as re-encoded pixels, without metadata.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import sharp from "sharp";
import { databaseFingerprint, PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { HIDDEN_CHARACTERS_ERROR } from "../../common/text.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;
let cardholder: PortalClient;
let canteenId: number;
let accountId: number;
let userId: number;
const DEMO_TILL = "demo-terminal-key-kantinen-0001";
const CARD = "12345678901234";
const formKey = () => crypto.randomUUID();

/** What each finding's name looks like: shown as "Hansen admin", and the raw control characters a terminal obeys. */
const BAD_NAMES = ["Hansen \u202Enimda\u202C", "Hansen\u0000", "Hansen\u001b[2J", "Hansen\r\nBcc: x", "Han\u2066sen\u2069", "Hansen\u200F", "Hansen\u0085", "Hansen\u007F"];

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = new PortalClient(server.url);
  expect((await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
  staff = new PortalClient(server.url);
  expect((await staff.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "Kantine2026!" })).data).toMatchObject({ ok: true });
  cardholder = new PortalClient(server.url);
  await cardholder.login(CARD, "482913");
  canteenId = (await admin.query("backoffice.me")).data.canteens[0].canteenId;
  accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
  userId = (await cardholder.query("auth.me")).data.userId;
});
afterAll(async () => {
  await server.close();
});

function till(input: unknown) {
  return fetch(`${server.url}/trpc/pos.sale`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_TILL}` }, body: JSON.stringify(input) });
}

/** Every way in for a name or a text, each with the bad text in its name field. */
const entries: Array<[string, (name: string) => Promise<{ status: number; message: string }>]> = [
  ["profile.update (Brugerinfo)", async (name) => read(await cardholder.mutate("profile.update", { name, email: "anne@example.dk", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } }))],
  ["support.create", async (name) => read(await cardholder.mutate("support.create", { name, email: "anne@example.dk", accountId, description: `Mit kort virker ikke ${name}` }))],
  ["payouts.request", async (name) => read(await cardholder.mutate("payouts.request", { accountId, name, registrationNumber: "1234", bankAccountNumber: "1", amountOre: 100, idempotencyKey: `clean-${formKey()}` }))],
  ["backoffice.issueCard", async (name) => read(await staff.mutate("backoffice.issueCard", { name, idempotencyKey: formKey() }))],
  ["backoffice.saveProduct", async (name) => read(await staff.mutate("backoffice.saveProduct", { canteenId, name, category: "Dagens ret", priceOre: 2_000, active: true, idempotencyKey: formKey() }))],
  ["backoffice.createStaff", async (name) => read(await admin.mutate("backoffice.createStaff", { email: `s-${formKey()}@example.dk`, name, role: "staff", password: "Kantine2026!", idempotencyKey: formKey() }))],
  ["pos.sale item", async (name) => {
    const response = await till({ saleId: `clean-${formKey()}`, cardNumber: CARD, amountOre: 100, items: [{ name, quantity: 1, unitPriceOre: 100 }] });
    const body = (await response.json()) as { error?: { message: string } };
    return { status: response.status, message: body.error?.message ?? "" };
  }],
];

function read(response: { status: number; error?: { message: string } }) {
  return { status: response.status, message: response.error?.message ?? "" };
}

describe("names and texts", () => {
  test.each(entries)("%s refuses control and bidi characters with a readable message and writes nothing", async (_entry, call) => {
    const before = databaseFingerprint(server.services.store);
    for (const name of BAD_NAMES) {
      const answer = await call(name);
      expect({ name, ...answer }).toEqual({ name, status: 400, message: expect.stringContaining(HIDDEN_CHARACTERS_ERROR) });
    }
    expect(databaseFingerprint(server.services.store)).toEqual(before);
  });

  test("a class-list row with a control character rejects the file, naming the line; nothing is issued", async () => {
    const before = databaseFingerprint(server.services.store);
    const csv = "navn;e-mail;klasse\nAnna;anna@example.dk;3A\nBo\u001b[31m;bo@example.dk;3A\nCarl;;3\u202EA\n";
    const answer = await staff.mutate("backoffice.importCards", { csv, commit: true, idempotencyKey: formKey() });
    expect(answer.data).toMatchObject({ ok: false, errors: [{ line: 3, message: HIDDEN_CHARACTERS_ERROR }, { line: 4, message: HIDDEN_CHARACTERS_ERROR }], issued: [] });
    expect(databaseFingerprint(server.services.store)).toEqual(before);
  });

  test("names are kept in NFC, and letters, accents and emoji are welcome", async () => {
    const saved = await cardholder.mutate("profile.update", { name: "  A\u030Ase Zoë 👩‍👧  ", email: "anne@example.dk", limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } });
    expect(saved.status).toBe(200);
    expect(saved.data.name).toBe("\u00C5se Zoë 👩‍👧");
    // A support case may span lines; a CRLF from a form post is kept as LF.
    expect((await cardholder.mutate("support.create", { name: "Åse", email: "anne@example.dk", accountId, description: "Linje 1\r\nLinje 2\tmed tab" })).status).toBe(200);
  });
});

describe("the cardholder photo", () => {
  const upload = (bytes: Uint8Array, mime = "image/png") => cardholder.mutate("profile.uploadPhoto", { dataUrl: `data:${mime};base64,${Buffer.from(bytes).toString("base64")}` });

  test("a PNG signature followed by HTML is refused on the dataUrl field and nothing is stored", async () => {
    const before = databaseFingerprint(server.services.store);
    const polyglot = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("<html><script>fetch('/trpc/auth.me')</script></html>")]);
    const answer = await upload(polyglot);
    expect(answer.status).toBe(400);
    expect(answer.error?.data.issues).toEqual([{ path: "dataUrl", message: expect.stringMatching(/cannot be read as a JPEG, PNG or WebP image/) }]);
    expect(databaseFingerprint(server.services.store)).toEqual(before);
    expect((await cardholder.get(`/photos/${userId}`)).status).toBe(404);
  });

  test("a photo with EXIF GPS is served re-encoded: a JPEG of at most 512 px with no EXIF", async () => {
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: "#cc8844" } })
      .jpeg()
      .withExif({ IFD0: { Make: "KidPhone" }, IFD3: { GPSLatitudeRef: "N", GPSLatitude: "55/1 40/1 34/1", GPSLongitudeRef: "E", GPSLongitude: "12/1 34/1 6/1" } })
      .toBuffer();
    expect(photo.includes("Exif")).toBe(true);
    const answer = await upload(photo, "image/jpeg");
    expect(answer.status).toBe(200);
    const served = await cardholder.get(answer.data.photoUrl);
    expect(served.headers.get("content-type")).toBe("image/jpeg");
    const bytes = Buffer.from(await served.arrayBuffer());
    expect(bytes.includes("Exif")).toBe(false);
    expect(bytes.includes("KidPhone")).toBe(false);
    const metadata = await sharp(bytes).metadata();
    expect({ format: metadata.format, width: metadata.width, height: metadata.height, exif: metadata.exif }).toEqual({ format: "jpeg", width: 512, height: 384, exif: undefined });
  });
});
