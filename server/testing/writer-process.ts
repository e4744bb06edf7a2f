// A second OS process that writes to the same database file as the server: used to prove that writers never see SQLITE_BUSY.
import { openStore } from "../../db/connect.ts";
import { postTransfer } from "../ledger/ledger.ts";

const [path, accountsArgument, clearingArgument, countArgument] = process.argv.slice(2);
const accountIds = accountsArgument!.split(",").map(Number);
const clearing = Number(clearingArgument);
const count = Number(countArgument);
const store = openStore({ path: path!, writer: { maxBatch: 8 } });
let failures = 0;
const jobs: Promise<unknown>[] = [];
for (let index = 0; index < count; index += 1) {
  const accountId = accountIds[index % accountIds.length]!;
  jobs.push(
    store
      .write((tx) => postTransfer(tx, { id: `other-process:${process.pid}:${index}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: 100, kind: "deposit" }))
      .catch((error) => {
        failures += 1;
        console.error(String(error));
      }),
  );
  // Spread the writes out so that they interleave with the server's.
  if (index % 10 === 9) await Bun.sleep(1);
}
await Promise.all(jobs);
await store.close();
console.log(JSON.stringify({ written: count - failures, failures }));
process.exit(failures === 0 ? 0 : 1);
