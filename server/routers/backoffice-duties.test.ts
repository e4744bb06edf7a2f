// Separation of duties and idempotent creates in the back office, over real HTTP (issue 10, items 6 and 7).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { databaseFingerprint, PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;

const formKey = () => crypto.randomUUID();

async function staffLogin(email: string, password: string) {
  const client = new PortalClient(server.url);
  expect((await client.mutate("backoffice.login", { email, password })).data).toMatchObject({ ok: true });
  return client;
}

type Issued = { userId: number; accountId: number; cardId: number; cardNumber: string; verificationCode: string };

async function issue(by: PortalClient, name: string, email?: string): Promise<Issued> {
  const answer = await by.mutate("backoffice.issueCard", { name, ...(email ? { email } : {}), idempotencyKey: formKey() });
  expect(answer.error).toBeUndefined();
  return answer.data;
}

const mailsTo = (recipient: string) =>
  server.services.store.read((tx) => tx.sqlite.query("SELECT subject, body_text AS body FROM outbox WHERE recipient = ? ORDER BY id").all(recipient) as Array<{ subject: string; body: string }>);
const count = (table: string) => server.services.store.read((tx) => (tx.sqlite.query(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
type AuditEntry = { action: string; actor: string; target: string; details: Record<string, unknown> };
const auditEntries = async () => (await admin.query("backoffice.audit", { limit: 200 })).data.entries as AuditEntry[];

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = await staffLogin("admin@kantinekort.local", "Admin2026!");
  staff = await staffLogin("kantine@kantinekort.local", "Kantine2026!");
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

describe("separation of duties", () => {
  test("canteen staff issue a card to themselves but cannot link it as a pupil's guardian; nothing is written and the pupil's money stays out of reach", async () => {
    const pupil = await issue(admin, "Pia Elev", "pia.elev@example.dk");
    await admin.mutate("backoffice.correct", { accountId: pupil.accountId, amountOre: 20_000, direction: "credit", reason: "Startsaldo til prøven", idempotencyKey: `duties-${formKey()}` });
    // The attack of issue 10: staff issue a card in their own name (the code comes back to them) …
    const own = await issue(staff, "Kantine Medarbejder", "kantine.privat@example.dk");
    expect(own.verificationCode).toMatch(/^\d{6}$/);
    // … and try to make it the guardian of the pupil's card.
    const before = databaseFingerprint(server.services.store);
    const link = await staff.mutate("backoffice.linkGuardian", { userId: pupil.userId, guardianCardNumber: own.cardNumber });
    expect(link.error?.data.code).toBe("FORBIDDEN");
    expect((await staff.mutate("backoffice.unlinkGuardian", { userId: pupil.userId, guardianUserId: own.userId })).error?.data.code).toBe("FORBIDDEN");
    expect(databaseFingerprint(server.services.store)).toEqual(before);
    // Signed in with their card, staff see their own account only: no Overfør from the pupil's balance.
    const attacker = new PortalClient(server.url);
    expect((await attacker.login(own.cardNumber, own.verificationCode)).data).toMatchObject({ ok: true });
    const accounts = (await attacker.query("accounts.list")).data as Array<{ accountId: number; cardNumber: string }>;
    expect(accounts.map((account) => account.cardNumber)).toEqual([own.cardNumber]);
    expect(accounts.some((account) => account.accountId === pupil.accountId)).toBe(false);
  });

  test("an administrator's guardian link e-mails the cardholder and the family's other guardians (not the new guardian) and is audited with cards and holders", async () => {
    const child = await issue(admin, "Carl Barn", "carl.barn@example.dk");
    const mother = await issue(admin, "Mona Mor", "mona.mor@example.dk");
    const father = await issue(admin, "Frank Far", "frank.far@example.dk");
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: mother.cardNumber })).data).toMatchObject({ ok: true });
    const toChild = mailsTo("carl.barn@example.dk");
    expect(toChild).toHaveLength(1);
    expect(toChild[0]!.subject).toContain("Ny værge");
    expect(toChild[0]!.body).toContain("Mona Mor");
    expect(toChild[0]!.body).toContain("admin@kantinekort.local");
    expect(mailsTo("mona.mor@example.dk")).toEqual([]);
    // A second guardian: the child and the first guardian hear of it.
    await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: father.cardNumber });
    expect(mailsTo("carl.barn@example.dk")).toHaveLength(2);
    expect(mailsTo("mona.mor@example.dk").map((mail) => mail.body)).toEqual([expect.stringContaining("Frank Far")]);
    expect(mailsTo("frank.far@example.dk")).toEqual([]);
    // Linking again changes nothing and mails nobody.
    await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: father.cardNumber });
    expect(mailsTo("carl.barn@example.dk")).toHaveLength(2);

    const link = (await auditEntries()).find((entry) => entry.action === "guardian.link" && entry.details.guardianUserId === father.userId)!;
    expect(link).toMatchObject({ actor: "admin@kantinekort.local", details: { cardNumber: child.cardNumber, holder: "Carl Barn", guardianCardNumber: father.cardNumber, guardianName: "Frank Far" } });
    expect((await admin.mutate("backoffice.unlinkGuardian", { userId: child.userId, guardianUserId: father.userId })).data).toEqual({ ok: true });
    const unlink = (await auditEntries()).find((entry) => entry.action === "guardian.unlink")!;
    expect(unlink).toMatchObject({ actor: "admin@kantinekort.local", details: { cardNumber: child.cardNumber, holder: "Carl Barn", guardianCardNumber: father.cardNumber, guardianName: "Frank Far" } });
  });

  test("a replaced or unblocked card e-mails its holder and guardians; every card and money entry names the card, the holder and the amount", async () => {
    const child = await issue(admin, "Rita Barn", "rita.barn@example.dk");
    const parent = await issue(admin, "Per Forælder", "per.foraelder@example.dk");
    await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: parent.cardNumber });
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "blocked" })).data).toEqual({ ok: true });
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "active" })).data).toEqual({ ok: true });
    expect(mailsTo("per.foraelder@example.dk").map((mail) => mail.subject)).toEqual([expect.stringContaining("er åbnet igen")]);
    const replaced = (await staff.mutate("backoffice.replaceCard", { cardId: child.cardId, idempotencyKey: formKey() })).data as { cardNumber: string };
    for (const recipient of ["rita.barn@example.dk", "per.foraelder@example.dk"]) {
      const mail = mailsTo(recipient).at(-1)!;
      expect(mail.subject).toContain("er erstattet");
      expect(mail.body).toContain(replaced.cardNumber.slice(-4));
      expect(mail.body).toContain("kantine@kantinekort.local");
    }

    await admin.mutate("backoffice.correct", { accountId: child.accountId, amountOre: 1_500, direction: "credit", reason: "Fejl ved kassen", idempotencyKey: `duties-${formKey()}` });
    const portal = new PortalClient(server.url);
    const demo = await portal.login("12345678901234", "482913");
    expect(demo.data).toMatchObject({ ok: true });
    const demoAccount = ((await portal.query("accounts.list")).data as Array<{ accountId: number; own: boolean }>)[0]!.accountId;
    const requested = await portal.mutate("payouts.request", { accountId: demoAccount, name: "Testbruger A", registrationNumber: "1234", bankAccountNumber: "1234567890", amountOre: 700, idempotencyKey: `duties-${formKey()}` });
    expect(requested.error).toBeUndefined();
    await admin.mutate("backoffice.decidePayout", { payoutId: requested.data.payout.payoutId, status: "rejected", reason: "Forkert konto" });

    const entries = await auditEntries();
    const find = (action: string) => entries.find((entry) => entry.action === action)!;
    expect(find("card.issue")).toMatchObject({ actor: "admin@kantinekort.local", details: { cardNumber: parent.cardNumber, holder: "Per Forælder" } });
    expect(find("card.block")).toMatchObject({ actor: "kantine@kantinekort.local", details: { cardNumber: child.cardNumber, holder: "Rita Barn" } });
    expect(find("card.unblock")).toMatchObject({ actor: "kantine@kantinekort.local", details: { cardNumber: child.cardNumber, holder: "Rita Barn" } });
    expect(find("card.replace")).toMatchObject({ actor: "kantine@kantinekort.local", details: { cardNumber: child.cardNumber, newCardNumber: replaced.cardNumber, holder: "Rita Barn" } });
    expect(find("ledger.correction")).toMatchObject({ actor: "admin@kantinekort.local", details: { cardNumber: replaced.cardNumber, holder: "Rita Barn", amountOre: 1_500, direction: "credit", reason: "Fejl ved kassen" } });
    expect(find("payout.rejected")).toMatchObject({ actor: "admin@kantinekort.local", details: { cardNumber: "12345678901234", holder: "Testbruger A", amountOre: 700, reason: "Forkert konto" } });
  });
});

describe("every back-office create is idempotent per form fill", () => {
  test("a double-submitted card issue creates one cardholder and returns the same card and code twice", async () => {
    const key = formKey();
    const users = count("users");
    const [first, second] = await Promise.all([0, 1].map(() => staff.mutate("backoffice.issueCard", { name: "Dobbelt Klik", idempotencyKey: key })));
    expect(first!.error).toBeUndefined();
    expect(second!.data).toEqual(first!.data);
    expect(count("users")).toBe(users + 1);
    // The code shown twice is the one that works.
    expect((await new PortalClient(server.url).login(first!.data.cardNumber, first!.data.verificationCode)).data).toMatchObject({ ok: true });
    // The same key with other input is a conflict and writes nothing.
    const before = databaseFingerprint(server.services.store);
    const other = await staff.mutate("backoffice.issueCard", { name: "Andet Navn", idempotencyKey: key });
    expect(other.error?.data.code).toBe("CONFLICT");
    expect(other.error?.message).toMatch(/idempotency_key_reused/);
    expect(databaseFingerprint(server.services.store)).toEqual(before);
    // Another staff member's form with the same key is a form of its own.
    const byAdmin = await admin.mutate("backoffice.issueCard", { name: "Dobbelt Klik", idempotencyKey: key });
    expect(byAdmin.data.cardNumber).not.toBe(first!.data.cardNumber);
  });

  test("a double-submitted till creates one terminal with one key, which sells; the key is not stored readable", async () => {
    const me = (await admin.query("backoffice.me")).data as { canteens: Array<{ canteenId: number }> };
    const input = { kind: "terminal", canteenId: me.canteens[0]!.canteenId, name: "Kasse dobbelt", idempotencyKey: formKey() };
    const terminals = count("terminals");
    const first = await admin.mutate("backoffice.createDevice", input);
    const second = await admin.mutate("backoffice.createDevice", input);
    expect(second.data).toEqual(first.data);
    expect(count("terminals")).toBe(terminals + 1);
    const sale = await fetch(`${server.url}/trpc/pos.balance?input=${encodeURIComponent(JSON.stringify({ cardNumber: "12345678901234" }))}`, { headers: { authorization: `Bearer ${first.data.secret}` } });
    expect(sale.status).toBe(200);
    const stored = server.services.store.read((tx) => JSON.stringify(tx.sqlite.query("SELECT * FROM backoffice_submissions").all()));
    expect(stored).not.toContain(first.data.secret);
    expect(stored).not.toContain(input.idempotencyKey);
  });

  test("a double-submitted kitchen screen, product, staff account, class list and card replacement each create once and answer the same", async () => {
    const me = (await admin.query("backoffice.me")).data as { canteens: Array<{ canteenId: number }> };
    const canteenId = me.canteens[0]!.canteenId;
    const twice = async (client: PortalClient, path: string, input: Record<string, unknown>, table: string, grows: number) => {
      const rows = count(table);
      const first = await client.mutate(path, input);
      expect(first.error, path).toBeUndefined();
      const second = await client.mutate(path, input);
      expect(second.data, path).toEqual(first.data);
      expect(count(table), path).toBe(rows + grows);
      return first.data;
    };
    await twice(admin, "backoffice.createDevice", { kind: "screen", canteenId, name: "Skærm dobbelt", idempotencyKey: formKey() }, "kitchen_screens", 1);
    await twice(staff, "backoffice.saveProduct", { canteenId, name: "Dobbelt suppe", category: "Dagens ret", priceOre: 2_000, active: true, idempotencyKey: formKey() }, "products", 1);
    await twice(admin, "backoffice.createStaff", { email: "dobbelt@kantinekort.local", name: "Dobbelt", role: "staff", password: "Dobbelt2026", idempotencyKey: formKey() }, "users", 1);
    const imported = await twice(staff, "backoffice.importCards", { csv: "navn;klasse\nIda;4B\nJon;4B\n", commit: true, idempotencyKey: formKey() }, "cards", 2);
    expect(imported.issued).toHaveLength(2);
    const card = await issue(staff, "Tabt Kort");
    const replaced = await twice(staff, "backoffice.replaceCard", { cardId: card.cardId, idempotencyKey: formKey() }, "cards", 1);
    // No e-mail for "Tabt Kort": the code is on the printed letter, never in the replace answer.
    expect(replaced).toEqual({ cardId: expect.any(Number), cardNumber: expect.any(String), delivery: "letter" });
    const letter = (await staff.mutate("backoffice.printCardLetter", { cardId: replaced.cardId, idempotencyKey: formKey() })).data as { html: string };
    expect((await new PortalClient(server.url).login(replaced.cardNumber, /class="code">(\d{6})</.exec(letter.html)![1]!)).data).toMatchObject({ ok: true });
    // A create without a form key is refused before anything is written.
    expect((await staff.mutate("backoffice.issueCard", { name: "Uden nøgle" })).status).toBe(400);
  });
});
