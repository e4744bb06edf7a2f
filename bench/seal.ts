// `bun bench/seal.ts [transfers]`: what sealing and verifying the ledger's hash chain cost in-process (decision 004).
import { createTestStore } from "../db/testing.ts";
import { openAccount, postTransfer, systemAccount } from "../server/ledger/ledger.ts";
import { proposeSeal, recordSeal, verifyChain } from "../server/ledger/chain.ts";
import { startSealer } from "../server/ledger/sealer.ts";
import { checkLedger } from "../server/ledger/check.ts";

const total = Number(process.argv[2] ?? 100_000);
const testStore = await createTestStore();
const { store } = testStore;
const built = performance.now();
for (let done = 0; done < total; done += 10_000) {
  await store.write((tx) => {
    const clearing = systemAccount(tx, "acquirer_clearing");
    const card = openAccount(tx, { kind: "cardholder", name: "Madkort" });
    for (let n = done; n < Math.min(total, done + 10_000); n += 1) {
      postTransfer(tx, { id: `sale:${crypto.randomUUID()}`, debitAccountId: clearing, creditAccountId: card, amountOre: 2_500, kind: "deposit", description: "Kantinen: 1 × Dagens ret" });
    }
  });
}
console.log(`${total.toLocaleString("en")} transfers written in ${((performance.now() - built) / 1000).toFixed(1)} s`);

// One batch as the sealer's worker computes it, and its write job as the writer runs it.
const batchStarted = performance.now();
const proposal = store.read((tx) => proposeSeal(tx, 5_000));
const batchMs = performance.now() - batchStarted;
const writeStarted = performance.now();
let jobMs = 0;
await store.write((tx) => {
  const started = performance.now();
  recordSeal(tx, proposal);
  jobMs = performance.now() - started;
});
console.log(`one batch of ${proposal.transfers} transfers: computed in ${batchMs.toFixed(1)} ms (${((batchMs * 1000) / proposal.transfers).toFixed(2)} µs per transfer); its write job ran ${(jobMs * 1000).toFixed(0)} µs (${(performance.now() - writeStarted).toFixed(1)} ms with the commit)`);

const sealer = startSealer(store, { scheduled: false, maxRounds: 1_000 });
const sealStarted = performance.now();
await sealer.sealNow();
console.log(`the rest (${(total - proposal.transfers).toLocaleString("en")} transfers) sealed in ${(performance.now() - sealStarted).toFixed(0)} ms`);

// Steady state: the write jobs of small batches, as at a till's pace (statements compiled by now).
const jobsUs: number[] = [];
for (let round = 0; round < 20; round += 1) {
  await store.write((tx) => {
    const clearing = systemAccount(tx, "acquirer_clearing");
    const card = openAccount(tx, { kind: "cardholder", name: "Madkort" });
    for (let n = 0; n < 25; n += 1) postTransfer(tx, { id: `sale:${crypto.randomUUID()}`, debitAccountId: clearing, creditAccountId: card, amountOre: 2_500, kind: "deposit" });
  });
  const next = store.read((tx) => proposeSeal(tx, 5_000));
  await store.write((tx) => {
    const started = performance.now();
    recordSeal(tx, next);
    jobsUs.push((performance.now() - started) * 1000);
  });
}
jobsUs.sort((a, b) => a - b);
console.log(`a 25-transfer seal's write job: median ${jobsUs[10]!.toFixed(0)} µs, max ${jobsUs.at(-1)!.toFixed(0)} µs (20 rounds)`);

const verifyStarted = performance.now();
const chain = store.read(verifyChain);
const verifyMs = performance.now() - verifyStarted;
const ledgerStarted = performance.now();
store.read(checkLedger);
const ledgerMs = performance.now() - ledgerStarted;
console.log(`verifyChain: ${chain.transfers.toLocaleString("en")} transfers, ${chain.checkpoints} seals, ok=${chain.ok} in ${verifyMs.toFixed(0)} ms; checkLedger (for comparison) ${ledgerMs.toFixed(0)} ms`);
await testStore.close();
