// Auto top-up orchestration: a hung acquirer cannot block an account, a late capture still pays, a restart frees the account.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openStore, type Store } from "../../../db/connect.ts";
import { migrateToLatest } from "../../../db/migrate.ts";
import { createServices, startServer } from "../../app.ts";
import { checkLedger } from "../../ledger/check.ts";
import { postTransfer } from "../../ledger/ledger.ts";
import type { PaymentOutcome } from "../../acquirer/acquirer.ts";
import { createCanteen, createCard, lastMailTo, servicesFor, tempDatabasePath, testConfig, type Fixture } from "../../testing/harness.ts";
import { formatOre } from "../../../common/money.ts";
import { claimAutoTopUp, maybeAutoTopUp } from "./auto-top-up.ts";
import { startPayment } from "./hosted.ts";
import { applyPaymentOutcome } from "./outcomes.ts";
import { createPendingPayment } from "./records.ts";
import { saveAgreement } from "./agreements.ts";

let path: string;
let cleanup: () => void;
let store: Store;
let canteen: Fixture;
beforeEach(async () => {
  ({ path, cleanup } = tempDatabasePath());
  await migrateToLatest(path);
  store = openStore({ path });
  canteen = await createCanteen(store);
});
afterEach(async () => {
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await store.close();
  cleanup();
});

/** A card with an active 100 kr. agreement (setup paid) and 10 kr. left, so the next check starts a top-up. */
async function cardDueForTopUp() {
  const card = await createCard(store, canteen);
  const setup = (
    await store.write((tx) =>
      createPendingPayment(tx, { userId: card.userId, accountId: card.accountId, idempotencyKey: crypto.randomUUID(), purpose: "auto_top_up_setup", amountOre: 10_000, receiptEmail: "a@example.dk" }),
    )
  ).payment;
  await store.write((tx) => saveAgreement(tx, card.userId, { accountId: card.accountId, amountOre: 10_000, receiptEmail: "a@example.dk", setupPaymentId: setup.paymentId }));
  await store.write((tx) => applyPaymentOutcome(tx, { paymentId: setup.paymentId, amountOre: 10_000, status: "captured", cardToken: "simtok_x.y", cardBrand: "Visa", cardLast4: "1111" }));
  await store.write((tx) => postTransfer(tx, { id: `spend-${card.accountId}`, debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 9_000, kind: "sale" }));
  return card;
}

const balanceOf = (accountId: number) => store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);
const inFlight = (accountId: number) => store.read((tx) => (tx.sqlite.query("SELECT in_flight_payment_id AS id FROM auto_top_up_agreements WHERE account_id = ?").get(accountId) as { id: string | null }).id);

describe("auto top-up against a slow acquirer", () => {
  test("a hung charge times out and frees the account; its late capture is deposited exactly once", async () => {
    const card = await cardDueForTopUp();
    let answer: (outcome: PaymentOutcome) => void = () => undefined;
    const services = servicesFor(store);
    const simulator = services.acquirer;
    services.acquirer = {
      name: "hung",
      createPayment: (request) => simulator.createPayment(request),
      verifyCallback: (headers, body, nowMs) => simulator.verifyCallback(headers, body, nowMs),
      lookUp: (request) => simulator.lookUp(request),
      cancelSavedCard: (token) => simulator.cancelSavedCard(token),
      chargeToken: () => new Promise<PaymentOutcome>((resolve) => (answer = resolve)),
    };
    const result = await maybeAutoTopUp(services, card.accountId, 20);
    expect(result).toMatchObject({ status: "failed", reason: "timeout" });
    expect(inFlight(card.accountId)).toBeNull();
    const paymentId = result!.paymentId;

    // The acquirer answers after all: the card was charged, so the money must arrive.
    answer({ status: "captured", cardBrand: "Visa", cardLast4: "1111" });
    const statusOf = () => store.read((tx) => (tx.sqlite.query("SELECT status FROM payments WHERE id = ?").get(paymentId) as { status: string }).status);
    for (let wait = 0; wait < 250 && statusOf() !== "captured"; wait += 1) await Bun.sleep(10);
    expect(statusOf()).toBe("captured");
    // The same capture again (say, also as a callback) changes nothing.
    expect((await store.write((tx) => applyPaymentOutcome(tx, { paymentId, amountOre: 10_000, status: "captured" }))).changed).toBe(false);
    expect(balanceOf(card.accountId)).toBe(11_000);
    expect(store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n FROM transfers WHERE reference = ?").get(paymentId))).toEqual({ n: 1 });
  });
});

describe("the check after a sale", () => {
  test("queues no write transaction for an account without a due agreement, and one claim for a due one", async () => {
    let writes = 0;
    const services = servicesFor(store);
    services.store = Object.assign(Object.create(store) as Store, {
      write: <T,>(fn: Parameters<Store["write"]>[0]) => {
        writes += 1;
        return store.write(fn as never) as Promise<T>;
      },
    });
    const plain = await createCard(store, canteen, { balanceOre: 1_000 });
    expect(await maybeAutoTopUp(services, plain.accountId)).toBeNull();
    expect(writes).toBe(0);
    const due = await cardDueForTopUp();
    services.acquirer.chargeToken = async () => ({ status: "captured" });
    expect(await maybeAutoTopUp(services, due.accountId)).toMatchObject({ status: "captured", balanceOre: 11_000 });
    expect(writes).toBe(2);
    // The receipt tells the new balance, since the cardholder did not start this payment.
    expect(lastMailTo(store, "a@example.dk")?.body).toContain(`Ny saldo: ${formatOre(11_000)}`);
  });
});

describe("starting a hosted payment", () => {
  test("two concurrent starts with one key make one payment with one hosted page", async () => {
    const card = await createCard(store, canteen);
    const services = servicesFor(store);
    const request = { userId: card.userId, accountId: card.accountId, amountOre: 20_000, receiptEmail: "a@example.dk", idempotencyKey: "deposit-twice-1", purpose: "deposit" as const, baseUrl: "http://localhost" };
    const [first, second] = await Promise.all([startPayment(services, request), startPayment(services, request)]);
    expect(first).toMatchObject({ ok: true });
    expect(second).toEqual(first);
    expect(store.read((tx) => tx.sqlite.query("SELECT COUNT(*) AS n, MAX(redirect_url) AS url FROM payments").get())).toEqual({ n: 1, url: (first as { redirectUrl: string }).redirectUrl });
  });
});

describe("startup", () => {
  test("a top-up left in flight by a crash is recovered when the server starts, so top-ups resume", async () => {
    const card = await cardDueForTopUp();
    const claim = await store.write((tx) => claimAutoTopUp(tx, card.accountId));
    expect(inFlight(card.accountId)).toBe(claim!.paymentId);
    await store.close();

    const services = await createServices(testConfig({ databasePath: path }));
    await services.store.close();

    store = openStore({ path });
    expect(inFlight(card.accountId)).toBeNull();
    expect(store.read((tx) => tx.sqlite.query("SELECT status, reason FROM payments WHERE id = ?").get(claim!.paymentId))).toEqual({ status: "failed", reason: "interrupted" });
    expect(await store.write((tx) => claimAutoTopUp(tx, card.accountId))).not.toBeNull();
  });
});

describe("graceful stop", () => {
  test("a top-up waiting on its card charge when the server stops records its outcome before the database closes", async () => {
    const card = await cardDueForTopUp();
    await store.close();
    const running = await startServer(testConfig({ databasePath: path, host: "127.0.0.1", port: 0 }));
    const simulator = running.services.acquirer;
    let charged = false;
    running.services.acquirer = {
      name: "slow",
      createPayment: (request) => simulator.createPayment(request),
      verifyCallback: (headers, body, nowMs) => simulator.verifyCallback(headers, body, nowMs),
      lookUp: (request) => simulator.lookUp(request),
      cancelSavedCard: (token) => simulator.cancelSavedCard(token),
      // The card is charged, but the answer takes a moment: the stop begins while it is on its way.
      chargeToken: () =>
        new Promise<PaymentOutcome>((resolve) =>
          setTimeout(() => {
            charged = true;
            resolve({ status: "captured" });
          }, 300),
        ),
    };
    const topUp = maybeAutoTopUp(running.services, card.accountId);
    const claimed = () => running.services.store.read((tx) => tx.sqlite.query("SELECT in_flight_payment_id AS id FROM auto_top_up_agreements WHERE account_id = ?").get(card.accountId) as { id: string | null }).id;
    for (let wait = 0; wait < 100 && !claimed(); wait += 1) await Bun.sleep(5);
    expect(claimed()).not.toBeNull();
    await running.stop();
    expect(charged).toBe(true);
    expect(await topUp).toMatchObject({ status: "captured" });

    store = openStore({ path });
    expect(inFlight(card.accountId)).toBeNull();
    expect(balanceOf(card.accountId)).toBe(11_000);
    expect(store.read((tx) => tx.sqlite.query("SELECT status FROM payments WHERE purpose = 'auto_top_up' AND account_id = ?").get(card.accountId))).toEqual({ status: "captured" });
  });
});
