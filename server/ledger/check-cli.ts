// `npm run ledger:check`: verifies the ledger invariants and the hash chain of the configured database; exits 1 on any violation.
import { existsSync } from "node:fs";
import { loadConfig } from "../config.ts";
import { readSnapshot } from "../../db/connect.ts";
import { checkLedger } from "./check.ts";
import { verifyChain } from "./chain.ts";
import { formatOre } from "../../common/money.ts";

const path = process.argv[2] ?? loadConfig().databasePath;
// A check only reads: a mistyped path must fail clearly instead of leaving an empty database (and its directory) behind.
if (!existsSync(path)) {
  console.error(`ledger:check: no database file at ${path}`);
  process.exit(1);
}
// One read transaction, so that every invariant and the chain are checked against the same snapshot while a server keeps writing.
const { result, chain } = readSnapshot(path, (tx) => ({ result: checkLedger(tx), chain: verifyChain(tx) }));
console.log(`ledger:check ${path}: ${result.accounts} accounts, ${result.transfers} transfers, sum of balances ${result.balanceSumOre} øre, cardholder liability ${formatOre(result.cardholderLiabilityOre)}`);
// The chain head names the whole history: a report or a backup that printed it earlier shows any later rewrite.
console.log(
  `chain: ${chain.checkpoints} seals, sealed through transfer ${chain.sealedThroughSeq}${chain.unsealed > 0 ? ` (${chain.unsealed} newer transfer(s) not sealed yet)` : ""}; head ${chain.head} through transfer ${chain.throughSeq}`,
);
for (const problem of chain.problems) console.error(`CHAIN BROKEN: ${problem}`);
if (!result.ok) for (const violation of result.violations) console.error(`VIOLATION: ${violation}`);
if (!result.ok || !chain.ok) process.exit(1);
console.log("ledger:check OK");
