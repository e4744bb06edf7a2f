// More sales at once than the writer's queue holds (WRITER_MAX_QUEUED): the ones beyond it answer 503 "server_busy"
// with Retry-After at once and write nothing; the tills send the same sale ids again and each is charged exactly once.
import { afterAll, beforeAll, expect, test } from "vitest";
import { checkLedger } from "../ledger/check.ts";
import { db } from "../../db/query.ts";
import { createCanteen, createCard, startTestServer, type Fixture, type TestCard, type TestServer } from "../testing/harness.ts";

let server: TestServer;
let canteen: Fixture;
let card: TestCard;

beforeAll(async () => {
  // One write per transaction and room for four waiting: a burst of parallel sales overflows it.
  server = await startTestServer({ writeBatchMax: 1, writerMaxQueued: 4 });
  // The server's own writes at start (the retention purge) first, then the fixtures one at a time.
  await server.services.store.writer.drain();
  canteen = await createCanteen(server.services.store);
  card = await createCard(server.services.store, canteen, { balanceOre: 1_000_000 });
});
afterAll(async () => {
  await server?.close();
});

function sell(saleId: string) {
  return fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${canteen.terminalKey}` },
    body: JSON.stringify({ saleId, cardNumber: card.cardNumber, amountOre: 100 }),
  });
}

const balance = () => server.services.store.read((tx) => tx.first(db.selectFrom("ledger_accounts").select("balance_ore").where("id", "=", card.accountId))!.balance_ore);

test("a burst beyond the queue is refused with 503 server_busy and Retry-After; the same sale ids sent again are each charged once", async () => {
  const metrics = async () => Number(/^kantinekort_writer_busy_total (\S+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0);
  const busyBefore = await metrics();
  const before = balance();
  const ids = Array.from({ length: 60 }, (_, index) => `burst-sale-${String(index).padStart(3, "0")}`);
  let pending = ids;
  let refusals = 0;
  for (let round = 0; round < 50 && pending.length > 0; round += 1) {
    const answers = await Promise.all(pending.map(async (saleId) => ({ saleId, response: await sell(saleId) })));
    const refused: string[] = [];
    for (const { saleId, response } of answers) {
      const body = await response.json();
      if (response.status === 503) {
        expect(response.headers.get("retry-after")).toBe("1");
        expect(body.error.data).toMatchObject({ code: "SERVICE_UNAVAILABLE", reason: "server_busy", messages: { da: expect.stringContaining("travlt"), en: expect.stringContaining("busy") } });
        expect(JSON.stringify(body)).not.toMatch(/at \w+ \(|writer\.ts/);
        refused.push(saleId);
      } else {
        expect(response.status, JSON.stringify(body)).toBe(200);
        expect(body.result.data).toMatchObject({ status: "approved", amountOre: 100 });
      }
    }
    refusals += refused.length;
    pending = refused;
  }
  expect(pending).toEqual([]);
  // The burst did overflow the queue (else this test shows nothing), and the metric counted each refusal.
  expect(refusals).toBeGreaterThan(0);
  expect((await metrics()) - busyBefore).toBe(refusals);
  // Each of the 60 sale ids charged once: 60 sales, 60 × 1 kr.
  const sales = server.services.store.read((tx) => tx.first(db.selectFrom("sales").select((eb) => eb.fn.countAll<number>().as("n")).where("id", "like", "burst-sale-%"))!.n);
  expect(sales).toBe(60);
  expect(before - balance()).toBe(6_000);
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
});
