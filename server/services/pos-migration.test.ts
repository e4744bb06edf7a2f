// The till-scoped ids migration (20261207T1020, issue 29): sales and refunds of the previous schema keep their replays, and it runs down.
import { expect, test } from "vitest";
import { Kysely, Migrator } from "kysely";
import { BunSqliteDialect } from "kysely-bun-sqlite";
import { openSqlite, openStore, type Store } from "../../db/connect.ts";
import { tempDatabasePath } from "../../db/testing.ts";
import { migrateDown, migrateToLatest } from "../../db/migrate.ts";
import { migrations } from "../../db/migrations/index.ts";
import { db } from "../../db/query.ts";
import { callerFor, createCanteen, createCard, servicesFor } from "../testing/harness.ts";
import { checkLedger } from "../ledger/check.ts";
import { postTransfer } from "../ledger/ledger.ts";

const PREVIOUS = "20261202T0500_terminal_generation";
const THIS = "20261207T1020_till_scoped_ids";

/** Down through this migration: the ones after it first (they are independent of it), then this one. */
async function downThroughThis(path: string): Promise<void> {
  const applied = () => {
    const sqlite = openSqlite(path);
    try {
      return (sqlite.query("SELECT name FROM kysely_migration ORDER BY name").all() as Array<{ name: string }>).map((row) => row.name);
    } finally {
      sqlite.close();
    }
  };
  while (applied().some((name) => name > THIS)) await migrateDown(path);
  await migrateDown(path);
}

test("sales and refunds of the previous schema replay as before, new ids are per terminal, and down restores the old keys", async () => {
  const { path, cleanup } = tempDatabasePath();
  const sqlite = openSqlite(path);
  const migrator = new Migrator({ db: new Kysely<any>({ dialect: new BunSqliteDialect({ database: sqlite }) }), provider: { getMigrations: async () => migrations } });
  expect((await migrator.migrateTo(PREVIOUS)).error).toBeUndefined();
  sqlite.close();

  // Rows as the code before the migration wrote them: a sale `sale:<id>`, a partial refund, and the decline that
  // school 2's till got for naming school 1's sale, with school 1's card balance in it (the leak of issue 29).
  let store: Store = openStore({ path });
  const school1 = await createCanteen(store, "Skole 1");
  const school2 = await createCanteen(store, "Skole 2");
  const card = await createCard(store, school1, { balanceOre: 10_000 });
  await store.write((tx) => {
    postTransfer(tx, { id: "sale:OLD-SALE-0001", debitAccountId: card.accountId, creditAccountId: school1.revenueAccountId, amountOre: 2_000, kind: "sale", reference: "OLD-SALE-0001" }, 1_000);
    const cardId = tx.first(db.selectFrom("cards").select("id").where("card_number", "=", card.cardNumber))!.id;
    tx.run(
      db.insertInto("sales").values({
        id: "OLD-SALE-0001", terminal_id: school1.terminalId, card_number: card.cardNumber, card_id: cardId, amount_ore: 2_000, items_json: null,
        status: "approved", reason: null, transfer_id: "sale:OLD-SALE-0001", balance_after_ore: 8_000, created_at: 1_000,
      }),
    );
    postTransfer(tx, { id: "refund:OLD-REFUND-01", debitAccountId: school1.revenueAccountId, creditAccountId: card.accountId, amountOre: 500, kind: "refund", reference: "OLD-SALE-0001" }, 2_000);
    const oldRefund = { sale_id: "OLD-SALE-0001", created_at: 2_000 };
    tx.run(db.insertInto("refunds").values({ ...oldRefund, id: "OLD-REFUND-01", terminal_id: school1.terminalId, amount_ore: 500, requested_amount_ore: 500, status: "approved", reason: null, transfer_id: "refund:OLD-REFUND-01", balance_after_ore: 8_500 }));
    tx.run(db.insertInto("refunds").values({ ...oldRefund, id: "OLD-LEAK-0001", terminal_id: school2.terminalId, amount_ore: 0, requested_amount_ore: null, status: "declined", reason: "sale_not_found", transfer_id: null, balance_after_ore: 8_500 }));
  });
  await store.close();

  await migrateToLatest(path);
  store = openStore({ path });
  let services = servicesFor(store);
  const till1 = () => callerFor(services, { authorization: `Bearer ${school1.terminalKey}` });
  const till2 = () => callerFor(services, { authorization: `Bearer ${school2.terminalKey}` });
  expect(await till1().pos.sale({ saleId: "OLD-SALE-0001", cardNumber: card.cardNumber, amountOre: 2_000 })).toEqual({ saleId: "OLD-SALE-0001", status: "approved", amountOre: 2_000, balanceOre: 8_000, replayed: true });
  expect(await till1().pos.refund({ refundId: "OLD-REFUND-01", saleId: "OLD-SALE-0001", amountOre: 500 })).toMatchObject({ status: "approved", amountOre: 500, balanceOre: 8_500, replayed: true });
  // The stored leak is gone: its replay answers as for an unknown sale.
  expect(await till2().pos.refund({ refundId: "OLD-LEAK-0001", saleId: "OLD-SALE-0001" })).toMatchObject({ status: "declined", reason: "sale_not_found", balanceOre: null, replayed: true });
  // The old refund still counts against its sale.
  expect(await till1().pos.refund({ refundId: "NEW-REFUND-01", saleId: "OLD-SALE-0001", amountOre: 1_600 })).toMatchObject({ reason: "refund_exceeds_sale" });
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await store.close();

  // Down and up again while every id is still used by one terminal only: the rows survive both ways.
  await downThroughThis(path);
  const down = openSqlite(path);
  expect((down.query("SELECT name FROM pragma_table_info('sales') WHERE pk > 0").all() as Array<{ name: string }>).map((column) => column.name)).toEqual(["id"]);
  expect(down.query("SELECT id, terminal_id FROM refunds ORDER BY id").all()).toEqual([
    { id: "NEW-REFUND-01", terminal_id: school1.terminalId },
    { id: "OLD-LEAK-0001", terminal_id: school2.terminalId },
    { id: "OLD-REFUND-01", terminal_id: school1.terminalId },
  ]);
  down.close();
  await migrateToLatest(path);

  store = openStore({ path });
  services = servicesFor(store);
  const card2 = await createCard(store, school2, { balanceOre: 1_000 });
  expect(await till2().pos.sale({ saleId: "OLD-SALE-0001", cardNumber: card2.cardNumber, amountOre: 300 })).toMatchObject({ status: "approved", balanceOre: 700, replayed: false });
  expect(await till1().pos.refund({ refundId: "NEW-REFUND-02", saleId: "OLD-SALE-0001" })).toMatchObject({ status: "approved", amountOre: 1_500, balanceOre: 10_000 });
  expect(store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await store.close();
  // Now one id belongs to two terminals: down refuses and leaves the database as it was.
  await expect(downThroughThis(path)).rejects.toThrow(/more than one terminal/);
  const after = openSqlite(path);
  expect((after.query("SELECT name FROM pragma_table_info('sales') WHERE pk > 0 ORDER BY pk").all() as Array<{ name: string }>).map((column) => column.name)).toEqual(["terminal_id", "id"]);
  expect(after.query("SELECT COUNT(*) AS n FROM sales WHERE id = 'OLD-SALE-0001'").get()).toEqual({ n: 2 });
  after.close();
  cleanup();
});
