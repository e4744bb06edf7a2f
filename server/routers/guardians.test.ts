// Guardians in the portal over real HTTP: a parent acts on the children's accounts, never the reverse, never across schools.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { until } from "../testing/sse-client.ts";
import type { BalanceEvent } from "../events/bus.ts";
import type { Store } from "../../db/connect.ts";
import { checkLedger } from "../ledger/check.ts";
import { addDays, copenhagenDate } from "../../common/calendar.ts";
import { demoGuardian } from "../seed.ts";

let server: TestServer;
let store: Store;
/** The demo school (seeded, so the webshop has menus), used as the fixture for new cards. */
let school: Fixture;

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
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
});
// The ledger must hold after every test, so a broken invariant points at the test that broke it.
afterEach(() => {
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
afterAll(async () => {
  await server.close();
});

let codeCounter = 400000;
async function holder(fixture: Fixture, name: string, balanceOre: number): Promise<{ card: TestCard; client: PortalClient }> {
  const code = String(++codeCounter);
  const card = await createCard(store, fixture, { code, name, email: `${crypto.randomUUID()}@example.dk`, balanceOre });
  const client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
  return { card, client };
}

/** Links directly in the database: the back office's own checks are tested in backoffice.test.ts. */
function link(guardian: TestCard, child: TestCard): Promise<void> {
  return store.write((tx) => {
    tx.sqlite.query("INSERT INTO guardians (guardian_user_id, child_user_id, created_at) VALUES (?, ?, ?)").run(guardian.userId, child.userId, Date.now());
  });
}

function unlink(guardian: TestCard, child: TestCard): Promise<void> {
  return store.write((tx) => {
    tx.sqlite.query("DELETE FROM guardians WHERE guardian_user_id = ? AND child_user_id = ?").run(guardian.userId, child.userId);
  });
}

/** A parent with two children, each with their own card. */
async function family() {
  const parent = await holder(school, "Anne Hansen", 10_000);
  const emil = await holder(school, "Emil Hansen", 2_000);
  const ida = await holder(school, "Ida Hansen", 0);
  await link(parent.card, emil.card);
  await link(parent.card, ida.card);
  return { parent, emil, ida };
}

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${school.terminalKey}` },
    body: JSON.stringify({ saleId: `guardian-sale-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  const data = (await response.json()).result.data;
  expect(data.status).toBe("approved");
  return data;
}

describe("Konti", () => {
  test("a guardian sees their own account first, then each child's with the holder's name; a child sees only their own", async () => {
    const { parent, emil, ida } = await family();
    const listed = (await parent.client.query("accounts.list")).data as Array<{ accountId: number; holder?: { name: string | null }; cardNumber: string }>;
    expect(listed.map((account) => [account.accountId, account.holder, account.cardNumber])).toEqual([
      [parent.card.accountId, undefined, parent.card.cardNumber],
      [emil.card.accountId, { name: "Emil Hansen" }, emil.card.cardNumber],
      [ida.card.accountId, { name: "Ida Hansen" }, ida.card.cardNumber],
    ]);
    const childView = (await emil.client.query("accounts.list")).data as Array<{ accountId: number; holder?: unknown }>;
    expect(childView).toEqual([expect.objectContaining({ accountId: emil.card.accountId })]);
    expect(childView[0]!.holder).toBeUndefined();
  });

  test("the demo seed makes card 12345678901236 the guardian of card 12345678901235", () => {
    const linked = store.read((tx) =>
      tx.sqlite
        .query(
          `SELECT 1 FROM guardians g JOIN cards gc ON gc.user_id = g.guardian_user_id JOIN cards cc ON cc.user_id = g.child_user_id
           WHERE gc.card_number = ? AND cc.card_number = ?`,
        )
        .get(demoGuardian.guardianCardNumber, demoGuardian.childCardNumber),
    );
    expect(linked).not.toBeNull();
  });
});

describe("Overfør", () => {
  test("own → child and child → child: idempotent, never below zero", async () => {
    const { parent, emil, ida } = await family();
    const toEmil = { fromAccountId: parent.card.accountId, toAccountId: emil.card.accountId, amountOre: 3_000, idempotencyKey: "guardian-transfer-0001" };
    expect((await parent.client.mutate("transfers.create", toEmil)).data).toEqual({ ok: true, amountOre: 3_000 });
    // The same request again (a double click, a retry) moves nothing more.
    expect((await parent.client.mutate("transfers.create", toEmil)).data).toEqual({ ok: true, amountOre: 3_000 });
    expect([balanceOf(parent.card.accountId), balanceOf(emil.card.accountId)]).toEqual([7_000, 5_000]);

    const emilToIda = { fromAccountId: emil.card.accountId, toAccountId: ida.card.accountId, amountOre: 4_500, idempotencyKey: "guardian-transfer-0002" };
    expect((await parent.client.mutate("transfers.create", emilToIda)).data).toEqual({ ok: true, amountOre: 4_500 });
    expect([balanceOf(emil.card.accountId), balanceOf(ida.card.accountId)]).toEqual([500, 4_500]);

    // More than Emil has left is declined as an answer, and nothing moves.
    const tooMuch = await parent.client.mutate("transfers.create", { ...emilToIda, amountOre: 501, idempotencyKey: "guardian-transfer-0003" });
    expect(tooMuch.data).toEqual({ ok: false, reason: "insufficient_funds" });
    expect([balanceOf(parent.card.accountId), balanceOf(emil.card.accountId), balanceOf(ida.card.accountId)]).toEqual([7_000, 500, 4_500]);
  });

  test("the child cannot move or read the guardian's money", async () => {
    const { parent, emil } = await family();
    const fromParent = await emil.client.mutate("transfers.create", { fromAccountId: parent.card.accountId, toAccountId: emil.card.accountId, amountOre: 100, idempotencyKey: "child-steals-0001" });
    expect(fromParent.error?.data.code).toBe("NOT_FOUND");
    expect((await emil.client.query("statement.months", { accountId: parent.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect((await emil.client.mutate("accounts.block", { accountId: parent.card.accountId })).error?.data.code).toBe("NOT_FOUND");
    expect((await emil.client.get(`/statement.csv?accountId=${parent.card.accountId}&year=2026&month=11`)).status).toBe(404);
    expect(balanceOf(parent.card.accountId)).toBe(10_000);
  });
});

describe("Kontoudtog, Udbetal, Indbetal, Webshop and Spær kort on a child's account", () => {
  test("the guardian reads the child's statement, including a sale at the till, on screen and as CSV", async () => {
    const { parent, emil } = await family();
    await sell(emil.card.cardNumber, 1_200);
    const months = (await parent.client.query("statement.months", { accountId: emil.card.accountId })).data as Array<{ year: number; month: number }>;
    expect(months.length).toBeGreaterThan(0);
    const { year, month } = months[0]!;
    const statement = (await parent.client.query("statement.month", { accountId: emil.card.accountId, year, month })).data as { lines: Array<{ kind: string; amountOre: number }>; closingBalanceOre: number };
    expect(statement.lines.map((line) => [line.kind, line.amountOre])).toEqual([
      ["deposit", 2_000],
      ["sale", -1_200],
    ]);
    expect(statement.closingBalanceOre).toBe(800);
    const csv = await parent.client.get(`/statement.csv?accountId=${emil.card.accountId}&year=${year}&month=${month}`);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain("-12,00");
  });

  test("payout, deposit, webshop checkout, Spær kort and Auto-optank (with the guardian's own card) work on the child's account", async () => {
    const { parent, emil } = await family();
    const payout = await parent.client.mutate("payouts.request", {
      accountId: emil.card.accountId,
      name: "Anne Hansen",
      registrationNumber: "1234",
      bankAccountNumber: "0012345678",
      amountOre: 500,
      idempotencyKey: "guardian-payout-0001",
    });
    expect(payout.data).toMatchObject({ ok: true });
    expect(balanceOf(emil.card.accountId)).toBe(1_500);

    const deposit = await parent.client.mutate("payments.startDeposit", { accountId: emil.card.accountId, amountOre: 10000, receiptEmail: "anne@example.dk", acceptedTerms: true, idempotencyKey: "guardian-deposit-0001" });
    expect(deposit.data.redirectUrl).toMatch(/^\/acquirer\/pay\//);
    // Issue 12: a parent sets up Auto-optank on the child's card with the parent's own card; the child only sees it.
    const autoTopUp = await parent.client.mutate("autoTopUp.setUp", { accountId: emil.card.accountId, amountOre: 10000, receiptEmail: "anne@example.dk", acceptedTerms: true, idempotencyKey: "guardian-auto-0001" });
    expect(autoTopUp.data.redirectUrl).toMatch(/^\/acquirer\/pay\//);
    const childReplaces = await emil.client.mutate("autoTopUp.setUp", { accountId: emil.card.accountId, amountOre: 10000, receiptEmail: "emil@example.dk", acceptedTerms: true, idempotencyKey: "child-auto-0001" });
    expect(childReplaces.error?.data.code).toBe("FORBIDDEN");

    const tomorrow = addDays(copenhagenDate(Date.now()), 1);
    const products = (await parent.client.query("webshop.menu", { canteenId: school.canteenId, deliveryDay: tomorrow })).data as Array<{ productId: number; name: string; priceOre: number }>;
    const fruit = products.find((product) => product.name === "Frugt")!;
    const order = await parent.client.mutate("webshop.checkout", {
      accountId: emil.card.accountId,
      canteenId: school.canteenId,
      deliveryDay: tomorrow,
      lines: [{ productId: fruit.productId, quantity: 1 }],
      idempotencyKey: "guardian-order-0001",
    });
    // The kitchen and the till show the child, who collects the order with their own card.
    expect(order.data).toMatchObject({ ok: true, order: { totalOre: fruit.priceOre, cardholderName: "Emil Hansen" } });
    expect(balanceOf(emil.card.accountId)).toBe(1_500 - fruit.priceOre);

    expect((await parent.client.mutate("accounts.block", { accountId: emil.card.accountId })).data).toMatchObject({ accountId: emil.card.accountId, status: "blocked", holder: { name: "Emil Hansen" } });
    const declined = await fetch(`${server.url}/trpc/pos.sale`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${school.terminalKey}` },
      body: JSON.stringify({ saleId: `guardian-blocked-${crypto.randomUUID()}`, cardNumber: emil.card.cardNumber, amountOre: 100 }),
    });
    expect((await declined.json()).result.data).toMatchObject({ status: "declined", reason: "card_blocked" });
  });
});

describe("strangers", () => {
  test("an unrelated user and a guardian from another school are refused everything on the child's account", async () => {
    const { emil } = await family();
    const stranger = await holder(school, "Fremmed Person", 5_000);
    const otherSchool = await createCanteen(store, "Andetsteds");
    const foreign = await holder(otherSchool, "Udenbys Forælder", 5_000);
    // A link across schools cannot be made in the back office; written straight into the table, it still grants nothing.
    await link(foreign.card, emil.card);
    for (const outsider of [stranger, foreign]) {
      const listed = (await outsider.client.query("accounts.list")).data as Array<{ accountId: number }>;
      expect(listed.map((account) => account.accountId)).toEqual([outsider.card.accountId]);
      const pull = await outsider.client.mutate("transfers.create", { fromAccountId: emil.card.accountId, toAccountId: outsider.card.accountId, amountOre: 100, idempotencyKey: `outsider-${outsider.card.userId}` });
      expect(pull.error?.data.code).toBe("NOT_FOUND");
      expect((await outsider.client.query("statement.months", { accountId: emil.card.accountId })).error?.data.code).toBe("NOT_FOUND");
      expect((await outsider.client.mutate("accounts.block", { accountId: emil.card.accountId })).error?.data.code).toBe("NOT_FOUND");
      const payout = await outsider.client.mutate("payouts.request", { accountId: emil.card.accountId, name: "X", registrationNumber: "1234", bankAccountNumber: "1", amountOre: 100, idempotencyKey: `outsider-payout-${outsider.card.userId}` });
      expect(payout.error?.data.code).toBe("NOT_FOUND");
    }
    expect(balanceOf(emil.card.accountId)).toBe(2_000);
    // System accounts are no one's: not even a guardian can name one as a transfer's target.
    expect((await stranger.client.mutate("transfers.create", { fromAccountId: stranger.card.accountId, toAccountId: school.clearingAccountId, amountOre: 100, idempotencyKey: "to-system-0001" })).error?.data.code).toBe("NOT_FOUND");
  });
});

describe("the live stream", () => {
  test("the guardian gets the child's sales live; after unlinking, the next re-check drops the child's account from the stream and every request is refused", async () => {
    const { parent, emil, ida } = await family();
    const stream = openPortalStream<BalanceEvent>(server.url, parent.client.cookie!, null);
    try {
      await until(stream.ready, "the stream's position");
      await sell(emil.card.cardNumber, 700);
      await until(() => stream.events.some((event) => event.data.accountId === emil.card.accountId), "the child's sale on the guardian's stream");
      expect(stream.events.find((event) => event.data.accountId === emil.card.accountId)!.data).toMatchObject({ kind: "sale", amountOre: -700, balanceOre: 1_300 });

      await unlink(parent.card, emil.card);
      // Access is gone at once for every request...
      expect((await parent.client.query("statement.months", { accountId: emil.card.accountId })).error?.data.code).toBe("NOT_FOUND");
      const transfer = await parent.client.mutate("transfers.create", { fromAccountId: parent.card.accountId, toAccountId: emil.card.accountId, amountOre: 100, idempotencyKey: "after-unlink-0001" });
      expect(transfer.error?.data.code).toBe("NOT_FOUND");
      expect(((await parent.client.query("accounts.list")).data as Array<{ accountId: number }>).map((account) => account.accountId)).toEqual([parent.card.accountId, ida.card.accountId]);
      // ...and an open stream re-reads its accounts when told access changed (the back office's unlink publishes this;
      // its own test in backoffice.test.ts goes through the procedure).
      server.services.bus.publish("accessChanged", parent.card.userId, { userId: parent.card.userId });
      await sell(emil.card.cardNumber, 300);
      // The guardian's own sale afterwards marks the end: had the child's sale been sent, it would have come first.
      await sell(parent.card.cardNumber, 100);
      await until(() => stream.events.some((event) => event.data.accountId === parent.card.accountId), "the guardian's own sale");
      expect(stream.events.filter((event) => event.data.accountId === emil.card.accountId)).toHaveLength(1);
    } finally {
      stream.stop();
    }
  });

  test("a child's stream never carries the guardian's movements", async () => {
    const { parent, emil } = await family();
    const stream = openPortalStream<BalanceEvent>(server.url, emil.client.cookie!, null);
    try {
      await until(stream.ready, "the stream's position");
      await sell(parent.card.cardNumber, 400);
      await sell(emil.card.cardNumber, 200);
      await until(() => stream.events.length >= 1, "the child's own sale");
      expect(stream.events.map((event) => event.data.accountId)).toEqual([emil.card.accountId]);
    } finally {
      stream.stop();
    }
  });
});
