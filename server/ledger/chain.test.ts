// The hash chain and its sealer: verification names the broken stretch, seals are append-only, sealing twice is harmless, and tills never wait for it.
import { afterEach, describe, expect, test } from "vitest";
import { openStore, type Store } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { createCanteen, createCard, createTestStore, startTestServer, type TestStore } from "../testing/harness.ts";
import { openAccount, postTransfer, systemAccount } from "./ledger.ts";
import { lastSeal, proposeSeal, recordSeal, verifyChain } from "./chain.ts";
import { startSealer } from "./sealer.ts";
import { dailyReport } from "../services/backoffice/reports.ts";
import { copenhagenDate } from "../../common/calendar.ts";

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshStore(): Promise<TestStore> {
  const testStore = await createTestStore();
  cleanups.push(() => testStore.close());
  return testStore;
}

let depositCounter = 0;
/** `count` deposits onto one new card, each its own transfer. */
async function deposits(store: Store, count: number): Promise<void> {
  await store.write((tx) => {
    const clearing = systemAccount(tx, "acquirer_clearing");
    const card = openAccount(tx, { kind: "cardholder", name: "Madkort" });
    for (let n = 0; n < count; n += 1) {
      depositCounter += 1;
      postTransfer(tx, { id: `deposit:${depositCounter}`, debitAccountId: clearing, creditAccountId: card, amountOre: 100 + n, kind: "deposit", description: "Indbetaling" });
    }
  });
}

const seals = (store: Store) => store.read((tx) => tx.all(db.selectFrom("ledger_seals").select(["through_seq", "head"]).orderBy("through_seq")));
const seqs = (store: Store) => store.read((tx) => tx.all(db.selectFrom("transfers").select("seq").orderBy("seq")).map((row) => row.seq));

/** Raw SQL as an attacker with sqlite3 writes it, with the ledger's triggers dropped first. */
const tamper = (store: Store, ...statements: string[]) =>
  store.write((tx) => {
    for (const statement of statements) tx.sqlite.run(statement);
  });

describe("verifyChain", () => {
  test("an honest ledger verifies; an edited, a removed and a cut-off transfer each name their own stretch", async () => {
    const { store } = await freshStore();
    const sealer = startSealer(store, { scheduled: false, maxBatch: 5 });
    // Three stretches of five transfers each, and two more not yet sealed.
    await deposits(store, 15);
    await sealer.sealNow();
    await deposits(store, 2);
    expect(seals(store).map((row) => row.through_seq)).toEqual([5, 10, 15]);
    const honest = store.read(verifyChain);
    expect(honest).toMatchObject({ ok: true, transfers: 17, checkpoints: 3, sealedThroughSeq: 15, unsealed: 2, throughSeq: 17, breakCount: 0 });

    // A description in the second stretch: no balance changes, so only the chain can see it.
    await tamper(store, "DROP TRIGGER transfers_no_update", "DROP TRIGGER transfers_no_delete", "UPDATE transfers SET description = 'Rettet' WHERE seq = 7");
    let check = store.read(verifyChain);
    expect(check.ok).toBe(false);
    expect(check.breaks).toMatchObject([{ afterSeq: 5, throughSeq: 10, firstSeq: 6, lastSeq: 10 }]);
    expect(check.problems[0]).toMatch(/^the chain breaks between transfer 6 and transfer 10 \(seal at seq 10 holds/);

    // A transfer removed from the first stretch, and the whole third stretch cut off: each named, the second still too.
    await tamper(store, "DELETE FROM transfers WHERE seq = 3", "DELETE FROM transfers WHERE seq BETWEEN 11 AND 17");
    check = store.read(verifyChain);
    expect(check.breakCount).toBe(3);
    expect(check.breaks.map((found) => [found.afterSeq, found.throughSeq, found.firstSeq, found.lastSeq])).toEqual([
      [0, 5, 1, 5],
      [5, 10, 6, 10],
      [10, 15, null, null],
    ]);
    expect(check.problems[2]).toMatch(/the transfers after seq 10 through seq 15 are missing/);
  });

  test("a transfer slipped into a sealed stretch under a free seq breaks it", async () => {
    const { store } = await freshStore();
    await deposits(store, 3);
    await startSealer(store, { scheduled: false }).sealNow();
    const row = store.read((tx) => tx.first(db.selectFrom("transfers").select(["debit_account_id", "credit_account_id"]).where("seq", "=", 1)))!;
    await tamper(store, `INSERT INTO transfers (seq, id, debit_account_id, credit_account_id, amount_ore, kind, debit_balance_after_ore, credit_balance_after_ore, created_at) VALUES (0, 'deposit:slipped', ${row.debit_account_id}, ${row.credit_account_id}, 100000, 'deposit', 0, 0, 1)`);
    expect(store.read(verifyChain).problems).toEqual([expect.stringMatching(/^the chain breaks between transfer 0 and transfer 3/)]);
  });

  test("seals are append-only: no UPDATE, no DELETE", async () => {
    const { store } = await freshStore();
    await deposits(store, 2);
    await startSealer(store, { scheduled: false }).sealNow();
    await expect(tamper(store, "UPDATE ledger_seals SET head = '00' || substr(head, 3)")).rejects.toThrow(/append-only/);
    await expect(tamper(store, "DELETE FROM ledger_seals")).rejects.toThrow(/append-only/);
    expect(store.read(verifyChain).ok).toBe(true);
  });
});

describe("the sealer", () => {
  test("sealing twice, and from a second process's connection, is harmless: no duplicate, no gap, one chain", async () => {
    const { store, path } = await freshStore();
    // A second store on the same file stands for the command line or a second node.
    const other = openStore({ path });
    cleanups.push(() => other.close());
    const first = startSealer(store, { scheduled: false, maxBatch: 7 });
    const second = startSealer(other, { scheduled: false, maxBatch: 4 });
    for (let round = 0; round < 5; round += 1) {
      await deposits(store, 9);
      await Promise.all([first.sealNow(), second.sealNow(), first.sealNow()]);
    }
    const rows = seals(store);
    const all = seqs(store);
    // Every checkpoint names a transfer, they rise, and the newest is the last transfer: nothing left unsealed.
    for (const row of rows) expect(all).toContain(row.through_seq);
    expect(rows.at(-1)!.through_seq).toBe(all.at(-1));
    expect(store.read(verifyChain)).toMatchObject({ ok: true, unsealed: 0, checkpoints: rows.length });
    // Once sealed, another round writes nothing.
    await Promise.all([first.sealNow(), second.sealNow()]);
    expect(seals(store)).toEqual(rows);
  });

  test("a checkpoint another sealer wrote with a different head is an alarm, never overwritten", async () => {
    const { store } = await freshStore();
    await deposits(store, 4);
    const proposal = store.read((tx) => proposeSeal(tx));
    const forged = "f".repeat(64);
    await store.write((tx) => tx.run(db.insertInto("ledger_seals").values({ through_seq: proposal.throughSeq, head: forged, sealed_at_ms: 1 })));
    expect(await store.write((tx) => recordSeal(tx, proposal))).toBe("mismatch");
    expect(await store.write((tx) => recordSeal(tx, { ...proposal, head: forged }))).toBe("already");

    // The sealer that meets it raises the alarm and stops sealing on top of it.
    await deposits(store, 2);
    let injected = false;
    const sealer = startSealer(store, {
      scheduled: false,
      propose: async (maxTransfers) => {
        const next = store.read((tx) => proposeSeal(tx, maxTransfers));
        if (!injected) {
          injected = true;
          await store.write((tx) => tx.run(db.insertInto("ledger_seals").values({ through_seq: next.throughSeq, head: forged, sealed_at_ms: 2 })));
        }
        return next;
      },
    });
    expect((await sealer.sealNow()).outcome).toBe("mismatch");
    expect(sealer.status().alarm).toMatch(/differs from the chain computed from the transfers/);
    expect(store.read((tx) => lastSeal(tx))?.head).toBe(forged);
    expect(store.read(verifyChain).ok).toBe(false);
  });

  test("tills keep selling while a seal is being computed, and every sale ends up sealed in order", async () => {
    const server = await startTestServer();
    cleanups.push(() => server.close());
    const fixture = await createCanteen(server.services.store);
    const cards = await Promise.all(Array.from({ length: 4 }, () => createCard(server.services.store, fixture, { balanceOre: 1_000_000 })));
    const sell = async (cardNumber: string, saleId: string) => {
      const answer = await fetch(`${server.url}/trpc/pos.sale`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fixture.terminalKey}` },
        body: JSON.stringify({ saleId, cardNumber, amountOre: 100 }),
      });
      return ((await answer.json()) as { result?: { data?: { status: string } } }).result?.data?.status;
    };
    // A second sealer whose computation is held open: sales must not wait for it.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let computing!: () => void;
    const computingStarted = new Promise<void>((resolve) => {
      computing = resolve;
    });
    const held = startSealer(server.services.store, {
      scheduled: false,
      propose: async (maxTransfers) => {
        computing();
        await gate;
        return server.services.store.read((tx) => proposeSeal(tx, maxTransfers));
      },
    });
    await sell(cards[0]!.cardNumber, "seal-first");
    const sealing = held.sealNow();
    await computingStarted;
    const during = await Promise.all(cards.flatMap((card, till) => Array.from({ length: 10 }, (_, n) => sell(card.cardNumber, `seal-${till}-${n}`))));
    expect(during.every((status) => status === "approved")).toBe(true);
    release();
    await sealing;
    // The server's own sealer and this one both sealed: one chain, every transfer in it.
    await server.sealer.sealNow();
    const store = server.services.store;
    expect(store.read(verifyChain)).toMatchObject({ ok: true, unsealed: 0 });
    expect(store.read((tx) => lastSeal(tx))?.throughSeq).toBe(seqs(store).at(-1));
    // The day's report prints the newest head, and it names no figure.
    const report = store.read((tx) => dailyReport(tx, fixture.tenantId, copenhagenDate(Date.now())));
    expect(report.chainHead).toEqual(store.read((tx) => lastSeal(tx)));
    expect(store.read((tx) => dailyReport(tx, fixture.tenantId, "2020-01-01")).chainHead).toBeNull();
  }, 60_000);
});
