// accounts.onBalance over real SSE: live events after a sale, and resume from the last event id with nothing lost or doubled.
import { afterAll, beforeAll, expect, test } from "vitest";
import type { BalanceEvent } from "../events/bus.ts";
import { collectPortalEvents, until } from "../testing/sse-client.ts";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";

let server: TestServer;
let canteen: Fixture;
beforeAll(async () => {
  server = await startTestServer();
  canteen = await createCanteen(server.services.store);
});
afterAll(async () => {
  await server.close();
});

async function sell(cardNumber: string, amountOre: number, saleId: string) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

/** A subscriber like a browser tab: its own EventSource with the session cookie, collecting tracked events. */
function subscribe(cookie: string, lastEventId: string | null) {
  const stream = collectPortalEvents(server.url, cookie, lastEventId);
  return { ...stream, events: stream.events as unknown as Array<{ id: string; data: BalanceEvent }> };
}

test("a sale shows up live; after a disconnect, resuming from the last id delivers exactly the missed sales, in order", async () => {
  const code = "192837";
  const card = await createCard(server.services.store, canteen, { code, balanceOre: 10_000 });
  const portal = new PortalClient(server.url);
  await portal.login(card.cardNumber, code);
  const cookie = portal.cookie!;

  const first = subscribe(cookie, null);
  await until(first.isStarted, "the stream to start");
  // "Started" can arrive just before the server attaches its listener; leave it a moment.
  await Bun.sleep(250);
  await sell(card.cardNumber, 1_000, "live-sale-00001");
  await until(() => first.events.length === 1, "the live event");
  expect(first.events[0]!.data).toMatchObject({ accountId: card.accountId, amountOre: -1_000, balanceOre: 9_000, kind: "sale" });
  const lastId = first.events[0]!.id;
  first.stop();
  await until(() => server.services.bus.listenerCount() === 0, "the listener to be released");

  for (const [index, amount] of [100, 200, 300].entries()) await sell(card.cardNumber, amount, `missed-sale-0000${index}`);

  const resumed = subscribe(cookie, lastId);
  await until(() => resumed.events.length >= 3, "the missed events");
  await sell(card.cardNumber, 400, "after-resume-0001");
  await until(() => resumed.events.length >= 4, "the next live event");
  await Bun.sleep(100);
  expect(resumed.events.map((event) => [event.data.amountOre, event.data.balanceOre])).toEqual([
    [-100, 8_900],
    [-200, 8_700],
    [-300, 8_400],
    [-400, 8_000],
  ]);
  expect(new Set(resumed.events.map((event) => event.id)).size).toBe(4);
  resumed.stop();
  await until(() => server.services.bus.listenerCount() === 0, "the listener to be released");
});

test("a subscription without a session is refused, and another user's sales never reach it", async () => {
  const anonymous = subscribe("kk_session=none", null);
  await Bun.sleep(300);
  expect(anonymous.events).toEqual([]);
  anonymous.stop();
  const code = "564738";
  const mine = await createCard(server.services.store, canteen, { code, balanceOre: 1_000 });
  const other = await createCard(server.services.store, canteen, { balanceOre: 1_000 });
  const portal = new PortalClient(server.url);
  await portal.login(mine.cardNumber, code);
  const stream = subscribe(portal.cookie!, null);
  await until(stream.isStarted, "the stream to start");
  // "Started" can arrive just before the server attaches its listener; leave it a moment.
  await Bun.sleep(250);
  await sell(other.cardNumber, 100, "other-user-sale-1");
  await sell(mine.cardNumber, 100, "my-own-sale-00001");
  await until(() => stream.events.length === 1, "my event");
  await Bun.sleep(100);
  expect(stream.events.map((event) => event.data.accountId)).toEqual([mine.accountId]);
  stream.stop();
});
