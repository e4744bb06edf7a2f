// Years of data (issue 27): the cardholder search through its trigram index, the statement's opening balance by index.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { WriteTx } from "../../db/tx.ts";
import { db } from "../../db/query.ts";
import { checkLedger } from "../ledger/check.ts";
import { postTransfer, systemAccount } from "../ledger/ledger.ts";
import { createCanteen, createTestStore, type Fixture, type TestStore } from "../testing/harness.ts";
import { cardholderSearch, countCardholders, issueCard, replaceCard, searchCardholders, type SearchPlan } from "./backoffice/cards.ts";
import type { Actor } from "./backoffice/shared.ts";
import { statementMonth } from "./statements.ts";
import { orderLinesOfPeriod, tillSalesOfPeriod } from "./backoffice/reports.ts";
import { copenhagenMidnight } from "../../common/calendar.ts";

let testStore: TestStore;
let canteen: Fixture;
let actor: Actor;
const write = <T,>(fn: (tx: WriteTx) => T): Promise<T> => testStore.store.write(fn);

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
  const userId = await write((tx) => tx.run(db.insertInto("users").values({ tenant_id: canteen.tenantId, role: "admin", name: "Admin", email: "admin@example.dk", created_at: 0 })).lastInsertRowid);
  actor = { userId, tenantId: canteen.tenantId, role: "admin", label: "admin@example.dk" };
});
afterEach(async () => {
  expect(testStore.store.read((tx) => checkLedger(tx)).violations).toEqual([]);
  await testStore.close();
});

const names = (rows: ReadonlyArray<{ name: string | null }>) => rows.map((row) => row.name).sort();

describe("cardholder search", () => {
  test("finds any part of a name, school, class or card number, case- and accent-insensitive, ø as o", async () => {
    const soren = await write((tx) => issueCard(tx, actor, { name: "Søren Ærø-Jensen", school: "Nørre Skole", className: "7A" }, "hash"));
    await write((tx) => issueCard(tx, actor, { name: "Åse Hansen", school: "Vester Skole", className: "8B" }, "hash"));
    await write((tx) => issueCard(tx, actor, { name: "Émile Jensen", className: "8B" }, "hash"));
    const search = (text: string) => names(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, text)));
    expect(search("jensen")).toEqual(["Søren Ærø-Jensen", "Émile Jensen"].sort());
    expect(search("JENS")).toEqual(["Søren Ærø-Jensen", "Émile Jensen"].sort());
    expect(search("søren")).toEqual(["Søren Ærø-Jensen"]);
    expect(search("Soren")).toEqual(["Søren Ærø-Jensen"]);
    expect(search("aero")).toEqual(["Søren Ærø-Jensen"]);
    expect(search("ase h")).toEqual(["Åse Hansen"]);
    expect(search("emile")).toEqual(["Émile Jensen"]);
    expect(search("nørre")).toEqual(["Søren Ærø-Jensen"]);
    expect(search(soren.cardNumber.slice(3, 11))).toEqual(["Søren Ærø-Jensen"]);
    // Short texts have no trigram: they are compared as before, within the tenant.
    expect(search("8B")).toEqual(["Åse Hansen", "Émile Jensen"].sort());
    // Search syntax is text: quotes and FTS5 operators find nothing rather than failing.
    expect(search('jen" OR "han')).toEqual([]);
    expect(search("NEAR(a b)")).toEqual([]);
    expect(testStore.store.read((tx) => countCardholders(tx, canteen.tenantId, "jensen"))).toEqual({ total: 2, capped: false });
  });

  test("the count stops at its cap and says so; below the cap, and exactly at it, it is exact; paging goes past the cap", async () => {
    await write((tx) => {
      for (let index = 0; index < 12; index += 1) issueCard(tx, actor, { name: `Hansen ${String(index).padStart(2, "0")}`, className: "9C" }, "hash");
      issueCard(tx, actor, { name: "Ida Olsen", className: "9C" }, "hash");
    });
    const count = (text: string, cap?: number) => testStore.store.read((tx) => countCardholders(tx, canteen.tenantId, text, cap));
    expect(count("hansen", 5)).toEqual({ total: 5, capped: true });
    expect(count("hansen", 11)).toEqual({ total: 11, capped: true });
    expect(count("hansen", 12)).toEqual({ total: 12, capped: false });
    expect(count("hansen", 100)).toEqual({ total: 12, capped: false });
    expect(count("hansen")).toEqual({ total: 12, capped: false });
    // The short-text fallback is capped the same way.
    expect(count("9C", 12)).toEqual({ total: 12, capped: true });
    expect(count("9C", 13)).toEqual({ total: 13, capped: false });
    expect(count("olsen", 5)).toEqual({ total: 1, capped: false });
    // The cap is the count's alone: the rows beyond it are still there to page to.
    const page = (offset: number) => testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "hansen", 5, offset)).map((row) => row.name);
    expect(page(10)).toEqual(["Hansen 10", "Hansen 11"]);
  });

  test("another school's cardholders are never found; renames and replaced cards are seen at once", async () => {
    const other = await createCanteen(testStore.store, "Anden kantine");
    const otherActor: Actor = { ...actor, tenantId: other.tenantId };
    await write((tx) => issueCard(tx, otherActor, { name: "Ida Jensen" }, "hash"));
    const ida = await write((tx) => issueCard(tx, actor, { name: "Ida Madsen" }, "hash"));
    expect(names(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "Ida")))).toEqual(["Ida Madsen"]);
    expect(names(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "jensen")))).toEqual([]);
    await write((tx) => tx.run(db.updateTable("users").set({ name: "Ida Kristensen" }).where("id", "=", ida.userId)));
    expect(names(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "madsen")))).toEqual([]);
    expect(names(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "kristensen")))).toEqual(["Ida Kristensen"]);
    const replaced = await write((tx) => replaceCard(tx, actor, ida.cardId, "hash"));
    if (!replaced.ok) throw new Error("replace refused");
    expect(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, replaced.cardNumber))).toHaveLength(1);
    expect(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, ida.cardNumber))).toEqual([]);
  });

  test("a search with thousands of matches walks the name order and gives the same pages a sort would, other school's rows and replaced cards left out", async () => {
    // More than SEARCH_WALK_ABOVE (2,000) matches: the page walks users_cardholder_name instead of sorting every match.
    const other = await createCanteen(testStore.store, "Anden kantine");
    const otherActor: Actor = { ...actor, tenantId: other.tenantId };
    const firstNames = ["Søren", "anne", "Åse", "Bo", "émile", "Zakarias", "Ida"];
    await write((tx) => {
      for (let index = 0; index < 2_300; index += 1) {
        issueCard(tx, index % 10 === 0 ? otherActor : actor, { name: `${firstNames[index % 7]} Jensen ${(index * 7919) % 2_300}`, className: "5A" }, "hash");
      }
    });
    // A replaced card is not current: its holder shows once, with the new card.
    const someone = testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "Jensen 77", 1))[0]!;
    const replaced = await write((tx) => replaceCard(tx, actor, someone.cardId, "hash"));
    if (!replaced.ok) throw new Error("replace refused");
    const expected = testStore.store
      .read((tx) => tx.all(db.selectFrom("users").innerJoin("cards", "cards.user_id", "users.id").select(["users.id", "users.name", "cards.id as cardId"]).where("users.tenant_id", "=", canteen.tenantId).where("users.role", "=", "cardholder").where("cards.replaced_by_card_id", "is", null)))
      .sort((a, b) => (a.name!.toLowerCase() < b.name!.toLowerCase() ? -1 : a.name!.toLowerCase() > b.name!.toLowerCase() ? 1 : a.id - b.id))
      .map((row) => `${row.id}:${row.cardId}`);
    expect(expected.length).toBe(2_070);
    const page = (offset: number) => testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "jensen", 50, offset)).map((row) => `${row.userId}:${row.cardId}`);
    for (const offset of [0, 50, 1_000, 2_050]) expect(page(offset), `offset ${offset}`).toEqual(expected.slice(offset, offset + 50));
    expect(page(2_050)).toHaveLength(20);
    expect(testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "jensen", 50, 0)).map((row) => row.cardNumber)).not.toContain(someone.cardNumber);
    // The plans SQLite makes of the two shapes: many matches walk the name index (no sort of the matches), few are
    // looked up by id (the tenant's name index untouched), and the count always starts from the matches.
    const planOf = (text: string, plan: SearchPlan, ordered: boolean) =>
      testStore.store.read((tx) => {
        const query = cardholderSearch(canteen.tenantId, text, plan).select("u.id");
        const compiled = (ordered ? query.orderBy((eb) => eb.fn("lower", [eb.ref("u.name")])).orderBy("u.id").orderBy("c.id").limit(50) : query.limit(1001)).compile();
        return (tx.sqlite.query(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...(compiled.parameters as never[])) as Array<{ detail: string }>).map((row) => row.detail).join("\n");
      });
    expect(planOf("jensen", "name order", true)).toMatch(/SEARCH u USING (COVERING )?INDEX users_cardholder_name/);
    expect(planOf("jensen", "name order", true)).not.toMatch(/TEMP B-TREE FOR ORDER BY/);
    expect(planOf("jensen", "matches", true)).toMatch(/SEARCH u USING INTEGER PRIMARY KEY/);
    expect(planOf("jensen", "matches", true)).not.toMatch(/users_cardholder_name/);
    expect(planOf("jensen", "matches", false)).toMatch(/SEARCH u USING INTEGER PRIMARY KEY/);
    // A short text walks the name order too.
    expect(planOf("5A", "name order", true)).toMatch(/users_cardholder_name/);
  });

  test("a page's guardians are read in one query and each row gets its own, oldest link first", async () => {
    const [anna, bo, carl, mor, far] = await write((tx) =>
      ["Anna Holm", "Bo Holm", "Carl Holm", "Mor Holm", "Far Holm"].map((name) => issueCard(tx, actor, { name, className: "3C" }, "hash")),
    );
    await write((tx) => {
      tx.run(db.insertInto("guardians").values([
        { guardian_user_id: far!.userId, child_user_id: anna!.userId, created_at: 2 },
        { guardian_user_id: mor!.userId, child_user_id: anna!.userId, created_at: 1 },
        { guardian_user_id: far!.userId, child_user_id: bo!.userId, created_at: 3 },
      ]));
    });
    const page = testStore.store.read((tx) => searchCardholders(tx, canteen.tenantId, "holm"));
    const guardiansBy = Object.fromEntries(page.map((row) => [row.name, row.guardians.map((guardian) => `${guardian.name}:${guardian.cardNumber}`)]));
    expect(guardiansBy).toEqual({
      "Anna Holm": [`Mor Holm:${mor!.cardNumber}`, `Far Holm:${far!.cardNumber}`],
      "Bo Holm": [`Far Holm:${far!.cardNumber}`],
      "Carl Holm": [],
      "Far Holm": [],
      "Mor Holm": [],
    });
    expect(carl!.userId).toBeGreaterThan(0);
  });

  test("the search reads the index, not every cardholder", () => {
    const plan = testStore.store.read((tx) =>
      (tx.sqlite.query("EXPLAIN QUERY PLAN SELECT rowid FROM cardholder_search WHERE text MATCH ?").all('"jensen"') as Array<{ detail: string }>).map((row) => row.detail),
    );
    expect(plan.join("\n")).toMatch(/VIRTUAL TABLE INDEX/);
  });
});

describe("statement", () => {
  test("the opening balance is the balance after the last movement before the month, on either side", async () => {
    const card = await write((tx) => issueCard(tx, actor, { name: "Ida" }, "hash"));
    const june = copenhagenMidnight(2026, 6, 1);
    await write((tx) => {
      const clearing = systemAccount(tx, "acquirer_clearing");
      postTransfer(tx, { id: "d1", debitAccountId: clearing, creditAccountId: card.accountId, amountOre: 10_000, kind: "deposit" }, june - 3 * 86_400_000);
      postTransfer(tx, { id: "s1", debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 2_500, kind: "sale" }, june - 2 * 86_400_000);
      postTransfer(tx, { id: "d2", debitAccountId: clearing, creditAccountId: card.accountId, amountOre: 1_000, kind: "deposit" }, june - 86_400_000);
      postTransfer(tx, { id: "s2", debitAccountId: card.accountId, creditAccountId: canteen.revenueAccountId, amountOre: 500, kind: "sale" }, june + 3_600_000);
    });
    const month = testStore.store.read((tx) => statementMonth(tx, card.accountId, 2026, 6));
    expect(month.openingBalanceOre).toBe(8_500);
    expect(month.closingBalanceOre).toBe(8_000);
    const may = testStore.store.read((tx) => statementMonth(tx, card.accountId, 2026, 5));
    expect(may.openingBalanceOre).toBe(0);
    expect(may.closingBalanceOre).toBe(8_500);
    // Before June the last movement is a credit (a deposit); before July it is a debit (a sale): both sides are asked.
    expect(testStore.store.read((tx) => statementMonth(tx, card.accountId, 2026, 7)).openingBalanceOre).toBe(8_000);
  });
});

describe("report queries read their period, not the history", () => {
  /** SQLite's plan on a fresh database (no statistics, as an operator's database has until it is analysed). */
  const planOf = (query: { compile(): { sql: string; parameters: readonly unknown[] } }) =>
    testStore.store.read((tx) => {
      const compiled = query.compile();
      return (tx.sqlite.query(`EXPLAIN QUERY PLAN ${compiled.sql}`).all(...(compiled.parameters as never[])) as Array<{ detail: string }>).map((row) => row.detail.trim());
    });
  const scans = (steps: string[]) => steps.filter((step) => /^SCAN (s|l|o|sales|orders|order_lines|transfers)\b/.test(step));

  test("a period's till sales come through sales(terminal_id, created_at)", () => {
    const steps = planOf(tillSalesOfPeriod(1, 0, 1));
    expect(scans(steps)).toEqual([]);
    expect(steps.join("\n")).toMatch(/sales_terminal_created/);
  });

  test("a period's webshop lines come through orders(canteen_id, created_at)", () => {
    const steps = planOf(orderLinesOfPeriod(1, 0, 1));
    expect(scans(steps)).toEqual([]);
    expect(steps.join("\n")).toMatch(/orders_canteen_created/);
  });

  test("the plan check sees the scan the old joined form made", () => {
    const joined = db
      .selectFrom("sales as s")
      .innerJoin("terminals as t", "t.id", "s.terminal_id")
      .innerJoin("canteens as c", "c.id", "t.canteen_id")
      .select(["s.items_json"])
      .where("c.tenant_id", "=", 1)
      .where("s.created_at", ">=", 0)
      .where("s.created_at", "<", 1);
    expect(scans(planOf(joined))).toEqual(["SCAN s"]);
  });
});
