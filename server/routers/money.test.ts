// Money in and out over real HTTP: deposits through the hosted page, callback security, auto top-up under load, payouts.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, lastMailTo, PortalClient, startTestServer, tableCounts, type Fixture, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";
import { checkLedger } from "../ledger/check.ts";
import { SIGNATURE_HEADER, signPayload } from "../acquirer/signature.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";
import { formatOre } from "../../common/money.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;
const SECRET = "test-acquirer-secret-000000";

beforeAll(async () => {
  server = await startTestServer({ acquirerSecret: SECRET, simulatorTimeoutMs: 100 });
  store = server.services.store;
  canteen = await createCanteen(store);
});
// The ledger must hold after every test, so a broken invariant points at the test that broke it.
afterEach(async () => {
  await (server.services.acquirer as AcquirerSimulator).settle();
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

async function cardholder(balanceOre = 0) {
  const code = String(100000 + Math.floor(Math.random() * 900000));
  const email = `${crypto.randomUUID()}@example.dk`;
  const card = await createCard(store, canteen, { code, balanceOre, name: "Betaler", email });
  const client = new PortalClient(server.url);
  await client.login(card.cardNumber, code);
  return { card, client, email };
}

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

/** Fills in the simulator's hosted page like a browser would, and returns where it sends the browser back to. */
async function payOnHostedPage(redirectUrl: string, cardNumber: string): Promise<string> {
  const page = await fetch(`${server.url}${redirectUrl}`);
  expect(await page.text()).toContain("Gennemfør betaling");
  const response = await fetch(`${server.url}${redirectUrl}`, {
    method: "POST",
    body: new URLSearchParams({ action: "pay", cardNumber, expiry: "12/30", cvc: "123" }),
    redirect: "manual",
  });
  expect(response.status).toBe(303);
  return response.headers.get("location")!;
}

async function settle() {
  await (server.services.acquirer as AcquirerSimulator).settle();
}

async function sell(cardNumber: string, amountOre: number, saleId = `money-sale-${crypto.randomUUID()}`) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

describe("Indbetal", () => {
  test("200 kr. through the hosted page: the callback deposits once, a receipt is mailed", async () => {
    const { card, client, email } = await cardholder();
    const started = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 20000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0001" });
    expect(started.data.redirectUrl).toMatch(/^\/acquirer\/pay\//);
    const again = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 20000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0001" });
    expect(again.data).toEqual(started.data);
    const back = await payOnHostedPage(started.data.redirectUrl, "4571000000000001");
    expect(back).toContain(`/indbetal/resultat?paymentId=${started.data.paymentId}&result=completed`);
    await settle();
    expect((await client.query("payments.get", { paymentId: started.data.paymentId })).data).toMatchObject({ status: "captured", amountOre: 20_000, cardLast4: "0001" });
    expect(balanceOf(card.accountId)).toBe(20_000);
    expect(lastMailTo(store, email)?.subject).toBe(`Kvittering: Indbetaling på ${formatOre(20_000)}`);
    const statementLines = store.read((tx) => tx.sqlite.query("SELECT description FROM transfers WHERE credit_account_id = ?").all(card.accountId));
    expect(statementLines).toEqual([{ description: "Indbetaling" }]);
  });

  test("a declined card and an abandoned page change nothing", async () => {
    const { card, client, email } = await cardholder();
    const declined = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 5000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0002" });
    expect(await payOnHostedPage(declined.data.redirectUrl, "4000000000000002")).toContain("result=declined");
    await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 5000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0003" });
    await settle();
    expect((await client.query("payments.get", { paymentId: declined.data.paymentId })).data).toMatchObject({ status: "declined", reason: "card_declined" });
    expect(balanceOf(card.accountId)).toBe(0);
  });

  test("bad input on the deposit form is refused with clear messages and writes nothing", async () => {
    const { card, client, email } = await cardholder();
    const other = await cardholder();
    const before = tableCounts(store);
    const base = { accountId: card.accountId, amountOre: 20000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0004" };
    for (const [change, path] of [
      [{ amountOre: 2050 }, "amountOre"], // 20,50 kr.: deposits are whole kroner
      [{ amountOre: 2000.5 }, "amountOre"], // not a whole number of øre
      [{ amountOre: 1900 }, "amountOre"],
      [{ amountOre: 500100 }, "amountOre"],
      [{ amountOre: 200 }, "amountOre"], // 200 meant as kroner: under the minimum of 2.000 øre
      [{ acceptedTerms: false }, "acceptedTerms"],
      [{ receiptEmail: "nope" }, "receiptEmail"],
    ] as const) {
      const response = await client.mutate("payments.startDeposit", { ...base, ...change });
      expect(response.status).toBe(400);
      expect(response.error?.data.issues?.[0]?.path).toBe(path);
    }
    expect((await client.mutate("payments.startDeposit", { ...base, accountId: other.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect(tableCounts(store)).toEqual(before);
  });
});

describe("callback security", () => {
  async function pendingPayment(amountKr = 100) {
    const { card, client, email } = await cardholder();
    const started = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: amountKr * 100, receiptEmail: email, acceptedTerms: true, idempotencyKey: `key-${crypto.randomUUID()}` });
    return { card, paymentId: started.data.paymentId as string };
  }
  function callback(body: object, signature?: string) {
    const raw = JSON.stringify(body);
    return fetch(`${server.url}/payments/callback`, {
      method: "POST",
      headers: { "content-type": "application/json", [SIGNATURE_HEADER]: signature ?? signPayload(SECRET, raw) },
      body: raw,
    });
  }

  test("wrong signature, stale timestamp and tampered amount are refused; nothing is deposited", async () => {
    const { card, paymentId } = await pendingPayment();
    const body = { paymentId, amountOre: 10_000, status: "captured" };
    expect((await callback(body, signPayload("wrong-secret-00000000", JSON.stringify(body)))).status).toBe(401);
    expect((await callback(body, signPayload(SECRET, JSON.stringify(body), Math.floor(Date.now() / 1000) - 3_600))).status).toBe(401);
    expect((await callback({ ...body, amountOre: 1_000_000 })).status).toBe(400);
    const unsigned = await fetch(`${server.url}/payments/callback`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(unsigned.status).toBe(401);
    expect(balanceOf(card.accountId)).toBe(0);
  });

  test("duplicate, replayed and out-of-order callbacks give exactly one deposit", async () => {
    const { card, paymentId } = await pendingPayment();
    const captured = { paymentId, amountOre: 10_000, status: "captured" };
    const answers = await Promise.all(Array.from({ length: 5 }, () => callback(captured)));
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect((await callback({ paymentId, amountOre: 10_000, status: "declined", reason: "late" })).status).toBe(200);
    expect((await callback(captured)).status).toBe(200);
    expect(balanceOf(card.accountId)).toBe(10_000);
    const deposits = store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE reference = ?").get(paymentId) as { n: number });
    expect(deposits.n).toBe(1);
  });

  test("a timeout, then a late capture (delivered twice): the card was charged, so exactly one deposit", async () => {
    const { card, paymentId } = await pendingPayment();
    expect((await callback({ paymentId, amountOre: 10_000, status: "failed", reason: "timeout" })).status).toBe(200);
    expect(balanceOf(card.accountId)).toBe(0);
    expect((await callback({ paymentId, amountOre: 10_000, status: "captured" })).status).toBe(200);
    expect((await callback({ paymentId, amountOre: 10_000, status: "captured" })).status).toBe(200);
    expect(balanceOf(card.accountId)).toBe(10_000);
    const deposits = store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE reference = ?").get(paymentId) as { n: number });
    expect(deposits.n).toBe(1);
  });
});

describe("Auto-optank", () => {
  async function withAgreement(amountKr: number, cardNumber = "4571000000000001") {
    const holder = await cardholder();
    const set = await holder.client.mutate("autoTopUp.setUp", { accountId: holder.card.accountId, amountOre: amountKr * 100, receiptEmail: holder.email, acceptedTerms: true, idempotencyKey: `setup-${crypto.randomUUID()}` });
    expect(await payOnHostedPage(set.data.redirectUrl, cardNumber)).toContain("/indbetal/auto-optank");
    await settle();
    return holder;
  }

  test("not in effect before 100 kr. is deposited; afterwards one top-up for a burst of 20 sales, shown in Kontoudtog", async () => {
    const { card, client, email } = await withAgreement(60);
    expect((await client.query("autoTopUp.get", { accountId: card.accountId })).data).toMatchObject({ status: "active", inEffect: false, depositedOre: 6_000, cardLast4: "0001" });
    // Below 50 kr. but not yet in effect: no top-up.
    await sell(card.cardNumber, 2_000);
    await settle();
    await Bun.sleep(50);
    expect(balanceOf(card.accountId)).toBe(4_000);
    const deposit = await client.mutate("payments.startDeposit", { accountId: card.accountId, amountOre: 4000, receiptEmail: email, acceptedTerms: true, idempotencyKey: "deposit-key-0100" });
    await payOnHostedPage(deposit.data.redirectUrl, "5100000000000008");
    await settle();
    expect((await client.query("autoTopUp.get", { accountId: card.accountId })).data).toMatchObject({ inEffect: true, depositedOre: 10_000 });
    // 80 kr. now; 20 parallel sales of 2 kr. cross below 50 kr. many times over.
    await sell(card.cardNumber, 3_000);
    const results = await Promise.all(Array.from({ length: 20 }, () => sell(card.cardNumber, 200)));
    expect(results.every((result) => result.status === "approved")).toBe(true);
    // The top-up runs after the till's answer: wait until one has been made and none is still pending.
    const topUpState = () =>
      store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS made, COALESCE(SUM(status = 'pending'), 0) AS pending FROM payments WHERE account_id = ? AND purpose = 'auto_top_up'").get(card.accountId) as { made: number; pending: number });
    for (let wait = 0; wait < 500 && (topUpState().made === 0 || topUpState().pending > 0); wait += 1) await Bun.sleep(20);
    const topUps = store.read((tx) => tx.sqlite.query("SELECT status FROM payments WHERE account_id = ? AND purpose = 'auto_top_up'").all(card.accountId));
    expect(topUps.length).toBeGreaterThanOrEqual(1);
    // Each top-up brings the balance back over 50 kr., so a burst that stays above it after one top-up needs no second.
    expect(topUps).toEqual([{ status: "captured" }]);
    expect(balanceOf(card.accountId)).toBe(8_000 - 3_000 - 20 * 200 + 6_000);
    const kinds = store.read((tx) => (tx.sqlite.query("SELECT kind FROM transfers WHERE credit_account_id = ? ORDER BY seq").all(card.accountId) as Array<{ kind: string }>).map((row) => row.kind));
    expect(kinds).toEqual(["deposit", "deposit", "auto_top_up"]);
    // The receipt is mailed after the top-up commits: give it a moment.
    const receipt = `Kvittering: Auto-optankning på ${formatOre(6_000)}`;
    for (let wait = 0; wait < 250 && lastMailTo(store, email)?.subject !== receipt; wait += 1) await Bun.sleep(20);
    expect(lastMailTo(store, email)?.subject).toBe(receipt);
  });

  test("a declining saved card: three failures pause the agreement and the cardholder is told", async () => {
    const { card, client, email } = await withAgreement(120, "4571000000000001");
    // Swap the saved token for a declining card's, as if the card had been cancelled at the bank.
    const declining = (server.services.acquirer as AcquirerSimulator).tokenForTestCard("4000000000000002");
    await store.write((tx) => tx.sqlite.query("UPDATE auto_top_up_agreements SET card_token = ? WHERE account_id = ?").run(declining, card.accountId));
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await sell(card.cardNumber, attempt === 0 ? 8_000 : 100);
      for (let wait = 0; wait < 400; wait += 1) {
        const done = store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM auto_top_up_results WHERE account_id = ?").get(card.accountId) as { n: number }).n);
        if (done > attempt) break;
        await Bun.sleep(20);
      }
      // A committed result is readable before its write is acknowledged (the WAL sync runs off the event loop), and
      // the top-up counts as running until then: let the writer answer it before the next sale.
      await store.write(() => null);
      await Bun.sleep(20);
    }
    expect((await client.query("autoTopUp.get", { accountId: card.accountId })).data).toMatchObject({ status: "paused", consecutiveFailures: 3 });
    for (let wait = 0; wait < 250 && !lastMailTo(store, email)?.body.includes("Aftalen er sat på pause"); wait += 1) await Bun.sleep(20);
    expect(lastMailTo(store, email)?.body).toContain("Aftalen er sat på pause");
    expect((await client.mutate("autoTopUp.cancel", { accountId: card.accountId })).data).toEqual({ ok: true });
  });
});

describe("Udbetal and Overfør", () => {
  test("a payout moves the money at once and waits as pending; bad details are refused", async () => {
    const { card, client } = await cardholder(10_000);
    const before = tableCounts(store);
    const bad = await client.mutate("payouts.request", { accountId: card.accountId, name: "A", registrationNumber: "123", bankAccountNumber: "12345678901", amountOre: 100, idempotencyKey: "payout-key-01" });
    expect(bad.status).toBe(400);
    expect(bad.error?.data.issues?.map((issue) => issue.path).sort()).toEqual(["bankAccountNumber", "registrationNumber"]);
    expect(tableCounts(store)).toEqual(before);
    const tooMuch = await client.mutate("payouts.request", { accountId: card.accountId, name: "A", registrationNumber: "1234", bankAccountNumber: "1234567890", amountOre: 10_001, idempotencyKey: "payout-key-02" });
    expect(tooMuch.data).toEqual({ ok: false, reason: "insufficient_funds" });
    const ok = await client.mutate("payouts.request", { accountId: card.accountId, name: "A", registrationNumber: "1234", bankAccountNumber: "1234567890", message: "Tak", amountOre: 4_000, idempotencyKey: "payout-key-03" });
    expect(ok.data).toMatchObject({ ok: true, payout: { status: "pending", amountOre: 4_000, bankAccountNumberMasked: "••••••7890" } });
    expect(balanceOf(card.accountId)).toBe(6_000);
    expect((await client.query("payouts.list")).data).toHaveLength(1);
  });

  test("transfers only between the user's own accounts", async () => {
    const { card, client } = await cardholder(5_000);
    const other = await cardholder(5_000);
    const response = await client.mutate("transfers.create", { fromAccountId: card.accountId, toAccountId: other.card.accountId, amountOre: 100, idempotencyKey: "own-transfer-1" });
    expect(response.error?.data.code).toBe("NOT_FOUND");
    expect(balanceOf(other.card.accountId)).toBe(5_000);
  });
});
