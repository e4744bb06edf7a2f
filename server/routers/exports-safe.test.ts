// Issue 29, finding 9: the bank file, the sales report and the statement, fetched over real HTTP, run no formula in any
// spreadsheet, whichever separator it splits on; the amounts stay numbers.
import { afterAll, beforeAll, expect, test } from "vitest";
import { PortalClient, startTestServer, type TestServer } from "../testing/harness.ts";
import { cellsAsReadWith, isFormula, SEPARATORS } from "../testing/spreadsheet.ts";
import { copenhagenDate } from "../../common/calendar.ts";

let server: TestServer;
let admin: PortalClient;
let cardholder: PortalClient;
const DEMO_TILL = "demo-terminal-key-kantinen-0001";
const CARD = "12345678901234";

/** The exact strings: a payout name, a payout message, and the same kind of text as a till's item name. */
const NAME = "Hansen,=2*3+cmd|' /C calc'!A0,x";
const MESSAGE = 'tak,=HYPERLINK("http://evil.example","Klik"),x';
// (A TAB cannot reach an item name any more: common/text.ts refuses it; server/csv.test.ts covers TAB inside text.)
const ITEM = "Kaffe;=2*3+cmd|' /C calc'!A0,@SUM(A1)";

beforeAll(async () => {
  server = await startTestServer({ seedDemo: true });
  admin = new PortalClient(server.url);
  expect((await admin.mutate("backoffice.login", { email: "admin@kantinekort.local", password: "Admin2026!" })).data).toMatchObject({ ok: true });
  cardholder = new PortalClient(server.url);
  await cardholder.login(CARD, "482913");
});
afterAll(async () => {
  await server.close();
});

function expectNoFormula(csv: string) {
  for (const separator of SEPARATORS) {
    const formulas = cellsAsReadWith(csv, separator).filter(isFormula);
    expect({ separator, formulas }).toEqual({ separator, formulas: [] });
  }
}

test("payoutsCsv, the report CSV and the statement CSV, read with comma, semicolon or TAB, hold no formula; amounts stay plain", async () => {
  const sale = await fetch(`${server.url}/trpc/pos.sale`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_TILL}` },
    body: JSON.stringify({ saleId: `csv-${crypto.randomUUID()}`, cardNumber: CARD, amountOre: 1_250, items: [{ name: ITEM, quantity: 1, unitPriceOre: 1_250 }] }),
  });
  expect(sale.status).toBe(200);
  const accountId = ((await cardholder.query("accounts.list")).data as Array<{ accountId: number }>)[0]!.accountId;
  const payout = await cardholder.mutate("payouts.request", { accountId, name: NAME, registrationNumber: "1234", bankAccountNumber: "1234567890", message: MESSAGE, amountOre: 500, idempotencyKey: `csv-payout-${crypto.randomUUID()}` });
  expect(payout.status).toBe(200);

  const payouts = (await admin.query("backoffice.payoutsCsv")).data as string;
  expect(payouts).toContain(`"Hansen,'=2*3+cmd|' /C calc'!A0,x";"1234";"1234567890";5,00;"tak,'=HYPERLINK(""http://evil.example"",""Klik""),x"`);
  expectNoFormula(payouts);

  const report = (await admin.query("backoffice.report", { day: copenhagenDate(Date.now()) })).data as { csv: string };
  expect(report.csv).toContain(`"Kaffe;'=2*3+cmd|' /C calc'!A0,'@SUM(A1)";1;12,50`);
  expectNoFormula(report.csv);

  const now = new Date();
  const statement = await (await cardholder.get(`/statement.csv?accountId=${accountId}&year=${now.getFullYear()}&month=${now.getMonth() + 1}`)).text();
  // The sale's line text names the item; its amount is a plain negative number a spreadsheet sums.
  const saleLine = statement.split("\r\n").find((line) => line.includes("Kaffe"))!;
  expect(saleLine).toMatch(/^[\d.]+,? [\d.:]+;"[^"]*Kaffe;'=2\*3\+cmd\|' \/C calc'!A0,'@SUM\(A1\)[^"]*";-12,50;\d+,\d\d$/);
  expectNoFormula(statement);
});
