// Replacing and reopening cards in the back office never hands staff a cardholder's login (issue 29, finding 6), over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { databaseFingerprint, PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";

let server: TestServer;
let admin: PortalClient;
let staff: PortalClient;

const formKey = () => crypto.randomUUID();
const HOLDER_REFUSAL = "Kortholderen har selv spærret kortet – kun en administrator kan genåbne det";

async function staffLogin(email: string, password: string) {
  const client = new PortalClient(server.url);
  expect((await client.mutate("backoffice.login", { email, password })).data).toMatchObject({ ok: true });
  return client;
}

type Issued = { userId: number; accountId: number; cardId: number; cardNumber: string; verificationCode: string };

async function issue(name: string, email?: string): Promise<Issued> {
  const answer = await admin.mutate("backoffice.issueCard", { name, ...(email ? { email } : {}), idempotencyKey: formKey() });
  expect(answer.error).toBeUndefined();
  return answer.data;
}

async function signIn(cardNumber: string, password: string): Promise<PortalClient | null> {
  const client = new PortalClient(server.url);
  return (await client.login(cardNumber, password)).data?.ok ? client : null;
}

const mailsTo = (recipient: string) =>
  server.services.store.read((tx) => tx.sqlite.query("SELECT subject, body_text AS body FROM outbox WHERE recipient = ? ORDER BY id").all(recipient) as Array<{ subject: string; body: string }>);
const codeIn = (body: string) => /bekræftelseskoden (\d{6})/.exec(body)?.[1] ?? null;
const balanceOf = (accountId: number) => server.services.store.read((tx) => (tx.sqlite.query("SELECT balance_ore AS b FROM ledger_accounts WHERE id = ?").get(accountId) as { b: number }).b);
const blockedBy = (cardId: number) => server.services.store.read((tx) => (tx.sqlite.query("SELECT blocked_by AS b FROM cards WHERE id = ?").get(cardId) as { b: string | null }).b);
type AuditEntry = { action: string; actor: string; target: string; details: Record<string, unknown> };
const auditOf = async (cardId: number) => ((await admin.query("backoffice.audit", { limit: 200 })).data.entries as AuditEntry[]).filter((entry) => entry.target === `card:${cardId}`);

/** A child with 200 kr and a guardian who, like many parents, still signs in with the code on their card (no password). */
async function family(tag: string) {
  const child = await issue(`Barn ${tag}`, `barn.${tag}@example.dk`);
  const guardian = await issue(`Værge ${tag}`, `vaerge.${tag}@example.dk`);
  expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: guardian.cardNumber })).data).toMatchObject({ ok: true });
  expect((await admin.mutate("backoffice.correct", { accountId: child.accountId, amountOre: 20_000, direction: "credit", reason: "Startsaldo til prøven", idempotencyKey: formKey() })).error).toBeUndefined();
  return { child, guardian };
}

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = await staffLogin("admin@kantinekort.local", "Admin2026!");
  staff = await staffLogin("kantine@kantinekort.local", "Kantine2026!");
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

describe("replacing a card the holder blocked", () => {
  test("the attack: staff replace a guardian's self-blocked card to sign in as the guardian and move the child's money — refused, nothing written", async () => {
    const { child, guardian } = await family("angreb");
    // The guardian lost their card and blocked it under Konti ("Spær kort").
    const parent = (await signIn(guardian.cardNumber, guardian.verificationCode))!;
    expect((await parent.mutate("accounts.block", { accountId: guardian.accountId })).error).toBeUndefined();
    expect(blockedBy(guardian.cardId)).toBe("holder");
    const before = databaseFingerprint(server.services.store);
    const replace = await staff.mutate("backoffice.replaceCard", { cardId: guardian.cardId, idempotencyKey: formKey() });
    expect(replace.error?.data.code).toBe("FORBIDDEN");
    expect(replace.error?.message).toContain(HOLDER_REFUSAL);
    const unblock = await staff.mutate("backoffice.setCardStatus", { cardId: guardian.cardId, status: "active" });
    expect(unblock.error?.data.code).toBe("FORBIDDEN");
    expect(unblock.error?.message).toContain(HOLDER_REFUSAL);
    expect((await staff.mutate("backoffice.printCardLetter", { cardId: guardian.cardId, idempotencyKey: formKey() })).error?.data.code).toBe("FORBIDDEN");
    expect(databaseFingerprint(server.services.store)).toEqual(before);
    // Everything staff can see of the card holds no code to sign in with; guessing from it gets nowhere.
    const row = ((await staff.query("backoffice.searchCards", { query: guardian.cardNumber })).data as Array<Record<string, unknown>>)[0]!;
    expect(row).toMatchObject({ status: "blocked", blockedBy: "holder" });
    expect(JSON.stringify(row)).not.toMatch(/verificationCode|\b\d{6}\b/);
    expect(await signIn(guardian.cardNumber, String(row.cardNumber).slice(-6))).toBeNull();
    expect(balanceOf(child.accountId)).toBe(20_000);
    expect(mailsTo(`vaerge.angreb@example.dk`).some((mail) => codeIn(mail.body))).toBe(false);
  });

  test("an administrator may reopen a card a guardian blocked: the holder and guardians are told, and the log names whose block was lifted", async () => {
    const { child, guardian } = await family("genaabn");
    const parent = (await signIn(guardian.cardNumber, guardian.verificationCode))!;
    // The guardian blocks the child's card (the child lost it).
    expect((await parent.mutate("accounts.block", { accountId: child.accountId })).error).toBeUndefined();
    expect(blockedBy(child.cardId)).toBe("guardian");
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "active" })).error?.message).toContain(HOLDER_REFUSAL);
    // Staff blocking it again changes nothing: it stays the guardian's block.
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "blocked" })).data).toEqual({ ok: true });
    expect(blockedBy(child.cardId)).toBe("guardian");
    expect((await admin.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "active" })).data).toEqual({ ok: true });
    expect(blockedBy(child.cardId)).toBeNull();
    for (const to of ["barn.genaabn@example.dk", "vaerge.genaabn@example.dk"]) expect(mailsTo(to).map((mail) => mail.subject)).toContain(`Kantinekort ${child.cardNumber.replace(/(\d{4})(?=\d)/g, "$1 ")} er åbnet igen`);
    const unblock = (await auditOf(child.cardId)).find((entry) => entry.action === "card.unblock")!;
    expect(unblock).toMatchObject({ actor: "admin@kantinekort.local", details: { blockedBy: "guardian", cardNumber: child.cardNumber } });
  });

  test("an administrator may replace a card its holder blocked: the new card is active and its code reaches the holder and guardians by e-mail only", async () => {
    const { child, guardian } = await family("adminerstat");
    const pupil = (await signIn(child.cardNumber, child.verificationCode))!;
    expect((await pupil.mutate("accounts.block", { accountId: child.accountId })).error).toBeUndefined();
    const replaced = await admin.mutate("backoffice.replaceCard", { cardId: child.cardId, idempotencyKey: formKey() });
    expect(replaced.data).toEqual({ cardId: expect.any(Number), cardNumber: expect.any(String), delivery: "email" });
    const toChild = mailsTo("barn.adminerstat@example.dk").at(-1)!;
    const toGuardian = mailsTo("vaerge.adminerstat@example.dk").at(-1)!;
    const code = codeIn(toChild.body)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(codeIn(toGuardian.body)).toBe(code);
    expect(JSON.stringify(replaced.data)).not.toContain(code);
    const row = ((await admin.query("backoffice.searchCards", { query: replaced.data.cardNumber })).data as Array<{ status: string }>)[0]!;
    expect(row.status).toBe("active");
    expect(await signIn(replaced.data.cardNumber, code)).not.toBeNull();
    const entry = (await auditOf(child.cardId)).find((item) => item.action === "card.replace")!;
    expect(entry).toMatchObject({ actor: "admin@kantinekort.local", details: { blockedBy: "holder", codeDelivery: "email", newCardNumber: replaced.data.cardNumber } });
    expect(JSON.stringify(entry)).not.toContain(code);
    void guardian;
  });
});

describe("replacing a card staff blocked (or an active one)", () => {
  test("the code is in the holder's and the guardian's mail, not in the answer; the holder signs in with it, staff cannot", async () => {
    const { child } = await family("personale");
    expect((await staff.mutate("backoffice.setCardStatus", { cardId: child.cardId, status: "blocked" })).data).toEqual({ ok: true });
    expect(blockedBy(child.cardId)).toBe("staff");
    const key = formKey();
    const replaced = await staff.mutate("backoffice.replaceCard", { cardId: child.cardId, idempotencyKey: key });
    expect(replaced.data).toEqual({ cardId: expect.any(Number), cardNumber: expect.any(String), delivery: "email" });
    // A double click: the same answer, no second card and no second mail.
    const mails = mailsTo("barn.personale@example.dk").length;
    expect((await staff.mutate("backoffice.replaceCard", { cardId: child.cardId, idempotencyKey: key })).data).toEqual(replaced.data);
    expect(mailsTo("barn.personale@example.dk")).toHaveLength(mails);
    const code = codeIn(mailsTo("barn.personale@example.dk").at(-1)!.body)!;
    expect(code).toMatch(/^\d{6}$/);
    expect(codeIn(mailsTo("vaerge.personale@example.dk").at(-1)!.body)).toBe(code);
    // Nothing staff saw signs in: not the answer, not the old card's code.
    expect(await signIn(replaced.data.cardNumber, child.verificationCode)).toBeNull();
    const holder = (await signIn(replaced.data.cardNumber, code))!;
    expect(holder).not.toBeNull();
    expect(((await holder.query("accounts.list")).data as Array<{ accountId: number }>).map((account) => account.accountId)).toContain(child.accountId);
    const entry = (await auditOf(child.cardId)).find((item) => item.action === "card.replace")!;
    expect(entry).toMatchObject({ actor: "kantine@kantinekort.local", details: { blockedBy: "staff", codeDelivery: "email" } });
  });

  test("a holder with a password gets no code at all (the password keeps working on the new card)", async () => {
    const holder = await issue("Pia Adgangskode", "pia.kode@example.dk");
    const pia = (await signIn(holder.cardNumber, holder.verificationCode))!;
    expect((await pia.mutate("auth.changePassword", { currentPassword: holder.verificationCode, newPassword: "Hemmelig2026", repeatPassword: "Hemmelig2026" })).error).toBeUndefined();
    const replaced = await staff.mutate("backoffice.replaceCard", { cardId: holder.cardId, idempotencyKey: formKey() });
    expect(replaced.data.delivery).toBe("email");
    const mail = mailsTo("pia.kode@example.dk").at(-1)!;
    expect(codeIn(mail.body)).toBeNull();
    expect(mail.body).toContain("din adgangskode");
    expect(await signIn(replaced.data.cardNumber, "Hemmelig2026")).not.toBeNull();
  });
});

describe("Udskriv brev: a holder nobody can e-mail", () => {
  test("a replacement says 'letter'; the printed letter holds a fresh code that signs the holder in, is audited, and a reprint voids it", async () => {
    const holder = await issue("Uden Mail");
    const replaced = await staff.mutate("backoffice.replaceCard", { cardId: holder.cardId, idempotencyKey: formKey() });
    expect(replaced.data).toEqual({ cardId: expect.any(Number), cardNumber: expect.any(String), delivery: "letter" });
    const first = await staff.mutate("backoffice.printCardLetter", { cardId: replaced.data.cardId, idempotencyKey: formKey() });
    const code = /class="code">(\d{6})</.exec(first.data.html)?.[1];
    expect(code).toMatch(/^\d{6}$/);
    expect(first.data.html).toContain("Uden Mail");
    expect(await signIn(replaced.data.cardNumber, code!)).not.toBeNull();
    const second = await staff.mutate("backoffice.printCardLetter", { cardId: replaced.data.cardId, idempotencyKey: formKey() });
    const newCode = /class="code">(\d{6})</.exec(second.data.html)![1]!;
    if (newCode !== code) expect(await signIn(replaced.data.cardNumber, code!)).toBeNull();
    expect(await signIn(replaced.data.cardNumber, newCode)).not.toBeNull();
    const letters = (await auditOf(replaced.data.cardId)).filter((entry) => entry.action === "card.letter");
    expect(letters).toHaveLength(2);
    expect(letters[0]).toMatchObject({ actor: "kantine@kantinekort.local", details: { withCode: true, cardNumber: replaced.data.cardNumber } });
    expect(JSON.stringify(letters)).not.toMatch(new RegExp(`${code}|${newCode}`));
  });

  test("no letter where an e-mail reaches someone, and staff print none for a guardian (an administrator may); refusals write nothing", async () => {
    const withMail = await issue("Med Mail", "med.mail@example.dk");
    const child = await issue("Barn Uden Mail Værge");
    const guardian = await issue("Værge Uden Mail");
    expect((await admin.mutate("backoffice.linkGuardian", { userId: child.userId, guardianCardNumber: guardian.cardNumber })).data).toMatchObject({ ok: true });
    const before = databaseFingerprint(server.services.store);
    const mailed = await staff.mutate("backoffice.printCardLetter", { cardId: withMail.cardId, idempotencyKey: formKey() });
    expect(mailed.error?.data.code).toBe("CONFLICT");
    expect(mailed.error?.message).toContain("Koden er sendt til kortholderen på e-mail");
    const forGuardian = await staff.mutate("backoffice.printCardLetter", { cardId: guardian.cardId, idempotencyKey: formKey() });
    expect(forGuardian.error?.data.code).toBe("FORBIDDEN");
    expect(databaseFingerprint(server.services.store)).toEqual(before);
    expect((await admin.mutate("backoffice.printCardLetter", { cardId: guardian.cardId, idempotencyKey: formKey() })).data.html).toMatch(/class="code">\d{6}</);
  });
});
