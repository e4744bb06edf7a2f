// Parents pay, over real HTTP with the simulator: Auto-optank on a child's card with the parent's card, the child's limits, low-balance alerts.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, lastMailTo, PortalClient, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import type { Store } from "../../db/connect.ts";
import { checkLedger } from "../ledger/check.ts";
import type { AcquirerSimulator } from "../acquirer/simulator.ts";
import { autoTopUpsSettled } from "../services/payments/auto-top-up.ts";
import { checkLowBalance, lowBalanceAlertsSettled, type LowBalanceEvent } from "../services/payer.ts";
import type { AutoTopUpEvent } from "../events/bus.ts";
import { formatOre } from "../../common/money.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;

beforeAll(async () => {
  server = await startTestServer({ acquirerSecret: "parents-test-secret-000001", simulatorTimeoutMs: 50 });
  store = server.services.store;
  canteen = await createCanteen(store);
});
afterEach(async () => {
  await (server.services.acquirer as AcquirerSimulator).settle();
  await autoTopUpsSettled();
  await lowBalanceAlertsSettled();
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

let codeCounter = 600000;
async function holder(name: string, balanceOre: number): Promise<{ card: TestCard; client: PortalClient; email: string }> {
  const code = String(++codeCounter);
  const email = `${crypto.randomUUID()}@example.dk`;
  const card = await createCard(store, canteen, { code, name, email, balanceOre });
  const client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
  return { card, client, email };
}

async function family(childBalanceOre = 0) {
  const parent = await holder("Anne Hansen", 0);
  const child = await holder("Emil Hansen", childBalanceOre);
  await store.write((tx) => {
    tx.sqlite.query("INSERT INTO guardians (guardian_user_id, child_user_id, created_at) VALUES (?, ?, ?)").run(parent.card.userId, child.card.userId, Date.now());
  });
  return { parent, child };
}

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId: `parents-sale-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

async function payOnHostedPage(redirectUrl: string, cardNumber: string): Promise<string> {
  const response = await fetch(`${server.url}${redirectUrl}`, {
    method: "POST",
    body: new URLSearchParams({ action: "pay", cardNumber, expiry: "12/30", cvc: "123" }),
    redirect: "manual",
  });
  expect(response.status).toBe(303);
  return response.headers.get("location")!;
}

describe("Auto-optank on a child's card, paid with the parent's card", () => {
  test("the parent sets it up and pays; top-ups charge the parent's card and mail the parent; the child sees it read-only", async () => {
    const { parent, child } = await family();
    const set = await parent.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 10000, receiptEmail: parent.email, acceptedTerms: true, idempotencyKey: "parent-setup-0001" });
    expect(set.status).toBe(200);
    await payOnHostedPage(set.data.redirectUrl, "5100000000000008");
    await (server.services.acquirer as AcquirerSimulator).settle();
    expect((await parent.client.query("autoTopUp.get", { accountId: child.card.accountId })).data).toMatchObject({
      status: "active",
      inEffect: true,
      cardLast4: "0008",
      payerIsViewer: true,
      receiptEmail: parent.email,
    });
    // The child sees the agreement, who pays it, and not the parent's e-mail; changing or cancelling it is not theirs.
    const childView = (await child.client.query("autoTopUp.get", { accountId: child.card.accountId })).data;
    expect(childView).toMatchObject({ status: "active", payerIsViewer: false, payerName: "Anne Hansen", receiptEmail: "" });
    expect((await child.client.mutate("autoTopUp.update", { accountId: child.card.accountId, amountOre: 50000, receiptEmail: child.email })).error?.data.code).toBe("NOT_FOUND");
    expect((await child.client.mutate("autoTopUp.cancel", { accountId: child.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect(
      (await child.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 2000, receiptEmail: child.email, acceptedTerms: true, idempotencyKey: "child-setup-0001" })).error?.data.code,
    ).toBe("FORBIDDEN");
    expect(balanceOf(child.card.accountId)).toBe(10_000);

    // A sale leaves 40 kr.: the parent's saved card tops the child's card up; the parent is told, live and by mail.
    const events: AutoTopUpEvent[] = [];
    const stop = server.services.bus.subscribe("autoTopUp", parent.card.userId, (event) => events.push(event));
    expect(await sell(child.card.cardNumber, 6_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await autoTopUpsSettled();
    stop();
    expect(events).toMatchObject([{ status: "captured", accountId: child.card.accountId, balanceOre: 14_000 }]);
    expect(lastMailTo(store, parent.email)?.subject).toBe(`Kvittering: Auto-optankning på ${formatOre(10_000)}`);
    expect(lastMailTo(store, child.email)).toBeNull();
    expect(balanceOf(child.card.accountId)).toBe(14_000);
  });

  test("a stranger cannot set up, see or change Auto-optank on someone's child's card", async () => {
    const { child } = await family();
    const stranger = await holder("Fremmed", 0);
    expect((await stranger.client.query("autoTopUp.get", { accountId: child.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect(
      (await stranger.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 10000, receiptEmail: stranger.email, acceptedTerms: true, idempotencyKey: "stranger-0001" })).error?.data.code,
    ).toBe("NOT_FOUND");
    expect((await stranger.client.mutate("limits.set", { accountId: child.card.accountId, limits: { dailyOre: 0, weeklyOre: null, monthlyOre: null } })).error?.data.code).toBe("NOT_FOUND");
    expect((await stranger.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 3000, email: stranger.email })).error?.data.code).toBe("NOT_FOUND");
  });
});

describe("the child's Maks. forbrug", () => {
  test("the parent sets it; the till enforces it; the child sees it read-only and cannot change it, not even through Brugerinfo", async () => {
    const { parent, child } = await family(20_000);
    const set = await parent.client.mutate("limits.set", { accountId: child.card.accountId, limits: { dailyOre: 5_000, weeklyOre: 15_000, monthlyOre: null } });
    expect(set.data).toMatchObject({ dailyOre: 5_000, weeklyOre: 15_000, monthlyOre: null, editable: true, setByGuardian: true });
    expect((await child.client.query("limits.get", { accountId: child.card.accountId })).data).toMatchObject({ dailyOre: 5_000, editable: false, setByGuardian: true });
    expect((await child.client.mutate("limits.set", { accountId: child.card.accountId, limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } })).error?.data.code).toBe("FORBIDDEN");
    const profile = (await child.client.query("profile.get")).data;
    const update = { name: profile.name, email: profile.email, limits: { dailyOre: null, weeklyOre: null, monthlyOre: null } };
    expect((await child.client.mutate("profile.update", update)).error?.data.code).toBe("FORBIDDEN");
    // Saving Brugerinfo with the guardian's limits unchanged still works.
    expect((await child.client.mutate("profile.update", { ...update, limits: { dailyOre: 5_000, weeklyOre: 15_000, monthlyOre: null } })).status).toBe(200);
    expect(await sell(child.card.cardNumber, 4_000)).toMatchObject({ status: "approved" });
    expect(await sell(child.card.cardNumber, 2_000)).toMatchObject({ status: "declined", reason: "limit_daily_exceeded" });
    // A holder without a guardian sets their own.
    const grownUp = await holder("Voksen", 0);
    expect((await grownUp.client.mutate("limits.set", { accountId: grownUp.card.accountId, limits: { dailyOre: 1_000, weeklyOre: null, monthlyOre: null } })).data).toMatchObject({ editable: true, setByGuardian: false });
  });
});

describe("low-balance alert", () => {
  test("the payer chooses a threshold; a sale under it sends one e-mail and one live notice a day; the child sees it read-only", async () => {
    const { parent, child } = await family(10_000);
    const set = await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 5000, email: parent.email });
    expect(set.data).toMatchObject({ thresholdOre: 5_000, payerIsViewer: true });
    expect((await child.client.query("lowBalance.get", { accountId: child.card.accountId })).data).toMatchObject({ thresholdOre: 5_000, payerIsViewer: false, email: "" });
    expect((await child.client.mutate("lowBalance.remove", { accountId: child.card.accountId })).error?.data.code).toBe("FORBIDDEN");

    const notices: LowBalanceEvent[] = [];
    const stop = server.services.bus.subscribe("lowBalance", parent.card.userId, (event) => notices.push(event));
    expect(await sell(child.card.cardNumber, 4_000)).toMatchObject({ status: "approved", balanceOre: 6_000 });
    await lowBalanceAlertsSettled();
    expect(notices).toHaveLength(0);
    expect(await sell(child.card.cardNumber, 2_000)).toMatchObject({ status: "approved", balanceOre: 4_000 });
    await lowBalanceAlertsSettled();
    expect(notices).toMatchObject([{ accountId: child.card.accountId, balanceOre: 4_000, thresholdOre: 5_000 }]);
    const mail = lastMailTo(store, parent.email)!;
    expect(mail.subject).toBe(`Lav saldo på kantinekortet: ${formatOre(4_000)}`);
    // More sales the same day: no second alert. Twenty checks at once still send one.
    await sell(child.card.cardNumber, 1_000);
    await Promise.all(Array.from({ length: 20 }, () => checkLowBalance(server.services, child.card.accountId)));
    await lowBalanceAlertsSettled();
    stop();
    expect(notices).toHaveLength(1);
    expect(store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND subject LIKE 'Lav saldo%'").get(parent.email))).toEqual({ n: 1 });
    // The next Copenhagen day, the alert may come again.
    expect(await checkLowBalance(server.services, child.card.accountId, Date.now() + 26 * 60 * 60 * 1000)).toMatchObject({ balanceOre: 3_000 });
  });

  test("no alert while an Auto-optank is running on the account", async () => {
    const { parent, child } = await family();
    const set = await parent.client.mutate("autoTopUp.setUp", { accountId: child.card.accountId, amountOre: 10000, receiptEmail: parent.email, acceptedTerms: true, idempotencyKey: "parent-setup-0002" });
    await payOnHostedPage(set.data.redirectUrl, "4571000000000001");
    await (server.services.acquirer as AcquirerSimulator).settle();
    await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre: 8000, email: parent.email });
    expect(await sell(child.card.cardNumber, 3_000)).toMatchObject({ status: "approved", balanceOre: 7_000 });
    await lowBalanceAlertsSettled();
    expect(await checkLowBalance(server.services, child.card.accountId)).toBeNull();
    expect(store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM outbox WHERE recipient = ? AND subject LIKE 'Lav saldo%'").get(parent.email))).toEqual({ n: 0 });
  });

  test("bad input is refused with a readable message and changes nothing", async () => {
    const { parent, child } = await family();
    for (const thresholdOre of [0, 150, 100_100, 100.5]) {
      const response = await parent.client.mutate("lowBalance.set", { accountId: child.card.accountId, thresholdOre, email: parent.email });
      expect(response.status).toBe(400);
      expect(response.error?.data.issues?.[0]?.path).toBe("thresholdOre");
    }
    expect((await parent.client.query("lowBalance.get", { accountId: child.card.accountId })).data).toBeNull();
  });
});
