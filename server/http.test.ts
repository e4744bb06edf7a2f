// The wire contract over real HTTP: concurrency, retries, CSRF guard, body limit, headers, and a second writing process.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openStore, type Store } from "../db/connect.ts";
import { checkLedger } from "./ledger/check.ts";
import { createCanteen, createCard, startTestServer, tableCounts, type Fixture, type TestServer } from "./testing/harness.ts";
import { hashApiKey } from "./auth/terminal.ts";
import { MAX_BATCH_SIZE } from "../common/limits.ts";
import { createHttpHandler, csrfRejection } from "./http.ts";

let server: TestServer;
let store: Store;
let canteen: Fixture;

beforeAll(async () => {
  server = await startTestServer();
  store = server.services.store;
  canteen = await createCanteen(store);
});
afterAll(async () => {
  await server.close();
});

function postSale(body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}`, ...headers },
    body: JSON.stringify(body),
  });
}

const balanceOf = (accountId: number) =>
  store.read((tx) => (tx.sqlite.query("SELECT balance_ore FROM ledger_accounts WHERE id = ?").get(accountId) as { balance_ore: number }).balance_ore);

describe("pos.sale over HTTP", () => {
  test("50 parallel sales against a card that affords 7: exactly 7 approved, never below zero", async () => {
    const card = await createCard(store, canteen, { balanceOre: 7 * 3_500 + 3_499 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) => postSale({ saleId: `parallel-${index}-${crypto.randomUUID()}`, cardNumber: card.cardNumber, amountOre: 3_500 })),
    );
    const bodies = await Promise.all(responses.map((response) => response.json() as Promise<any>));
    expect(responses.every((response) => response.status === 200)).toBe(true);
    const statuses = bodies.map((body) => body.result.data.status);
    expect(statuses.filter((status) => status === "approved")).toHaveLength(7);
    expect(bodies.filter((body) => body.result.data.reason === "insufficient_funds")).toHaveLength(43);
    expect(balanceOf(card.accountId)).toBe(3_499);
    expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  });

  test("the same sale id sent 20 times at once is charged once", async () => {
    const card = await createCard(store, canteen, { balanceOre: 10_000 });
    const saleId = `retry-${crypto.randomUUID()}`;
    const bodies = await Promise.all(
      Array.from({ length: 20 }, () => postSale({ saleId, cardNumber: card.cardNumber, amountOre: 1_000 }).then((response) => response.json() as Promise<any>)),
    );
    expect(bodies.every((body) => body.result.data.status === "approved" && body.result.data.balanceOre === 9_000)).toBe(true);
    expect(bodies.filter((body) => body.result.data.replayed === false)).toHaveLength(1);
    expect(balanceOf(card.accountId)).toBe(9_000);
  });

  test("answers plain JSON with the documented shape and security headers", async () => {
    const card = await createCard(store, canteen, { balanceOre: 5_000 });
    const response = await postSale({ saleId: "wire-contract-1", cardNumber: card.cardNumber, amountOre: 1_250 });
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(await response.json()).toEqual({ result: { data: { saleId: "wire-contract-1", status: "approved", amountOre: 1_250, balanceOre: 3_750, replayed: false } } });
  });

  test("errors are readable, carry the right HTTP status and never a stack trace", async () => {
    const bad = await postSale({ saleId: "wire-contract-2", cardNumber: "12", amountOre: 1.5 });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).not.toMatch(/stack|\.ts:\d+|at \w+ \(/);
    const body = JSON.parse(text);
    expect(body.error.message).toMatch(/^Invalid input: cardNumber: .*; amountOre: /);
    expect(body.error.data.issues.map((issue: { path: string }) => issue.path)).toEqual(["cardNumber", "amountOre"]);
    const unauthorized = await postSale({ saleId: "wire-contract-3", cardNumber: "12345678", amountOre: 1 }, { authorization: "Bearer nope" });
    expect(unauthorized.status).toBe(401);
    const notJson = await fetch(`${server.url}/trpc/pos.sale`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
      body: "{not json",
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).not.toMatch(/stack/);
  });

  test("cross-site form posts, text bodies and foreign origins are refused and write nothing", async () => {
    const card = await createCard(store, canteen, { balanceOre: 5_000 });
    const before = tableCounts(store);
    const form = new URLSearchParams({ saleId: "csrf-00001", cardNumber: card.cardNumber, amountOre: "100" });
    const formPost = await fetch(`${server.url}/trpc/pos.sale`, { method: "POST", body: form, headers: { authorization: `Bearer ${canteen.terminalKey}` } });
    expect(formPost.status).toBe(415);
    const multipart = new FormData();
    multipart.set("saleId", "csrf-00002");
    expect((await fetch(`${server.url}/trpc/pos.sale`, { method: "POST", body: multipart })).status).toBe(415);
    const textPost = await fetch(`${server.url}/trpc/pos.sale`, { method: "POST", body: "{}", headers: { "content-type": "text/plain" } });
    expect(textPost.status).toBe(415);
    const foreign = await postSale({ saleId: "csrf-00003", cardNumber: card.cardNumber, amountOre: 100 }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(tableCounts(store)).toEqual(before);
    const sameOrigin = await postSale({ saleId: "csrf-00004", cardNumber: card.cardNumber, amountOre: 100 }, { origin: server.url });
    expect(sameOrigin.status).toBe(200);
  });

  test("oversized bodies are refused before they reach a procedure", async () => {
    const before = tableCounts(store);
    const response = await postSale({ saleId: "big-000001", cardNumber: "12345678", amountOre: 1, padding: "x".repeat(2_000_000) });
    expect(response.status).toBe(413);
    expect(tableCounts(store)).toEqual(before);
  });

  test("the balance lookup works as a GET for the till's display", async () => {
    const card = await createCard(store, canteen, { balanceOre: 4_200 });
    const input = encodeURIComponent(JSON.stringify({ cardNumber: card.cardNumber }));
    const response = await fetch(`${server.url}/trpc/pos.balance?input=${input}`, { headers: { authorization: `Bearer ${canteen.terminalKey}` } });
    expect(await response.json()).toEqual({ result: { data: { cardNumber: card.cardNumber, status: "active", balanceOre: 4_200 } } });
  });
});

describe("the HTTP edge", () => {
  test("an unexpected failure outside tRPC is a plain 500 that still carries the security headers", async () => {
    const original = store.read;
    store.read = () => {
      throw new Error("simulated read failure");
    };
    try {
      const response = await fetch(`${server.url}/dev/outbox`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe("Internal server error");
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
    } finally {
      store.read = original;
    }
  });

  test(`a tRPC batch of more than ${MAX_BATCH_SIZE} calls is refused with a 400 and runs none of them`, async () => {
    const card = await createCard(store, canteen, { balanceOre: 100_000 });
    const before = tableCounts(store);
    const batch = (size: number, prefix: string) => {
      const inputs = Object.fromEntries(Array.from({ length: size }, (_, index) => [index, { saleId: `${prefix}-${index}-${crypto.randomUUID()}`, cardNumber: card.cardNumber, amountOre: 1 }]));
      return fetch(`${server.url}/trpc/${Array(size).fill("pos.sale").join(",")}?batch=1`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
        body: JSON.stringify(inputs),
      });
    };
    const tooBig = await batch(MAX_BATCH_SIZE + 1, "batch-big");
    expect(tooBig.status).toBe(400);
    expect(await tooBig.text()).toContain("Batch call exceeds maximum size");
    expect(tableCounts(store)).toEqual(before);
    const allowed = await batch(MAX_BATCH_SIZE, "batch-ok");
    expect(allowed.status).toBe(200);
    expect(((await allowed.json()) as unknown[]).length).toBe(MAX_BATCH_SIZE);
  });
});

describe("graceful stop", () => {
  test("sales in flight when the server stops are answered, and open event streams end", async () => {
    const stopping = await startTestServer();
    const fixture = await createCanteen(stopping.services.store);
    const card = await createCard(stopping.services.store, fixture, { balanceOre: 10_000 });
    const screenToken = `stop-test-screen-${crypto.randomUUID()}`;
    await stopping.services.store.write((tx) =>
      tx.sqlite.query("INSERT INTO kitchen_screens (canteen_id, name, token_hash, created_at) VALUES (?, 'Skærm', ?, 0)").run(fixture.canteenId, hashApiKey(screenToken)),
    );
    const stream = await fetch(`${stopping.url}/trpc/kitchen.onQueue`, { headers: { accept: "text/event-stream", cookie: `kk_kitchen=${screenToken}` } });
    expect(stream.status).toBe(200);
    const streamEnded = stream.text();

    // Hold every write at the door until the stop has begun, so that the sales are surely in flight by then.
    const storeUnderTest = stopping.services.store;
    const submit = storeUnderTest.write.bind(storeUnderTest);
    let arrived = 0;
    let openDoor!: () => void;
    const door = new Promise<void>((resolve) => {
      openDoor = resolve;
    });
    storeUnderTest.write = async (fn) => {
      arrived += 1;
      await door;
      return submit(fn);
    };
    const sales = Array.from({ length: 5 }, (_, index) =>
      fetch(`${stopping.url}/trpc/pos.sale`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fixture.terminalKey}` },
        body: JSON.stringify({ saleId: `stopping-${index}-${crypto.randomUUID()}`, cardNumber: card.cardNumber, amountOre: 100 }),
      }).then(async (response) => ({ status: response.status, body: (await response.json()) as any })),
    );
    while (arrived < sales.length) await new Promise((resolve) => setTimeout(resolve, 5));
    const closed = stopping.close();
    openDoor();
    const answers = await Promise.all(sales);
    expect(answers.map((answer) => [answer.status, answer.body.result?.data?.status])).toEqual(Array(5).fill([200, "approved"]));
    await closed;
    await streamEnded;
  });
});

describe("two processes writing at once", () => {
  test("a second process's writes and the server's sales all succeed, with no SQLITE_BUSY for anyone", async () => {
    const cards = await Promise.all(Array.from({ length: 4 }, () => createCard(store, canteen, { balanceOre: 100_000 })));
    const child = Bun.spawn(
      [process.execPath, "server/testing/writer-process.ts", server.databasePath, cards.map((card) => card.accountId).join(","), String(canteen.clearingAccountId), "400"],
      { stdout: "pipe", stderr: "pipe" },
    );
    const sales: Response[] = [];
    for (let round = 0; round < 20; round += 1) {
      const batch = await Promise.all(
        cards.map((card, index) => postSale({ saleId: `two-process-${round}-${index}`, cardNumber: card.cardNumber, amountOre: 50 })),
      );
      sales.push(...batch);
    }
    const exitCode = await child.exited;
    const output = await new Response(child.stdout).text();
    const errors = await new Response(child.stderr).text();
    expect(errors).toBe("");
    expect(exitCode).toBe(0);
    expect(JSON.parse(output)).toEqual({ written: 400, failures: 0 });
    const bodies = await Promise.all(sales.map((response) => response.json() as Promise<any>));
    expect(bodies.every((body) => body.result?.data?.status === "approved")).toBe(true);
    // Each card: 100 000 funded + 100 × 100 from the other process − 20 × 50 in sales.
    for (const card of cards) expect(balanceOf(card.accountId)).toBe(100_000 + 100 * 100 - 20 * 50);
    const separate = openStore({ path: server.databasePath });
    expect(separate.read((tx) => checkLedger(tx)).violations).toEqual([]);
    await separate.close();
  });
});

test("behind a proxy that rewrites Host, the PUBLIC_URL origin is the portal's own; other origins stay refused", () => {
  const post = (origin: string, host: string) =>
    new Request(`http://${host}/trpc/profile.update`, { method: "POST", headers: { origin, host, "content-type": "application/json" } });
  const publicUrl = "https://kantine.example.dk";
  expect(csrfRejection(post("https://kantine.example.dk", "127.0.0.1:3000"), publicUrl)).toBeNull();
  expect(csrfRejection(post("https://kantine.example.dk", "127.0.0.1:3000"), null)?.status).toBe(403);
  expect(csrfRejection(post("https://evil.example", "127.0.0.1:3000"), publicUrl)?.status).toBe(403);
  expect(csrfRejection(post("http://127.0.0.1:3000", "127.0.0.1:3000"), publicUrl)).toBeNull();
  expect(csrfRejection(post("null", "127.0.0.1:3000"), publicUrl)?.status).toBe(403);
});

test("an event stream the server ends leaves no listener on the shutdown signal", async () => {
  const shutdown = new AbortController();
  let registered = 0;
  const signal = shutdown.signal;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<AbortSignal["addEventListener"]>) => {
    registered += 1;
    add(...args);
  }) as AbortSignal["addEventListener"];
  signal.removeEventListener = ((...args: Parameters<AbortSignal["removeEventListener"]>) => {
    registered -= 1;
    remove(...args);
  }) as AbortSignal["removeEventListener"];
  const handle = createHttpHandler({ services: server.services, clientDist: "./client/dist", shutdownSignal: signal });
  // Without a session the server ends the stream itself, at once, with an error event; the client never aborts.
  const response = await handle(new Request(`${server.url}/trpc/accounts.onBalance`, { headers: { accept: "text/event-stream" } }));
  expect(registered).toBe(1);
  const text = await response.text();
  expect(text).toContain("UNAUTHORIZED");
  expect(registered).toBe(0);
});
