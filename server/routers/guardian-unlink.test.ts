// Unlinking a guardian ends every power the link gave (issue 29, finding 2), over real HTTP with the simulator.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCard, PortalClient, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { until } from "../testing/sse-client.ts";
import type { Store } from "../../db/connect.ts";
import { checkLedger } from "../ledger/check.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";
import { AcquirerUnavailableError } from "../acquirer/acquirer.ts";
import { autoTopUpsSettled } from "../services/payments/auto-top-up.ts";
import { checkLowBalance, lowBalanceAlertsSettled, type LowBalanceEvent } from "../services/payer.ts";
import type { AutoTopUpEvent } from "../events/bus.ts";

let server: TestServer;
let store: Store;
let school: Fixture;
let admin: PortalClient;
const simulator = () => server.services.acquirer as AcquirerSimulator;

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true, acquirerSecret: "unlink-test-secret-0000001", simulatorTimeoutMs: 50 });
  store = server.services.store;
  school = store.read((tx) => {
    const canteen = tx.sqlite.query("SELECT id, tenant_id, revenue_account_id FROM canteens ORDER BY id LIMIT 1").get() as { id: number; tenant_id: number; revenue_account_id: number };
    return {
      tenantId: canteen.tenant_id,
      canteenId: canteen.id,
      revenueAccountId: canteen.revenue_account_id,
      clearingAccountId: (tx.sqlite.query("SELECT id FROM ledger_accounts WHERE code = 'acquirer_clearing'").get() as { id: number }).id,
      terminalId: (tx.sqlite.query("SELECT id FROM terminals ORDER BY id LIMIT 1").get() as { id: number }).id,
      terminalKey: server.services.config.posDemoKey,
    };
  });
  admin = new PortalClient(server.url);
  expect((await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
});
afterEach(async () => {
  await simulator().settle();
  await autoTopUpsSettled();
  await lowBalanceAlertsSettled();
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

let codeCounter = 700000;
async function holder(name: string, balanceOre: number): Promise<{ card: TestCard; client: PortalClient; email: string }> {
  const code = String(++codeCounter);
  const email = `${crypto.randomUUID()}@example.dk`;
  const card = await createCard(store, school, { code, name, email, balanceOre });
  const client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
  return { card, client, email };
}

/** A parent linked as guardian through the back office, as an administrator does it. */
async function family(childBalanceOre = 0) {
  const parent = await holder("Anne Hansen", 0);
  const child = await holder("Emil Hansen", childBalanceOre);
  expect((await admin.mutate("backoffice.linkGuardian", { userId: child.card.userId, guardianCardNumber: parent.card.cardNumber })).data).toMatchObject({ ok: true });
  return { parent, child };
}

async function unlink(parent: TestCard, child: TestCard) {
  expect((await admin.mutate("backoffice.unlinkGuardian", { userId: child.userId, guardianUserId: parent.userId })).data).toEqual({ ok: true });
}

/** Ends the link in the database only, as before this fix: what an unlink left behind must be powerless too. */
const unlinkDirectly = (parent: TestCard, child: TestCard) =>
  store.write((tx) => {
    tx.sqlite.query("DELETE FROM guardians WHERE guardian_user_id = ? AND child_user_id = ?").run(parent.userId, child.userId);
  });

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);
const agreementOf = (accountId: number) =>
  store.read((tx) => tx.sqlite.query("SELECT user_id, status, card_token FROM auto_top_up_agreements WHERE account_id = ?").get(accountId) as { user_id: number; status: string; card_token: string | null } | null);
const alertCount = (accountId: number) => store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM low_balance_alerts WHERE account_id = ?").get(accountId) as { n: number }).n);
const mailsTo = (recipient: string) =>
  store.read((tx) => tx.sqlite.query("SELECT subject, body_text AS body FROM outbox WHERE recipient = ? ORDER BY id").all(recipient) as Array<{ subject: string; body: string }>);
const topUpPayments = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT COUNT(*) AS n FROM payments WHERE account_id = ? AND purpose = 'auto_top_up'").get(accountId) as { n: number }).n);

async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${school.terminalKey}` },
    body: JSON.stringify({ saleId: `unlink-sale-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

/** The parent sets up Auto-optank on the child's card with their own card (100 kr., paid on the hosted page). */
async function parentAutoTopUp(parent: { card: TestCard; client: PortalClient; email: string }, child: { card: TestCard }): Promise<string> {
  const set = await parent.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 10000, receiptEmail: parent.email, acceptedTerms: true, idempotencyKey: crypto.randomUUID() });
  expect(set.status).toBe(200);
  const response = await fetch(`${server.url}${set.data.redirectUrl}`, {
    method: "POST",
    body: new URLSearchParams({ action: "pay", cardNumber: "5100000000000008", expiry: "12/30", cvc: "123" }),
    redirect: "manual",
  });
  expect(response.status).toBe(303);
  await simulator().settle();
  const agreement = agreementOf(child.card.accountId)!;
  expect(agreement).toMatchObject({ user_id: parent.card.userId, status: "active" });
  return agreement.card_token!;
}

describe("the ex-guardian's low-balance alert", () => {
  test("is removed by the unlink: no mail and no live notice of the child's balance; the ex-guardian is refused; the child chooses their own", async () => {
    const { parent, child } = await family(10_000);
    expect((await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 5000, email: parent.email })).status).toBe(200);
    await unlink(parent.card, child.card);
    expect(alertCount(child.card.accountId)).toBe(0);

    const notices: LowBalanceEvent[] = [];
    const stop = server.services.bus.subscribe("lowBalance", parent.card.userId, (event) => notices.push(event));
    expect(await sell(child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await lowBalanceAlertsSettled();
    stop();
    expect(notices).toEqual([]);
    expect(mailsTo(parent.email).filter((mail) => mail.subject.startsWith("Lav saldo"))).toEqual([]);

    for (const answer of [
      await parent.client.query("lowBalance.get", { accountId: child.card.accountId }),
      await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 8000, email: parent.email }),
      await parent.client.mutate("lowBalance.remove", { accountId: child.card.accountId }),
      await parent.client.query("limits.get", { accountId: child.card.accountId }),
      await parent.client.query("statement.months", { accountId: child.card.accountId }),
    ]) {
      expect(answer.error?.data.code).toBe("NOT_FOUND");
      expect(answer.data).toBeUndefined();
    }
    expect(alertCount(child.card.accountId)).toBe(0);
    // The child, without a guardian now, sets their own alert and removes it.
    expect((await child.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 3000, email: child.email })).data).toMatchObject({ payerIsViewer: true, thresholdOre: 3_000 });
    expect((await child.client.mutate("lowBalance.remove", { accountId: child.card.accountId })).data).toEqual({ ok: true });
  });

  test("an alert an ex-guardian left behind (link ended outside the unlink) sends nothing, and the child may remove it", async () => {
    const { parent, child } = await family(10_000);
    await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 5000, email: parent.email });
    await unlinkDirectly(parent.card, child.card);
    expect((await child.client.query("lowBalance.get", { accountId: child.card.accountId })).data).toBeNull();
    expect((await child.client.mutate("lowBalance.remove", { accountId: child.card.accountId })).data).toEqual({ ok: true });

    const second = await family(10_000);
    await second.parent.client.mutate("lowBalance.set", { accountId: second.child.card.accountId, thresholdOre: 5000, email: second.parent.email });
    await unlinkDirectly(second.parent.card, second.child.card);
    expect(await sell(second.child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await lowBalanceAlertsSettled();
    expect(await checkLowBalance(server.services, second.child.card.accountId)).toBeNull();
    expect(mailsTo(second.parent.email).filter((mail) => mail.subject.startsWith("Lav saldo"))).toEqual([]);
    expect(alertCount(second.child.card.accountId)).toBe(0);
  });
});

describe("the ex-guardian's Auto-optank", () => {
  test("is cancelled by the unlink, here and at the acquirer: a sale under 50 kr. charges nothing; the ex-guardian is refused with no child data; the child sets up their own", async () => {
    const { parent, child } = await family();
    const token = await parentAutoTopUp(parent, child);
    await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 5000, email: parent.email });
    await unlink(parent.card, child.card);
    expect(agreementOf(child.card.accountId)).toMatchObject({ status: "cancelled", card_token: null });
    await autoTopUpsSettled();
    expect(simulator().isCancelled(token)).toBe(true);

    const events: AutoTopUpEvent[] = [];
    const stop = server.services.bus.subscribe("autoTopUp", parent.card.userId, (event) => events.push(event));
    expect(await sell(child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await autoTopUpsSettled();
    stop();
    expect(events).toEqual([]);
    expect(topUpPayments(child.card.accountId)).toBe(0);
    expect(balanceOf(child.card.accountId)).toBe(4_000);

    for (const answer of [
      await parent.client.mutate("autoTopUp.update", { accountId: child.card.accountId, amountOre: 20000, receiptEmail: parent.email }),
      await parent.client.mutate("autoTopUp.cancel", { accountId: child.card.accountId }),
      await parent.client.query("autoTopUp.get", { accountId: child.card.accountId }),
      await parent.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 10000, receiptEmail: parent.email, acceptedTerms: true, idempotencyKey: crypto.randomUUID() }),
    ]) {
      expect(answer.error?.data.code).toBe("NOT_FOUND");
      expect(answer.data).toBeUndefined();
    }
    // The child sees no agreement of someone else's and may set up their own.
    expect((await child.client.query("autoTopUp.get", { accountId: child.card.accountId })).data).toBeNull();
    const own = await child.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 5000, receiptEmail: child.email, acceptedTerms: true, idempotencyKey: crypto.randomUUID() });
    expect(own.status).toBe(200);
    expect(own.data.redirectUrl).toMatch(/^\/acquirer\/pay\//);

    // Both are told what ended with the link.
    for (const recipient of [parent.email, child.email]) {
      const mail = mailsTo(recipient).find((each) => each.subject.includes("ikke længere værge"));
      expect(mail?.body).toContain("Auto-optank");
      expect(mail?.body).toContain("lav saldo");
      expect(mail?.body).toContain("admin@kantinekort.local");
    }
  });

  test("an agreement an ex-guardian left behind charges nothing, cannot be changed by them, and the child may cancel it", async () => {
    const { parent, child } = await family();
    await parentAutoTopUp(parent, child);
    await unlinkDirectly(parent.card, child.card);
    const update = await parent.client.mutate("autoTopUp.update", { accountId: child.card.accountId, amountOre: 20000, receiptEmail: parent.email });
    expect(update.error?.data.code).toBe("NOT_FOUND");
    expect(update.data).toBeUndefined();
    expect((await parent.client.mutate("autoTopUp.cancel", { accountId: child.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect((await child.client.mutate("autoTopUp.cancel", { accountId: child.card.accountId })).data).toEqual({ ok: true });
    expect(agreementOf(child.card.accountId)).toMatchObject({ status: "cancelled", card_token: null });

    const second = await family();
    await parentAutoTopUp(second.parent, second.child);
    await unlinkDirectly(second.parent.card, second.child.card);
    expect(await sell(second.child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await autoTopUpsSettled();
    expect(topUpPayments(second.child.card.accountId)).toBe(0);
    expect(agreementOf(second.child.card.accountId)).toMatchObject({ status: "cancelled", card_token: null });
    // The child replaces it with their own.
    const own = await second.child.client.mutate("autoTopUp.setUp", { accountId: second.child.card.accountId, amountOre: 5000, receiptEmail: second.child.email, acceptedTerms: true, idempotencyKey: crypto.randomUUID() });
    expect(own.status).toBe(200);
  });

  test("a cancel the acquirer cannot take at once still leaves the agreement cancelled, and is tried again", async () => {
    const { parent, child } = await family();
    const token = await parentAutoTopUp(parent, child);
    const acquirer = simulator();
    const real = acquirer.cancelSavedCard.bind(acquirer);
    let calls = 0;
    acquirer.cancelSavedCard = async (each: string) => {
      calls += 1;
      if (calls === 1) throw new AcquirerUnavailableError("simulated outage");
      return real(each);
    };
    try {
      await unlink(parent.card, child.card);
      expect(agreementOf(child.card.accountId)).toMatchObject({ status: "cancelled", card_token: null });
      expect(await sell(child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
      await autoTopUpsSettled();
      expect(topUpPayments(child.card.accountId)).toBe(0);
      expect(calls).toBe(2);
      expect(acquirer.isCancelled(token)).toBe(true);
    } finally {
      acquirer.cancelSavedCard = real;
    }
  });
});

describe("the ex-guardian's live stream", () => {
  test("carries no notice about the child's account after the unlink", async () => {
    const { parent, child } = await family(10_000);
    const stream = openPortalStream<{ type?: string; accountId: number }>(server.url, parent.client.cookie!, null);
    try {
      await until(stream.ready, "the stream's position");
      await unlink(parent.card, child.card);
      // A notice about the child's account still published to the ex-guardian (one in flight at the unlink) is not sent.
      server.services.bus.publish("lowBalance", parent.card.userId, { userId: parent.card.userId, accountId: child.card.accountId, balanceOre: 100, thresholdOre: 5_000, createdAt: Date.now() });
      await sell(child.card.cardNumber, 500);
      // The ex-guardian's own sale marks the end: anything about the child would have come first.
      await admin.mutate("backoffice.correct", { accountId: parent.card.accountId, amountOre: 1_000, direction: "credit", reason: "Markør i prøven", idempotencyKey: `unlink-${crypto.randomUUID()}` });
      await until(() => stream.events.some((event) => event.data.accountId === parent.card.accountId), "the ex-guardian's own movement");
      expect(stream.events.filter((event) => event.data.accountId === child.card.accountId)).toEqual([]);
    } finally {
      stream.stop();
    }
  });
});
