// The daily report reconciles with the ledger (issue 14, wrong figures): every line is the sum of the day's transfers of
// its kind, a rejected payout is no payout, and a manual correction has its own line. Over real HTTP on a real database.
import { afterAll, beforeAll, expect, test } from "vitest";
import { PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import { copenhagenDate, copenhagenMidnight } from "../../common/calendar.ts";

let server: TestServer;
let admin: PortalClient;
const DEMO_TILL = "demo-terminal-key-kantinen-0001";
const key = () => crypto.randomUUID();

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = new PortalClient(server.url);
  expect((await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
});
afterAll(async () => {
  expect(server.services.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await server.close();
});

function till(path: string, input: unknown) {
  return fetch(`${server.url}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_TILL}` }, body: JSON.stringify(input) });
}

type Line = { key: string; label: { da: string; en: string }; amountOre: number; count: number };

test("every line of the day's report is the sum of that day's ledger transfers of its kind; a rejected payout is not paid out, a correction has its own line", async () => {
  const day = copenhagenDate(Date.now());
  // A day's worth of movements: sales and a refund at the till, a paid and a rejected payout (20 kr. and 15 kr., as in
  // the issue), manual corrections both ways, and a guardian's transfer to a child's card.
  const saleId = `report-${key()}`;
  expect((await till("pos.sale", { saleId, cardNumber: "12345678901234", amountOre: 4_500 })).status).toBe(200);
  expect((await till("pos.sale", { saleId: `report-${key()}`, cardNumber: "12345678901237", amountOre: 1_200 })).status).toBe(200);
  expect((await till("pos.refund", { refundId: `report-${key()}`, saleId, amountOre: 500 })).status).toBe(200);

  const holder = new PortalClient(server.url);
  await holder.login("12345678901234", "482913");
  const accountId = ((await holder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
  const payout = async (amountOre: number) =>
    ((await holder.mutate("payouts.request", { accountId, name: "Testbruger A", registrationNumber: "1234", bankAccountNumber: "1234567890", amountOre, idempotencyKey: `report-${key()}` })).data as {
      payout: { payoutId: number };
    }).payout.payoutId;
  const paidId = await payout(2_000);
  const rejectedId = await payout(1_500);
  expect((await admin.mutate("backoffice.decidePayout", { payoutId: paidId, status: "paid" })).error).toBeUndefined();
  expect((await admin.mutate("backoffice.decidePayout", { payoutId: rejectedId, status: "rejected", reason: "Forkert konto" })).error).toBeUndefined();
  expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 700, direction: "credit", reason: "Fejl ved kassen", idempotencyKey: `report-${key()}` })).data).toEqual({ ok: true });
  expect((await admin.mutate("backoffice.correct", { accountId, amountOre: 300, direction: "debit", reason: "Dobbelt indbetalt", idempotencyKey: `report-${key()}` })).data).toEqual({ ok: true });

  const guardian = new PortalClient(server.url);
  await guardian.login("12345678901236", "615004");
  const [own, child] = (await guardian.query("accounts.list")).data as Array<{ accountId: number }>;
  expect((await guardian.mutate("transfers.create", { fromAccountId: own!.accountId, toAccountId: child!.accountId, amountOre: 900, idempotencyKey: `report-${key()}` })).data).toMatchObject({ ok: true });

  const report = (await admin.query("backoffice.report", { day })).data as { lines: Line[]; payoutsOre: number; depositsOre: number; refundsOre: number; payoutsPendingOre: number };
  const line = (name: string) => report.lines.find((candidate) => candidate.key === name)!;

  // The ledger's own view of the day, summed straight from the transfers table.
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  const from = copenhagenMidnight(year, month, date);
  const to = copenhagenMidnight(year, month, date + 1);
  const transfers = server.services.store.read(
    (tx) =>
      tx.sqlite
        .query(
          `SELECT t.kind, t.amount_ore, d.kind AS debit_kind, d.code AS debit_code, c.kind AS credit_kind, c.code AS credit_code
           FROM transfers t JOIN ledger_accounts d ON d.id = t.debit_account_id JOIN ledger_accounts c ON c.id = t.credit_account_id
           WHERE t.created_at >= ? AND t.created_at < ?`,
        )
        .all(from, to) as Array<{ kind: string; amount_ore: number; debit_kind: string; debit_code: string | null; credit_kind: string; credit_code: string | null }>,
  );
  const sum = (predicate: (transfer: (typeof transfers)[number]) => boolean) => {
    const matching = transfers.filter(predicate);
    return { amountOre: matching.reduce((total, transfer) => total + transfer.amount_ore, 0), count: matching.length };
  };
  const expected = {
    sales: sum((t) => t.kind === "sale" || t.kind === "order"),
    refunds: sum((t) => t.kind === "refund"),
    deposits: sum((t) => t.kind === "deposit" || t.kind === "auto_top_up"),
    payoutRequests: sum((t) => t.kind === "payout" && t.debit_kind === "cardholder"),
    payoutsPaid: sum((t) => t.kind === "payout" && t.credit_code === "bank_payouts"),
    payoutsReturned: sum((t) => t.kind === "correction" && t.debit_code === "payout_clearing"),
    correctionsCredit: sum((t) => t.kind === "correction" && t.debit_kind === "corrections"),
    correctionsDebit: sum((t) => t.kind === "correction" && t.credit_kind === "corrections"),
    transfers: sum((t) => t.kind === "transfer"),
  };
  for (const [name, total] of Object.entries(expected)) expect({ amountOre: line(name).amountOre, count: line(name).count }, name).toEqual(total);
  // Nothing on the day is left off or counted twice: the lines add up to every transfer of the day.
  expect(report.lines.find((candidate) => candidate.key === "other")).toBeUndefined();
  expect(report.lines.reduce((total, candidate) => total + candidate.amountOre, 0)).toBe(transfers.reduce((total, transfer) => total + transfer.amount_ore, 0));
  expect(report.lines.reduce((total, candidate) => total + candidate.count, 0)).toBe(transfers.length);

  // The figures of the issue: 20 kr. paid and 15 kr. rejected is 20 kr. paid out, not 35 kr.
  expect(report.payoutsOre).toBe(2_000);
  expect(line("payoutsPaid")).toMatchObject({ amountOre: 2_000, count: 1, label: { da: "Udbetalinger sendt til banken" } });
  expect(line("payoutsRequests" as string)).toBeUndefined();
  expect(line("payoutRequests")).toMatchObject({ amountOre: 3_500, count: 2 });
  expect(line("payoutsReturned")).toMatchObject({ amountOre: 1_500, count: 1 });
  expect(line("correctionsCredit")).toMatchObject({ amountOre: 700, count: 1 });
  expect(line("correctionsDebit")).toMatchObject({ amountOre: 300, count: 1 });
  expect(line("transfers")).toMatchObject({ amountOre: 900, count: 1 });
  expect(line("sales")).toMatchObject({ amountOre: 5_700, count: 2 });
  expect(line("refunds")).toMatchObject({ amountOre: 500, count: 1 });
  expect(report.depositsOre).toBe(line("deposits").amountOre);
  expect(report.refundsOre).toBe(500);
  expect(report.payoutsPendingOre).toBe(0);

  // Another day shows none of it.
  const yesterday = copenhagenDate(from - 1);
  const before = (await admin.query("backoffice.report", { day: yesterday })).data as { lines: Line[] };
  expect(before.lines.every((candidate) => candidate.amountOre === 0 && candidate.count === 0)).toBe(true);
});
