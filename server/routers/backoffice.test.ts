// Back office over real HTTP: staff roles, cards and class lists, devices, payouts, corrections, reports, and the audit log.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, databaseFingerprint, PortalClient, startTestServer, tableCounts, type TestServer } from "../testing/harness.ts";
import { appRouter } from "./_app.ts";
import { mapLimited } from "./backoffice/cards.ts";
import { checkLedger } from "../ledger/check.ts";
import { copenhagenDate } from "../../common/calendar.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { sseClient, until } from "../testing/sse-client.ts";
import type { BalanceEvent } from "../events/bus.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;
let cardholder: PortalClient;

async function staffLogin(email: string, password: string) {
  const client = new PortalClient(server.url);
  const response = await client.mutate("backoffice.login", { email, password });
  expect(response.data).toMatchObject({ ok: true });
  return client;
}

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = await staffLogin("admin@kantinekort.local", "Admin2026!");
  staff = await staffLogin("kantine@kantinekort.local", "Kantine2026!");
  cardholder = new PortalClient(server.url);
  await cardholder.login("12345678901234", "482913");
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

/** A fresh form fill's key, as the admin client draws one per form. */
const formKey = () => crypto.randomUUID();

function sale(key: string, cardNumber: string, amountOre: number) {
  return fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ saleId: `bo-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
}

describe("authorization", () => {
  // Every back-office procedure but the sign-in must be classified here, so that a new one needs a decision.
  const adminOnly = ["devices", "createDevice", "revokeDevice", "payouts", "payoutsCsv", "decidePayout", "correct", "audit", "staffMembers", "createStaff", "setStaffRole", "disableStaff", "linkGuardian", "unlinkGuardian", "createCanteen"];
  const staffAllowed = ["logout", "me", "searchCards", "countCards", "setProductActive", "issueCard", "setSchooling", "setCardStatus", "replaceCard", "printCardLetter", "importCards", "products", "saveProduct", "uploadProductPhoto", "removeProductPhoto", "menuWeek", "setMenuItem", "setOrderCutoff", "supportCases", "replySupport", "closeSupport", "report", "periodReport"];
  const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: "query" | "mutation" | "subscription" } }>)
    .filter(([path]) => path.startsWith("backoffice.") && path !== "backoffice.login")
    .map(([path, procedure]) => ({ path, name: path.slice("backoffice.".length), type: procedure._def.type }));
  const call = (client: PortalClient, procedure: { path: string; type: string }) => (procedure.type === "query" ? client.query(procedure.path) : client.mutate(procedure.path, {}));

  test("every back-office procedure is classified as staff or administrator-only", () => {
    expect(procedures.map((procedure) => procedure.name).sort()).toEqual([...adminOnly, ...staffAllowed].sort());
  });

  test("no session and a cardholder session are refused by every back-office procedure; staff by every administrator-only one", async () => {
    const before = tableCounts(server.services.store);
    const anonymous = new PortalClient(server.url);
    for (const procedure of procedures) {
      expect((await call(anonymous, procedure)).error?.data.code, procedure.path).toBe("UNAUTHORIZED");
      expect((await call(cardholder, procedure)).error?.data.code, procedure.path).toBe("FORBIDDEN");
      if (adminOnly.includes(procedure.name)) expect((await call(staff, procedure)).error?.data.code, procedure.path).toBe("FORBIDDEN");
    }
    expect(tableCounts(server.services.store)).toEqual(before);
    // And a staff session is not a cardholder session.
    expect((await staff.query("accounts.list")).error?.data.code).toBe("UNAUTHORIZED");
  });

  test("wrong staff passwords are refused and rate-limited", async () => {
    const client = new PortalClient(server.url);
    for (let attempt = 0; attempt < 10; attempt += 1) await client.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "wrong" });
    expect((await client.mutate("backoffice.login", { email: "kantine@kantinekort.local", password: "Kantine2026!" })).data).toMatchObject({ ok: false, reason: "locked" });
  });
});

describe("cards", () => {
  test("issue a card: the new cardholder logs in with the shown code; block, replace", async () => {
    const issued = await staff.mutate("backoffice.issueCard", { name: "Nina Nielsen", school: "Demo Skole", className: "2A", idempotencyKey: formKey() });
    expect(issued.data.verificationCode).toMatch(/^\d{6}$/);
    const nina = new PortalClient(server.url);
    expect((await nina.login(issued.data.cardNumber, issued.data.verificationCode)).data).toMatchObject({ ok: true, me: { name: "Nina Nielsen" } });
    expect((await staff.query("backoffice.searchCards", { query: "Nina" })).data).toMatchObject([{ cardNumber: issued.data.cardNumber, className: "2A" }]);
    expect((await staff.mutate("backoffice.setSchooling", { userId: issued.data.userId, school: "Demo Skole", className: "3A", track: "C" })).data).toEqual({ ok: true });
    expect((await nina.query("profile.get")).data).toMatchObject({ school: "Demo Skole", className: "3A", track: "C" });
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: issued.data.cardId, status: "blocked" })).data).toEqual({ ok: true });
    const replaced = await staff.mutate("backoffice.replaceCard", { cardId: issued.data.cardId, idempotencyKey: formKey() });
    expect(replaced.data.cardNumber).not.toBe(issued.data.cardNumber);
    // Nina has no e-mail: her new code is on the printed letter (backoffice.printCardLetter), not in the answer.
    expect(replaced.data).not.toHaveProperty("verificationCode");
    const letter = await staff.mutate("backoffice.printCardLetter", { cardId: replaced.data.cardId, idempotencyKey: formKey() });
    expect((await new PortalClient(server.url).login(replaced.data.cardNumber, /class="code">(\d{6})</.exec(letter.data.html)![1]!)).data).toMatchObject({ ok: true });
  });

  test("a replaced card logs in neither with its code nor with the password, its holder is signed out, and it cannot be unblocked or replaced", async () => {
    const issued = (await staff.mutate("backoffice.issueCard", { name: "Ole Olsen", email: "ole@example.dk", idempotencyKey: formKey() })).data;
    const ole = new PortalClient(server.url);
    expect((await ole.login(issued.cardNumber, issued.verificationCode)).data).toMatchObject({ ok: true });
    expect((await ole.mutate("auth.changePassword", { currentPassword: issued.verificationCode, newPassword: "Hemmelig2026", repeatPassword: "Hemmelig2026" })).error).toBeUndefined();
    // Blocking the card (as "Spær kort" does) keeps the login: the cardholder must still reach Konti.
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: issued.cardId, status: "blocked" })).data).toEqual({ ok: true });
    expect((await new PortalClient(server.url).login(issued.cardNumber, "Hemmelig2026")).data).toMatchObject({ ok: true });
    expect((await ole.query("accounts.list")).error).toBeUndefined();
    const replaced = (await staff.mutate("backoffice.replaceCard", { cardId: issued.cardId, idempotencyKey: formKey() })).data;
    expect((await ole.query("accounts.list")).error?.data.code).toBe("UNAUTHORIZED");
    expect((await new PortalClient(server.url).login(issued.cardNumber, "Hemmelig2026")).data).toMatchObject({ ok: false, reason: "invalid_credentials" });
    expect((await new PortalClient(server.url).login(issued.cardNumber, issued.verificationCode)).data).toMatchObject({ ok: false, reason: "invalid_credentials" });
    expect((await new PortalClient(server.url).login(replaced.cardNumber, "Hemmelig2026")).data).toMatchObject({ ok: true });
    const before = tableCounts(server.services.store);
    const unblock = await staff.mutate("backoffice.setCardStatus", { cardId: issued.cardId, status: "active" });
    expect(unblock.error?.data.code).toBe("CONFLICT");
    expect(unblock.error?.message).toMatch(/card_replaced/);
    expect((await staff.mutate("backoffice.replaceCard", { cardId: issued.cardId, idempotencyKey: formKey() })).error?.data.code).toBe("CONFLICT");
    expect(tableCounts(server.services.store)).toEqual(before);
  });

  test("a class list with one bad row writes nothing and names the row; a good one issues every card", async () => {
    const before = tableCounts(server.services.store);
    const bad = await staff.mutate("backoffice.importCards", { csv: "navn;e-mail;klasse\nAnna;anna@example.dk;3A\nBo;ikke-en-mail;3A\n", commit: true, idempotencyKey: formKey() });
    expect(bad.data).toMatchObject({ ok: false, errors: [{ line: 3 }], issued: [] });
    expect(tableCounts(server.services.store)).toEqual(before);
    const good = await staff.mutate("backoffice.importCards", { csv: "navn;e-mail;klasse\nAnna;anna@example.dk;3A\nBo;bo@example.dk;3A\n", commit: true, idempotencyKey: formKey() });
    expect(good.data.issued).toHaveLength(2);
  });
});

describe("devices, payouts, corrections, reports", () => {
  test("a new terminal key sells; revoked, it fails", async () => {
    const me = (await admin.query("backoffice.me")).data;
    const created = await admin.mutate("backoffice.createDevice", { kind: "terminal", canteenId: me.canteens[0].canteenId, name: "Kasse 2", idempotencyKey: formKey() });
    expect(created.data.secret).toMatch(/^pos-/);
    expect((await sale(created.data.secret, "12345678901234", 100)).status).toBe(200);
    const devices = (await admin.query("backoffice.devices")).data as Array<{ id: number; kind: string; name: string; revoked: boolean }>;
    expect(devices).toEqual(expect.arrayContaining([expect.objectContaining({ id: created.data.id, kind: "terminal", name: "Kasse 2", revoked: false }), expect.objectContaining({ kind: "screen" })]));
    expect((await admin.mutate("backoffice.revokeDevice", { kind: "terminal", id: created.data.id })).data).toEqual({ ok: true });
    expect((await sale(created.data.secret, "12345678901234", 100)).status).toBe(401);
    const stored = server.services.store.read((tx) => JSON.stringify(tx.sqlite.query("SELECT * FROM terminals").all()));
    expect(stored).not.toContain(created.data.secret);
  });

  test("approve one payout and reject another (money returned once)", async () => {
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number; balanceOre: number }>)[0]!.accountId;
    const balance = () => server.services.store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);
    const start = balance();
    for (const key of ["bo-payout-0001", "bo-payout-0002"]) {
      await cardholder.mutate("payouts.request", { accountId, name: "A", registrationNumber: "1234", bankAccountNumber: "1234567890", amountOre: 1_000, idempotencyKey: key });
    }
    expect(balance()).toBe(start - 2_000);
    const pending = (await admin.query("backoffice.payouts", { status: "pending" })).data as Array<{ payoutId: number; bankAccountNumber: string }>;
    expect(pending).toHaveLength(2);
    expect(pending[0]!.bankAccountNumber).toBe("1234567890");
    expect((await admin.query("backoffice.payoutsCsv")).data).toContain("1234567890");
    // Name and message are the cardholder's text: a formula is defused with an apostrophe before it reaches a spreadsheet.
    await cardholder.mutate("payouts.request", { accountId, name: "=HYPERLINK(\"http://x\")", registrationNumber: "1234", bankAccountNumber: "1", message: "@SUM(A1)", amountOre: 100, idempotencyKey: "bo-payout-formula" });
    const csv = (await admin.query("backoffice.payoutsCsv")).data as string;
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(csv).toContain(`;"'@SUM(A1)"`);
    const formula = ((await admin.query("backoffice.payouts", { status: "pending" })).data as Array<{ payoutId: number; name: string }>).find((payout) => payout.name.startsWith("="))!;
    await admin.mutate("backoffice.decidePayout", { payoutId: formula.payoutId, status: "rejected", reason: "Prøve" });
    expect((await admin.mutate("backoffice.decidePayout", { payoutId: pending[0]!.payoutId, status: "paid" })).data).toMatchObject({ payout: { status: "paid" } });
    expect((await admin.mutate("backoffice.decidePayout", { payoutId: pending[1]!.payoutId, status: "rejected", reason: "Forkert konto" })).data).toMatchObject({ payout: { status: "rejected" } });
    const auditRows = () => server.services.store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE 'payout.%'").get() as { n: number }).n;
    const auditedBefore = auditRows();
    // A second decision on a decided payout changes nothing, says so, and leaves no audit entry.
    for (const decision of [{ status: "rejected", reason: "Igen" }, { status: "paid" }]) {
      const again = await admin.mutate("backoffice.decidePayout", { payoutId: pending[1]!.payoutId, ...decision });
      expect(again.error?.data.code).toBe("CONFLICT");
      expect(again.error?.message).toMatch(/already_decided/);
    }
    expect(auditRows()).toBe(auditedBefore);
    expect(balance()).toBe(start - 1_000);
    const statuses = ((await cardholder.query("payouts.list")).data as Array<{ status: string }>).map((payout) => payout.status).sort();
    expect(statuses).toEqual(["paid", "rejected", "rejected"]);
  });

  test("a correction needs a reason, shows in the cardholder's statement, and everything is in the audit log", async () => {
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 500, direction: "credit", reason: "", idempotencyKey: "correction-0002" })).status).toBe(400);
    expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 500, direction: "credit", reason: "Fejl ved kassen", idempotencyKey: "correction-0003" })).data).toEqual({ ok: true });
    const now = new Date();
    const month = (await cardholder.query("statement.month", { accountId, year: now.getFullYear(), month: now.getMonth() + 1 })).data as { lines: Array<{ text: string }> };
    expect(month.lines.map((line) => line.text)).toContain("Korrektion: Fejl ved kassen");
    await server.services.ledgerWatch.stepNow();
    const report = (await staff.query("backoffice.report", { day: copenhagenDate(Date.now()) })).data;
    expect(report.ledger).toBeUndefined();
    expect(report.verification).toMatchObject({ ok: true });
    expect(report.salesByCanteen[0].canteen).toBe("Kantinen");
    // Catalogue, menu, cut-off, a card unblocked, a kitchen screen created and revoked: each leaves its own entry.
    const me = (await staff.query("backoffice.me")).data as { canteens: Array<{ canteenId: number; orderCutoffTime: string }> };
    const canteenId = me.canteens[0]!.canteenId;
    const product = await staff.mutate("backoffice.saveProduct", { canteenId, name: "Suppe", category: "Dagens ret", priceOre: 2_500, active: true, idempotencyKey: formKey() });
    expect((await staff.mutate("backoffice.setMenuItem", { canteenId, deliveryDay: copenhagenDate(Date.now()), productId: product.data.productId, offered: true, quantityLimit: 10 })).data).toEqual({ ok: true, quantityLimit: 10 });
    expect((await staff.mutate("backoffice.setOrderCutoff", { canteenId, time: me.canteens[0]!.orderCutoffTime })).data).toEqual({ ok: true });
    const blocked = ((await staff.query("backoffice.searchCards", { query: "12345678901236" })).data as Array<{ cardId: number; status: string }>)[0]!;
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: blocked.cardId, status: "active" })).data).toEqual({ ok: true });
    await staff.mutate("backoffice.setCardStatus", { cardId: blocked.cardId, status: "blocked" });
    const screen = await admin.mutate("backoffice.createDevice", { kind: "screen", canteenId, name: "Skærm 2", idempotencyKey: formKey() });
    expect((await admin.mutate("backoffice.revokeDevice", { kind: "screen", id: screen.data.id })).data).toEqual({ ok: true });
    const actions = ((await admin.query("backoffice.audit", { limit: 200 })).data.entries as Array<{ action: string; actor: string }>).map((entry) => entry.action);
    for (const action of [
      "card.issue",
      "cardholder.schooling",
      "card.block",
      "card.unblock",
      "card.replace",
      "cards.import",
      "terminal.create",
      "terminal.revoke",
      "screen.create",
      "screen.revoke",
      "payout.paid",
      "payout.rejected",
      "ledger.correction",
      "product.create",
      "menu.set",
      "canteen.cutoff",
    ]) {
      expect(actions, action).toContain(action);
    }
  });
});

describe("support", () => {
  test("a reply is audited only after the mailer took it; closing is audited; a closed case takes no reply", async () => {
    const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
    await cardholder.mutate("support.create", { name: "Testbruger A", email: "testbruger.a@example.dk", accountId, description: "Mit kort virker ikke" });
    const supportCase = ((await staff.query("backoffice.supportCases")).data as Array<{ caseId: number; status: string }>).find((candidate) => candidate.status === "open")!;
    const entries = (action: string) =>
      server.services.store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM audit_log WHERE action = ? AND target = ?").get(action, `support:${supportCase.caseId}`) as { n: number }).n);
    const mailer = server.services.mailer;
    const send = mailer.send;
    mailer.send = () => Promise.reject(new Error("smtp down"));
    try {
      const failed = await staff.mutate("backoffice.replySupport", { caseId: supportCase.caseId, message: "Vi kigger på det" });
      expect(failed.error?.data.code).toBe("SERVICE_UNAVAILABLE");
      expect(failed.error?.message).toMatch(/mail_failed/);
    } finally {
      mailer.send = send;
    }
    expect(entries("support.reply")).toBe(0);
    expect((await staff.mutate("backoffice.replySupport", { caseId: supportCase.caseId, message: "Vi kigger på det" })).data).toEqual({ ok: true });
    expect(entries("support.reply")).toBe(1);
    expect((await staff.mutate("backoffice.closeSupport", { caseId: supportCase.caseId })).data).toEqual({ ok: true });
    expect(entries("support.close")).toBe(1);
    const late = await staff.mutate("backoffice.replySupport", { caseId: supportCase.caseId, message: "For sent" });
    expect(late.error?.data.code).toBe("CONFLICT");
    expect(late.error?.message).toMatch(/case_closed/);
    expect(entries("support.reply")).toBe(1);
  });
});

describe("guardians", () => {
  type Found = { userId: number; cardNumber: string; guardians: Array<{ userId: number; name: string | null; cardNumber: string | null }> };
  const find = async (cardNumber: string) => ((await staff.query("backoffice.searchCards", { query: cardNumber })).data as Found[])[0]!;
  const cardholderAccounts = async () => ((await cardholder.query("accounts.list")).data as Array<{ cardNumber: string; holder?: { name: string | null } }>).map((account) => [account.cardNumber, account.holder === undefined]);

  test("the demo guardian shows in the cardholder search", async () => {
    expect((await find("12345678901235")).guardians).toEqual([expect.objectContaining({ name: "Testbruger C", cardNumber: "12345678901236" })]);
  });

  test("an administrator links a guardian by card number and unlinks them, each audited once; the guardian's Konti follows at once", async () => {
    const child = await find("12345678901237");
    expect(child.guardians).toEqual([]);
    const linked = await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "12345678901234" });
    expect(linked.data).toMatchObject({ ok: true, guardian: { name: "Testbruger A", cardNumber: "12345678901234" } });
    // Linking twice changes nothing and leaves one audit entry.
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "12345678901234" })).data).toMatchObject({ ok: true });
    expect((await find("12345678901237")).guardians).toEqual([expect.objectContaining({ name: "Testbruger A", cardNumber: "12345678901234" })]);
    expect(await cardholderAccounts()).toEqual([
      ["12345678901234", true],
      ["12345678901237", false],
    ]);

    const guardianUserId = linked.data.guardian.userId as number;
    expect((await admin.mutate("backoffice.unlinkGuardian", { userId: child.userId, guardianUserId })).data).toEqual({ ok: true });
    expect(await cardholderAccounts()).toEqual([["12345678901234", true]]);
    expect((await find("12345678901237")).guardians).toEqual([]);
    expect((await admin.mutate("backoffice.unlinkGuardian", { userId: child.userId, guardianUserId })).error?.data.code).toBe("NOT_FOUND");

    const audit = (await admin.query("backoffice.audit", { limit: 200 })).data.entries as Array<{ action: string; target: string; actor: string; details: Record<string, unknown> }>;
    const entries = audit.filter((entry) => entry.target === `user:${child.userId}` && entry.action.startsWith("guardian."));
    expect(entries.map((entry) => [entry.action, entry.actor, entry.details.guardianUserId])).toEqual([
      ["guardian.unlink", "admin@kantinekort.local", guardianUserId],
      ["guardian.link", "admin@kantinekort.local", guardianUserId],
    ]);
  });

  test("no one is their own guardian, and neither guardian nor child may belong to another school; a refusal writes nothing", async () => {
    const child = await find("12345678901237");
    const elsewhere = await createCanteen(server.services.store, "Fremmed skole");
    const foreign = await createCard(server.services.store, elsewhere, { name: "Fremmed Forælder" });
    const before = databaseFingerprint(server.services.store);
    const own = await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "12345678901237" });
    expect(own.error?.data.code).toBe("CONFLICT");
    expect(own.error?.message).toMatch(/own_guardian/);
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: foreign.cardNumber })).error?.data.code).toBe("NOT_FOUND");
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "99999999999999" })).error?.data.code).toBe("NOT_FOUND");
    expect((await admin.mutate("backoffice.linkGuardian", { userId: foreign.userId, guardianCardNumber: "12345678901234" })).error?.data.code).toBe("NOT_FOUND");
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "12 34" })).status).toBe(400);
    expect(databaseFingerprint(server.services.store)).toEqual(before);
  });
});

describe("open streams follow back-office changes at once", () => {
  const DEMO_TILL = "demo-terminal-key-kantinen-0001";

  test("linking a guardian adds the child's account to the guardian's open stream; unlinking removes it", async () => {
    const child = ((await staff.query("backoffice.searchCards", { query: "12345678901237" })).data as Array<{ userId: number }>)[0]!;
    const stream = openPortalStream<BalanceEvent>(server.url, cardholder.cookie!, null);
    try {
      await until(stream.ready, "the guardian's stream position");
      const linked = await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: "12345678901234" });
      expect(linked.data).toMatchObject({ ok: true });
      // No timer and no new sign-in: the link's own event makes the stream follow the child's account.
      const childAccount = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number; cardNumber: string }>).find((account) => account.cardNumber === "12345678901237")!;
      expect((await sale(DEMO_TILL, "12345678901237", 100)).status).toBe(200);
      await until(() => stream.events.some((event) => event.data.accountId === childAccount.accountId), "the child's sale on the guardian's stream");

      expect((await admin.mutate("backoffice.unlinkGuardian", { userId: child.userId, guardianUserId: linked.data.guardian.userId })).data).toEqual({ ok: true });
      expect((await sale(DEMO_TILL, "12345678901237", 100)).status).toBe(200);
      // The guardian's own sale afterwards marks the end: had the child's second sale been sent, it would have come first.
      expect((await sale(DEMO_TILL, "12345678901234", 100)).status).toBe(200);
      await until(() => stream.events.some((event) => event.data.accountId !== childAccount.accountId), "the guardian's own sale");
      expect(stream.events.filter((event) => event.data.accountId === childAccount.accountId)).toHaveLength(1);
    } finally {
      stream.stop();
    }
  });

  test("replacing a card ends its holder's open streams", async () => {
    const client = new PortalClient(server.url);
    await client.login("12345678901235", "730155");
    const stream = openPortalStream(server.url, client.cookie!, null);
    try {
      await until(stream.ready, "the stream's position");
      const card = ((await staff.query("backoffice.searchCards", { query: "12345678901235" })).data as Array<{ cardId: number }>)[0]!;
      expect((await staff.mutate("backoffice.replaceCard", { cardId: card.cardId, idempotencyKey: formKey() })).data).toMatchObject({ cardNumber: expect.any(String) });
      await until(() => stream.error() !== null, "the stream to end");
      expect(stream.error()).toEqual({ code: "UNAUTHORIZED" });
    } finally {
      stream.stop();
    }
  });

  test("revoking a kitchen screen ends its open queue stream", async () => {
    const created = await admin.mutate("backoffice.createDevice", { kind: "screen", canteenId: 1, name: "Køkken 2", idempotencyKey: formKey() });
    expect(created.data).toMatchObject({ secret: expect.any(String) });
    const login = await fetch(`${server.url}/trpc/kitchen.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" },
      body: JSON.stringify({ token: created.data.secret }),
    });
    const screenCookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
    let started = false;
    let error: string | null = null;
    const subscription = sseClient(server.url, screenCookie).kitchen.onQueue.subscribe(undefined, {
      onStarted: () => (started = true),
      onError: (caught) => (error = (caught as { data?: { code?: string } }).data?.code ?? "unknown"),
    });
    try {
      await until(() => started, "the kitchen stream");
      expect((await admin.mutate("backoffice.revokeDevice", { kind: "screen", id: created.data.id })).data).toEqual({ ok: true });
      await until(() => error !== null, "the kitchen stream to end");
      expect(error).toBe("UNAUTHORIZED");
    } finally {
      subscription.unsubscribe();
    }
  });
});

describe("staff accounts", () => {
  test("an administrator creates, promotes and disables staff, each audited; a disabled account is signed out and cannot sign in", async () => {
    const created = await admin.mutate("backoffice.createStaff", { email: "Ny.Kok@kantinekort.local", name: "Ny Kok", role: "staff", password: "Kokken2026", idempotencyKey: formKey() });
    expect(created.error).toBeUndefined();
    expect((await admin.mutate("backoffice.createStaff", { email: "ny.kok@kantinekort.local", name: "Igen", role: "staff", password: "Kokken2026", idempotencyKey: formKey() })).error?.data.code).toBe("CONFLICT");
    expect((await admin.mutate("backoffice.createStaff", { email: "svag@kantinekort.local", name: "Svag", role: "staff", password: "kort", idempotencyKey: formKey() })).status).toBe(400);
    const stored = server.services.store.read((tx) => tx.sqlite.query("SELECT password_hash FROM users WHERE id = ?").get(created.data.userId) as { password_hash: string });
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);
    const cook = await staffLogin("ny.kok@kantinekort.local", "Kokken2026");
    expect((await cook.query("backoffice.audit", { limit: 200 })).error?.data.code).toBe("FORBIDDEN");
    expect((await admin.mutate("backoffice.setStaffRole", { userId: created.data.userId, role: "admin" })).data).toEqual({ ok: true });
    expect((await cook.query("backoffice.audit", { limit: 200 })).error).toBeUndefined();
    const self = (await admin.query("backoffice.me")).data as { userId: number };
    expect((await admin.mutate("backoffice.disableStaff", { userId: self.userId })).error?.data.code).toBe("CONFLICT");
    expect((await admin.mutate("backoffice.disableStaff", { userId: created.data.userId })).data).toEqual({ ok: true });
    expect((await cook.query("backoffice.me")).error?.data.code).toBe("UNAUTHORIZED");
    expect((await new PortalClient(server.url).mutate("backoffice.login", { email: "ny.kok@kantinekort.local", password: "Kokken2026" })).data).toMatchObject({ ok: false, reason: "invalid_credentials" });
    const members = (await admin.query("backoffice.staffMembers")).data as Array<{ email: string; role: string; disabled: boolean }>;
    expect(members).toContainEqual(expect.objectContaining({ email: "ny.kok@kantinekort.local", role: "admin", disabled: true }));
    const audit = (await admin.query("backoffice.audit", { limit: 200 })).data.entries as Array<{ action: string; target: string }>;
    expect(audit.filter((entry) => entry.target === `user:${created.data.userId}`).map((entry) => entry.action)).toEqual(["staff.disable", "staff.role", "staff.create"]);
  });
});

test("an import hashes at most a few codes at once and keeps their order", async () => {
  let inFlight = 0;
  let most = 0;
  const results = await mapLimited(Array.from({ length: 20 }, (_, index) => index), 4, async (value) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await Promise.resolve();
    await Promise.resolve();
    inFlight -= 1;
    return value * 2;
  });
  expect(most).toBe(4);
  expect(results).toEqual(Array.from({ length: 20 }, (_, index) => index * 2));
});
