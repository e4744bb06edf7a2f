// `npm run ledger:check`: verifies the ledger invariants of the configured database; exits 1 on any violation.
import { existsSync } from "node:fs";
import { loadConfig } from "../config.ts";
import { readSnapshot } from "../../db/connect.ts";
import { checkLedger } from "./ledger.ts";
import { formatOre } from "../../common/money.ts";

const path = process.argv[2] ?? loadConfig().databasePath;
// A check only reads: a mistyped path must fail clearly instead of leaving an empty database (and its directory) behind.
if (!existsSync(path)) {
  console.error(`ledger:check: no database file at ${path}`);
  process.exit(1);
}
// One read transaction, so that every invariant is checked against the same snapshot while a server keeps writing.
const result = readSnapshot(path, checkLedger);
console.log(`ledger:check ${path}: ${result.accounts} accounts, ${result.transfers} transfers, sum of balances ${result.balanceSumOre} øre, cardholder liability ${formatOre(result.cardholderLiabilityOre)}`);
if (!result.ok) {
  for (const violation of result.violations) console.error(`VIOLATION: ${violation}`);
  process.exit(1);
}
console.log("ledger:check OK");
