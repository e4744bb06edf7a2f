// The terminal key check keeps found terminals in memory; these tests prove that memory is forgotten on every change
// that matters: a revoked key is refused on its very next request, also when another process revoked it.
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import { openStore } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { createCanteen, createCard, createTestStore, type Fixture, type TestStore } from "../testing/harness.ts";
import { authenticateTerminal, hashApiKey } from "./terminal.ts";
import { recordSale } from "../services/pos.ts";

let testStore: TestStore;
let canteen: Fixture;

beforeEach(async () => {
  testStore = await createTestStore();
  canteen = await createCanteen(testStore.store);
});

afterEach(async () => {
  await testStore.close();
});

const generation = () => testStore.store.read((tx) => tx.first(db.selectFrom("terminal_generation").select("value"))!.value);

test("the native hash is the same SHA-256 hex the stored keys were made with", () => {
  for (const key of ["bench-terminal-key-000000000001", "demo-pos-key", "æøå-ключ-🙂", "x".repeat(200)]) {
    expect(hashApiKey(key)).toBe(encodeHexLowerCase(sha256(new TextEncoder().encode(key))));
  }
  expect(hashApiKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

describe("authenticateTerminal", () => {
  test("a known key is answered from memory while nothing about terminals changes, sales included", async () => {
    const first = authenticateTerminal(testStore.store, canteen.terminalKey);
    expect(first).toMatchObject({ terminalId: canteen.terminalId, canteenId: canteen.canteenId, tenantId: canteen.tenantId, canteenName: "Kantinen" });
    const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
    await testStore.store.write((tx) => recordSale(tx, first!, { saleId: "cache-sale-1", cardNumber: card.cardNumber, amountOre: 100 }, { maxSaleOre: 50_000 }));
    // The very same object: the lookup was not run again.
    expect(authenticateTerminal(testStore.store, canteen.terminalKey)).toBe(first);
    expect(authenticateTerminal(testStore.store, "not-a-key-of-any-terminal")).toBeNull();
  });

  test("a revoked key is refused on the very next call after being remembered", async () => {
    expect(authenticateTerminal(testStore.store, canteen.terminalKey)).not.toBeNull();
    await testStore.store.write((tx) => tx.run(db.updateTable("terminals").set({ revoked_at: Date.now() }).where("id", "=", canteen.terminalId)));
    expect(authenticateTerminal(testStore.store, canteen.terminalKey)).toBeNull();
  });

  test("a deleted terminal and a renamed canteen are seen on the next call", async () => {
    const other = await createCanteen(testStore.store, "Anden");
    expect(authenticateTerminal(testStore.store, other.terminalKey)?.canteenName).toBe("Anden");
    await testStore.store.write((tx) => tx.run(db.updateTable("canteens").set({ name: "Omdøbt" }).where("id", "=", other.canteenId)));
    expect(authenticateTerminal(testStore.store, other.terminalKey)?.canteenName).toBe("Omdøbt");
    await testStore.store.write((tx) => tx.run(db.deleteFrom("terminals").where("id", "=", other.terminalId)));
    expect(authenticateTerminal(testStore.store, other.terminalKey)).toBeNull();
  });

  test("a revocation by another connection to the same file (as another server process would) is refused at once", async () => {
    const elsewhere = openStore({ path: testStore.path });
    try {
      const identity = authenticateTerminal(testStore.store, canteen.terminalKey);
      expect(identity).not.toBeNull();
      // The other "process" remembers the key too; each store keeps its own memory.
      expect(authenticateTerminal(elsewhere, canteen.terminalKey)).toEqual(identity);
      await elsewhere.write((tx) => tx.run(db.updateTable("terminals").set({ revoked_at: Date.now() }).where("id", "=", canteen.terminalId)));
      expect(authenticateTerminal(testStore.store, canteen.terminalKey)).toBeNull();
      expect(authenticateTerminal(elsewhere, canteen.terminalKey)).toBeNull();
    } finally {
      await elsewhere.close();
    }
  });

  test("a revocation by a separate OS process (an UPDATE by hand in sqlite) is refused at once", async () => {
    expect(authenticateTerminal(testStore.store, canteen.terminalKey)).not.toBeNull();
    const script = `import { Database } from "bun:sqlite"; const d = new Database(process.env.DB_FILE); d.run("PRAGMA busy_timeout = 5000"); d.run("UPDATE terminals SET revoked_at = 1 WHERE id = ?", [Number(process.env.TERMINAL_ID)]); d.close();`;
    const child = Bun.spawnSync([process.execPath, "-e", script], { env: { ...process.env, DB_FILE: testStore.path, TERMINAL_ID: String(canteen.terminalId) }, stderr: "pipe" });
    expect(child.exitCode, child.stderr.toString()).toBe(0);
    expect(authenticateTerminal(testStore.store, canteen.terminalKey)).toBeNull();
  });
});

test("triggers move the terminal generation on every change to a terminal or canteen, and not on sales", async () => {
  const start = generation();
  const card = await createCard(testStore.store, canteen, { balanceOre: 10_000 });
  const terminal = authenticateTerminal(testStore.store, canteen.terminalKey)!;
  await testStore.store.write((tx) => recordSale(tx, terminal, { saleId: "gen-sale-1", cardNumber: card.cardNumber, amountOre: 100 }, { maxSaleOre: 50_000 }));
  expect(generation()).toBe(start);
  await testStore.store.write((tx) => tx.run(db.updateTable("terminals").set({ name: "Kasse 9" }).where("id", "=", canteen.terminalId)));
  expect(generation()).toBe(start + 1);
  await testStore.store.write((tx) => tx.run(db.updateTable("canteens").set({ name: "Ny" }).where("id", "=", canteen.canteenId)));
  expect(generation()).toBe(start + 2);
});
