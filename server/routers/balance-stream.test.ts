// The onBalance stream's edges: page-by-page backfill, a transfer between two of the user's own accounts, no leaked listeners.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { BalanceEvent } from "../events/bus.ts";
import { until } from "../testing/sse-client.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";
import { balanceEventsAfter } from "../services/accounts.ts";
import { openAccount, postTransfer, type Transfer } from "../ledger/ledger.ts";
import { publishTransfers } from "../ledger/events.ts";
import { MAX_STREAMS_PER_SESSION } from "../events/stream-limits.ts";

let server: TestServer;
let canteen: Fixture;
beforeAll(async () => {
  server = await startTestServer();
  canteen = await createCanteen(server.services.store);
});
afterAll(async () => {
  await server.close();
});

let saleCounter = 0;
async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId: `stream-sale-${++saleCounter}-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  const data = (await response.json()).result.data;
  expect(data.status).toBe("approved");
  return data;
}

/** Moves money between two accounts of the same user through the ledger, and publishes it as a service would. */
async function moveBetween(debitAccountId: number, creditAccountId: number, amountOre: number): Promise<Transfer> {
  const { store, bus } = server.services;
  const transfer = await store.write((tx) => {
    const result = postTransfer(tx, { id: `own-transfer-${crypto.randomUUID()}`, debitAccountId, creditAccountId, amountOre, kind: "transfer" });
    if (result.status !== "posted") throw new Error("transfer failed");
    return result.transfer;
  });
  publishTransfers(bus, [transfer]);
  return transfer;
}

async function userWithTwoAccounts(): Promise<{ card: TestCard; code: string; savingsAccountId: number }> {
  const code = String(300000 + Math.floor(Math.random() * 600000));
  const card = await createCard(server.services.store, canteen, { code, balanceOre: 10_000 });
  const savingsAccountId = await server.services.store.write((tx) => openAccount(tx, { kind: "cardholder", name: "Opsparing", ownerUserId: card.userId }));
  return { card, code, savingsAccountId };
}

function subscribe(cookie: string, lastEventId: string | null) {
  return openPortalStream<BalanceEvent>(server.url, cookie, lastEventId);
}

describe("backfill from the database", () => {
  test("pages through any number of missed transfers in order, including both sides of a transfer between own accounts", async () => {
    const { card, savingsAccountId } = await userWithTwoAccounts();
    const own = await moveBetween(card.accountId, savingsAccountId, 500);
    for (let index = 0; index < 7; index += 1) await sell(card.cardNumber, 100 + index);
    const { store } = server.services;
    const accountIds = [card.accountId, savingsAccountId];

    // Read with a tiny page so that several pages are needed; the result must equal one big read.
    const collected: BalanceEvent[] = [];
    let cursor: { seq: number; accountId: number } | null = { seq: 0, accountId: -1 };
    let pages = 0;
    while (cursor) {
      const from: { seq: number; accountId: number } = cursor;
      const page = store.read((tx) => balanceEventsAfter(tx, accountIds, from, 2));
      collected.push(...page.events);
      pages += 1;
      cursor = page.nextSeq === null ? null : { seq: page.nextSeq, accountId: -1 };
    }
    expect(pages).toBeGreaterThan(3);
    const whole = store.read((tx) => balanceEventsAfter(tx, accountIds, { seq: 0, accountId: -1 }, 1_000)).events;
    expect(collected).toEqual(whole);
    // The deposit, both sides of the own transfer, and 7 sales.
    expect(whole).toHaveLength(10);
    expect(whole.filter((event) => event.seq === own.seq).map((event) => [event.accountId, event.amountOre])).toEqual([
      [card.accountId, -500],
      [savingsAccountId, 500],
    ]);
    // Resuming between the two sides of one transfer delivers the second side only; "after the whole transfer" skips both.
    const middle = store.read((tx) => balanceEventsAfter(tx, accountIds, { seq: own.seq, accountId: card.accountId }, 1_000)).events;
    expect(middle[0]).toMatchObject({ seq: own.seq, accountId: savingsAccountId });
    expect(middle).toHaveLength(8);
    const afterWhole = store.read((tx) => balanceEventsAfter(tx, accountIds, { seq: own.seq, accountId: Number.POSITIVE_INFINITY }, 1_000)).events;
    expect(afterWhole).toHaveLength(7);
  });

  test("another user's accounts are never read", async () => {
    const mine = await userWithTwoAccounts();
    const other = await createCard(server.services.store, canteen, { balanceOre: 1_000 });
    await sell(other.cardNumber, 100);
    const events = server.services.store.read((tx) => balanceEventsAfter(tx, [mine.card.accountId, mine.savingsAccountId], { seq: 0, accountId: -1 }, 1_000)).events;
    expect(events.every((event) => event.accountId === mine.card.accountId || event.accountId === mine.savingsAccountId)).toBe(true);
  });
});

describe("over SSE", () => {
  test("a client away for more than a thousand movements is caught up on every one of them, in order", async () => {
    const { card, code, savingsAccountId } = await userWithTwoAccounts();
    const portal = new PortalClient(server.url);
    await portal.login(card.cardNumber, code);
    const first = subscribe(portal.cookie!, null);
    await until(first.ready, "the stream's position");
    await sell(card.cardNumber, 100);
    await until(() => first.events.length === 1, "the live event");
    const lastId = first.events[0]!.id;
    first.stop();
    await until(() => server.services.bus.listenerCount() === 0, "the listeners to be released");

    // 1,100 small movements back and forth between the user's two accounts, written in one go (2,200 events).
    const missedTransfers = 1_100;
    await server.services.store.write((tx) => {
      for (let index = 0; index < missedTransfers; index += 1) {
        const [debit, credit] = index % 2 === 0 ? [card.accountId, savingsAccountId] : [savingsAccountId, card.accountId];
        const result = postTransfer(tx, { id: `bulk-${card.accountId}-${index}`, debitAccountId: debit, creditAccountId: credit, amountOre: 1, kind: "transfer" });
        if (result.status !== "posted") throw new Error("bulk transfer failed");
      }
    });
    const resumed = subscribe(portal.cookie!, lastId);
    try {
      await until(() => resumed.events.length >= missedTransfers * 2, "every missed event", 15_000);
      // A live sale after the backfill marks the end: had anything been doubled, it would come before this one.
      await sell(card.cardNumber, 100);
      await until(() => resumed.events.at(-1)?.data.kind === "sale", "the live sale after the backfill");
      expect(resumed.events).toHaveLength(missedTransfers * 2 + 1);
      const missed = resumed.events.slice(0, -1);
      const seqs = missed.map((event) => event.data.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(resumed.events.map((event) => event.id)).size).toBe(missedTransfers * 2 + 1);
      // Within one transfer the two sides come in account order; the card's own last event carries its final balance.
      expect(missed.filter((event) => event.data.accountId === card.accountId).at(-1)!.data).toMatchObject({ balanceOre: 9_900 });
    } finally {
      resumed.stop();
    }
    await until(() => server.services.bus.listenerCount() === 0, "the listeners to be released");
  });

  test("both sides of a live transfer between own accounts arrive, with distinct ids", async () => {
    const { card, code, savingsAccountId } = await userWithTwoAccounts();
    const portal = new PortalClient(server.url);
    await portal.login(card.cardNumber, code);
    const stream = subscribe(portal.cookie!, null);
    await until(stream.ready, "the stream's position");
    await moveBetween(card.accountId, savingsAccountId, 2_500);
    await until(() => stream.events.length === 2, "both sides");
    expect(stream.events.map((event) => [event.data.accountId, event.data.amountOre, event.data.balanceOre])).toEqual([
      [card.accountId, -2_500, 7_500],
      [savingsAccountId, 2_500, 2_500],
    ]);
    expect(new Set(stream.events.map((event) => event.id)).size).toBe(2);
    stream.stop();
    await until(() => server.services.bus.listenerCount() === 0, "the listeners to be released");
  });

  test("many tabs opening and closing leave no listener behind", async () => {
    const { card, code } = await userWithTwoAccounts();
    // Ten tabs in two browsers (a session holds at most MAX_STREAMS_PER_SESSION streams).
    const browsers = [new PortalClient(server.url), new PortalClient(server.url)];
    for (const browser of browsers) await browser.login(card.cardNumber, code);
    const streams = browsers.flatMap((browser) => Array.from({ length: MAX_STREAMS_PER_SESSION }, () => subscribe(browser.cookie!, null)));
    await until(() => streams.every((stream) => stream.ready()), "every stream's position");
    expect(server.services.bus.listenerCount()).toBeGreaterThanOrEqual(20);
    await sell(card.cardNumber, 100);
    await until(() => streams.every((stream) => stream.events.length === 1), "every tab to hear the sale");
    for (const stream of streams) stream.stop();
    await until(() => server.services.bus.listenerCount() === 0, "every listener to be released");
  });
});
