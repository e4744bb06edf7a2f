// Streams are bounded, over real HTTP: a cap per session and per kitchen screen with a clear error beyond it, and a
// reader that stops reading is cut (and resumes from its last id) instead of having events buffered without end.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { connect, type Socket } from "node:net";
import { createCanteen, createCard, PortalClient, startTestServer, type Fixture, type TestServer } from "../testing/harness.ts";
import { openPortalStream } from "../testing/portal-stream.ts";
import { sseClient, until } from "../testing/sse-client.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { MAX_PENDING_EVENTS, MAX_STREAMS_PER_SCREEN, MAX_STREAMS_PER_SESSION, streamSlots } from "./stream-limits.ts";
import { sessionIdOf } from "../auth/session.ts";

let server: TestServer;
let canteen: Fixture;

beforeAll(async () => {
  server = await startTestServer();
  canteen = await createCanteen(server.services.store);
});
afterAll(async () => {
  await server.close();
});

async function signedIn(balanceOre = 0) {
  const code = String(100000 + Math.floor(Math.random() * 900000));
  const card = await createCard(server.services.store, canteen, { code, balanceOre, name: "Strøm", email: `${crypto.randomUUID()}@example.dk` });
  const client = new PortalClient(server.url);
  expect((await client.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
  return { card, client, code };
}

async function sell(cardNumber: string, amountOre: number) {
  const response = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId: `stream-${crypto.randomUUID()}`, cardNumber, amountOre }),
  });
  return (await response.json()).result.data;
}

describe("a cap on open streams", () => {
  test(`one session opens at most ${MAX_STREAMS_PER_SESSION} balance streams; the next gets TOO_MANY_REQUESTS; another session and a freed slot are not affected`, async () => {
    const { card, client, code } = await signedIn();
    const streams = Array.from({ length: MAX_STREAMS_PER_SESSION }, () => openPortalStream(server.url, client.cookie!, null));
    try {
      await until(() => streams.every((stream) => stream.ready()), "five streams open");
      const sixth = openPortalStream(server.url, client.cookie!, null);
      await until(() => sixth.error() !== null, "the sixth stream refused");
      expect(sixth.error()).toEqual({ code: "TOO_MANY_REQUESTS" });
      expect(sixth.ready()).toBe(false);
      sixth.stop();
      // The user's other device (another session) has its own slots.
      const other = new PortalClient(server.url);
      expect((await other.login(card.cardNumber, code)).data).toMatchObject({ ok: true });
      const elsewhere = openPortalStream(server.url, other.cookie!, null);
      await until(() => elsewhere.ready(), "a stream of another session");
      elsewhere.stop();
      // Closing one tab frees its slot.
      streams.pop()!.stop();
      const session = sessionIdOf(client.cookie!.split("=")[1]!);
      await until(() => streamSlots(server.services).sessions.count(session) === MAX_STREAMS_PER_SESSION - 1, "the closed stream's slot given back");
      const again = openPortalStream(server.url, client.cookie!, null);
      await until(() => again.ready(), "a stream in the freed slot");
      streams.push(again);
    } finally {
      for (const stream of streams) stream.stop();
    }
  });

  test(`one kitchen screen opens at most ${MAX_STREAMS_PER_SCREEN} queue streams; the next gets TOO_MANY_REQUESTS`, async () => {
    const token = `test-kitchen-screen-${crypto.randomUUID()}`;
    await server.services.store.write((tx) =>
      tx.sqlite.query("INSERT INTO kitchen_screens (canteen_id, name, token_hash, created_at) VALUES (?, 'Skærm', ?, ?)").run(canteen.canteenId, hashApiKey(token), Date.now()),
    );
    const cookie = `kk_kitchen=${encodeURIComponent(token)}`;
    const open = () => {
      const state = { started: false, error: null as string | null };
      const subscription = sseClient(server.url, cookie).kitchen.onQueue.subscribe(undefined, {
        onStarted: () => {
          state.started = true;
        },
        onError: (caught) => {
          state.error = (caught as { data?: { code?: string } }).data?.code ?? "unknown";
        },
      });
      return { state, stop: () => subscription.unsubscribe() };
    };
    const screens = Array.from({ length: MAX_STREAMS_PER_SCREEN }, open);
    try {
      const screenSlots = () => streamSlots(server.services).screens.count(String(server.services.store.read((tx) => (tx.sqlite.query("SELECT id FROM kitchen_screens WHERE token_hash = ?").get(hashApiKey(token)) as { id: number }).id)));
      await until(() => screenSlots() === MAX_STREAMS_PER_SCREEN, "five kitchen streams open");
      const sixth = open();
      await until(() => sixth.state.error !== null, "the sixth kitchen stream refused");
      expect(sixth.state.error).toBe("TOO_MANY_REQUESTS");
      sixth.stop();
      expect(screens.every((screen) => screen.state.error === null)).toBe(true);
    } finally {
      for (const screen of screens) screen.stop();
    }
  });
});

/** An SSE request on a raw socket that is paused: the server's writes fill the socket and then stop. */
function stalledStream(cookie: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const socket = connect(new URL(server.url).port as unknown as number, "127.0.0.1", () => {
      socket.write(`GET /trpc/accounts.onBalance HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nConnection: close\r\nCookie: ${cookie}\r\n\r\n`);
      // Wait for the first bytes (the stream is open), then stop reading.
      socket.once("data", (chunk: Buffer) => {
        chunks.push(chunk);
        socket.pause();
        socket.on("data", (more: Buffer) => chunks.push(more));
        resolve({ socket, received: () => Buffer.concat(chunks).toString("utf8"), closed: () => closed });
      });
    });
    socket.on("close", () => {
      closed = true;
    });
    socket.on("error", reject);
  });
}

describe("a reader that stops reading", () => {
  test(`is cut once ${MAX_PENDING_EVENTS} events wait for it, its listeners are gone, and it resumes from its last id without losing a sale`, async () => {
    const { card, client } = await signedIn(10_000);
    const listenersBefore = server.services.bus.listenerCount();
    const stalled = await stalledStream(client.cookie!);
    await until(() => server.services.bus.listenerCount() > listenersBefore, "the stalled stream listening");
    // Big events, so the socket's buffers fill after a few megabytes; then the stream's own queue fills.
    const description = "x".repeat(4_000);
    let published = 0;
    const publishSome = () => {
      for (let index = 0; index < 250; index += 1) {
        published += 1;
        server.services.bus.publish("balance", card.accountId, {
          seq: 1_000_000_000 + published,
          accountId: card.accountId,
          transferId: `synthetic-${published}`,
          kind: "sale",
          amountOre: -1,
          balanceOre: 0,
          description,
          createdAt: Date.now(),
        });
      }
    };
    for (let round = 0; round < 200 && server.services.bus.listenerCount() > listenersBefore; round += 1) {
      publishSome();
      await Bun.sleep(20);
    }
    // The stream was cut: its listeners are gone long before 50,000 events were sent, and its slot is free.
    await until(() => server.services.bus.listenerCount() === listenersBefore, "the stalled stream's listeners removed", 10_000);
    expect(published).toBeLessThan(50_000);
    const session = sessionIdOf(client.cookie!.split("=")[1]!);
    await until(() => streamSlots(server.services).sessions.count(session) === 0, "the stalled stream's slot given back");
    // Reading again, the client finds the connection closed after what was already in the socket.
    stalled.socket.resume();
    await until(() => stalled.closed(), "the connection closed", 10_000);
    const firstId = /\nid: ([^\n]+)\n/.exec(stalled.received())![1]!;
    // A sale while it was away is caught up when the tab reconnects from the last real id it got (the opening
    // position; the synthetic events after it name transfers that are not in the database).
    const sale = await sell(card.cardNumber, 100);
    expect(sale.status).toBe("approved");
    const resumed = openPortalStream<{ type: string; amountOre?: number; balanceOre?: number }>(server.url, client.cookie!, firstId);
    try {
      await until(() => resumed.events.some((event) => event.data.type === "balance"), "the missed sale caught up");
      expect(resumed.events.filter((event) => event.data.type === "balance").map((event) => event.data)).toEqual([
        expect.objectContaining({ type: "balance", amountOre: -100, balanceOre: 9_900 }),
      ]);
    } finally {
      resumed.stop();
    }
  }, 120_000);
});
