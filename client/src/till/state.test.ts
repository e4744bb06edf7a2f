// The till's offline queue (state.ts) on fakes of the browser: sales queued under their sale id while the server cannot
// be reached, sent once and in order when it answers again, refused over the offline limit, never sent as another till.
import { afterEach, describe, expect, test, vi } from "vitest";
import { createTill, type Till } from "./state.ts";
import { fakeServer, memoryQueue, memoryStorage } from "./testing.ts";

const items = (priceOre: number, quantity = 1) => [{ name: "Dagens ret", quantity, unitPriceOre: priceOre }];
let sequence = 0;
const sale = (amountOre: number, cardNumber = "12345678901234") => ({ saleId: `test-sale-${++sequence}`, cardNumber, amountOre, items: items(amountOre) });

const tills: Till[] = [];
afterEach(() => {
  for (const till of tills.splice(0)) till.stop();
});

/** A till paired and online, its configuration loaded from the server (as after the first heartbeat). */
async function pairedTill(server = fakeServer(), queue = memoryQueue(), storage = memoryStorage()) {
  const events = new EventTarget();
  const till = createTill("test-key", () => {}, { client: server.client, queue, storage, online: true, events });
  tills.push(till);
  await vi.waitFor(() => expect(till.config()).not.toBeNull());
  return { till, server, queue, storage, events };
}

describe("the till's offline queue", () => {
  test("online, a sale is answered by the server and nothing is queued", async () => {
    const { till, server, queue } = await pairedTill();
    const made = sale(3_500);
    expect(await till.sell(made)).toMatchObject({ kind: "approved", saleId: made.saleId, amountOre: 3_500 });
    expect(server.charged.get(made.saleId)).toBe(1);
    expect(queue.rows.size).toBe(0);
  });

  test("offline, a sale within the limit waits under its own sale id and is sent once when the server answers", async () => {
    const { till, server, queue } = await pairedTill();
    server.reachable = false;
    const made = sale(4_000);
    expect(await till.sell(made)).toEqual({ kind: "pending", saleId: made.saleId, amountOre: 4_000 });
    expect(till.online()).toBe(false);
    expect(till.pending().map((queued) => queued.saleId)).toEqual([made.saleId]);
    expect(server.received).toEqual([]);

    server.reachable = true;
    // The heartbeat, a manual flush and a second heartbeat at once: one replay between them.
    await Promise.all([till.heartbeat(), till.flush(), till.flush()]);
    await till.flush();
    expect(server.received).toEqual([made.saleId]);
    expect(server.charged.get(made.saleId)).toBe(1);
    expect(queue.rows.size).toBe(0);
    expect(till.pending()).toEqual([]);
    expect(till.online()).toBe(true);
  });

  test("a sale the server booked before its answer was lost is queued under the same id, and the replay charges nothing more", async () => {
    const { till, server } = await pairedTill();
    server.loseNextAnswer = true;
    const made = sale(2_500);
    expect(await till.sell(made)).toMatchObject({ kind: "pending", saleId: made.saleId });
    expect(server.charged.get(made.saleId)).toBe(1);

    await till.flush();
    expect(server.received).toEqual([made.saleId, made.saleId]);
    expect(server.charged.get(made.saleId)).toBe(1);
    expect(till.queue()).toEqual([]);
  });

  test("over the offline limit a sale is refused, not queued, and never reaches the server", async () => {
    const { till, server, queue } = await pairedTill(fakeServer({ offlineMaxSaleOre: 5_000 }));
    server.reachable = false;
    const tooLarge = sale(5_001);
    expect(await till.sell(tooLarge)).toEqual({ kind: "failed", saleId: tooLarge.saleId, amountOre: 5_001, cause: "over_offline_limit" });
    const atTheLimit = sale(5_000);
    expect(await till.sell(atTheLimit)).toMatchObject({ kind: "pending" });
    expect([...queue.rows.values()].map((queued) => queued.saleId)).toEqual([atTheLimit.saleId]);

    server.reachable = true;
    await till.flush();
    expect(server.received).toEqual([atTheLimit.saleId]);
    expect(server.charged.has(tooLarge.saleId)).toBe(false);
  });

  test("with an offline limit of 0 nothing is queued", async () => {
    const { till, server, queue } = await pairedTill(fakeServer({ offlineMaxSaleOre: 0 }));
    server.reachable = false;
    expect(await till.sell(sale(100))).toMatchObject({ kind: "failed", cause: "offline_disabled" });
    expect(queue.rows.size).toBe(0);
  });

  test("queued sales are sent in the order they were made; a new sale waits behind them", async () => {
    const { till, server } = await pairedTill();
    server.reachable = false;
    const first = sale(1_000);
    const second = sale(2_000);
    await till.sell(first);
    await till.sell(second);
    server.reachable = true;
    // Still offline as far as the till knows: the third is queued behind the two, then the heartbeat sends all three.
    const third = sale(3_000);
    expect(await till.sell(third)).toMatchObject({ kind: "pending" });
    await till.heartbeat();
    expect(server.received).toEqual([first.saleId, second.saleId, third.saleId]);
    expect([...server.charged.values()]).toEqual([1, 1, 1]);
  });

  test("a sale id is queued once: the same sale twice is one queued sale", async () => {
    const { till, server, queue } = await pairedTill();
    server.reachable = false;
    const made = sale(1_500);
    await till.sell(made);
    await expect(till.sell(made)).rejects.toThrow(/queued already/);
    expect(queue.rows.size).toBe(1);
    server.reachable = true;
    await till.flush();
    expect(server.received).toEqual([made.saleId]);
  });

  test("a queued sale the server declines stays for follow-up until staff acknowledge it", async () => {
    const { till, server } = await pairedTill(fakeServer({ blockedCards: ["99999999"] }));
    server.reachable = false;
    const made = sale(1_000, "99999999");
    await till.sell(made);
    server.reachable = true;
    await till.flush();
    expect(till.queue()).toMatchObject([{ saleId: made.saleId, state: "declined", reason: "card_blocked" }]);
    await till.flush();
    expect(server.received).toEqual([made.saleId]);
    await till.acknowledge(till.queue()[0]!);
    expect(till.queue()).toEqual([]);
  });

  test("a sale queued as another terminal is never sent under a new key", async () => {
    const queue = memoryQueue();
    const storage = memoryStorage();
    const old = await pairedTill(fakeServer({ terminalId: 1 }), queue, storage);
    old.server.reachable = false;
    const made = sale(1_000);
    await old.till.sell(made);
    old.till.stop();

    const paired = await pairedTill(fakeServer({ terminalId: 2 }), queue, memoryStorage());
    await paired.till.flush();
    expect(paired.server.received).toEqual([]);
    expect(paired.till.queue()).toMatchObject([{ saleId: made.saleId, state: "declined", reason: "other_terminal" }]);
  });

  test("after a reload without a network the cached configuration still queues within the limit", async () => {
    const storage = memoryStorage();
    const queue = memoryQueue();
    const first = await pairedTill(fakeServer({ offlineMaxSaleOre: 3_000 }), queue, storage);
    first.till.stop();

    const server = fakeServer({ offlineMaxSaleOre: 3_000 });
    server.reachable = false;
    const reloaded = createTill("test-key", () => {}, { client: server.client, queue, storage, online: false, events: new EventTarget() });
    tills.push(reloaded);
    expect(reloaded.config()?.offlineMaxSaleOre).toBe(3_000);
    expect(await reloaded.sell(sale(3_000))).toMatchObject({ kind: "pending" });
    expect(await reloaded.sell(sale(3_001))).toMatchObject({ kind: "failed", cause: "over_offline_limit" });
  });

  test("a sale given up after a lost answer is checked later: charged ones stay for follow-up, the rest are dropped", async () => {
    const { till, server } = await pairedTill(fakeServer({ offlineMaxSaleOre: 1_000 }));
    server.loseNextAnswer = true;
    const booked = sale(9_000);
    expect(await till.sell(booked)).toMatchObject({ kind: "failed", cause: "over_offline_limit" });
    await till.giveUp(booked);
    server.reachable = false;
    const neverArrived = sale(8_000);
    expect(await till.sell(neverArrived)).toMatchObject({ kind: "failed", cause: "over_offline_limit" });
    await till.giveUp(neverArrived);

    server.reachable = true;
    await till.flush();
    expect(till.queue()).toMatchObject([{ saleId: booked.saleId, state: "charged" }]);
    expect(server.charged.get(booked.saleId)).toBe(1);
    expect(server.charged.has(neverArrived.saleId)).toBe(false);
  });

  test("the browser's offline event marks the till offline", async () => {
    const { till, events } = await pairedTill();
    events.dispatchEvent(new Event("offline"));
    expect(till.online()).toBe(false);
  });
});
