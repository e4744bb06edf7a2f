// `npm run ledger:check`: verifies the ledger invariants of the configured database; exits 1 on any violation.
import { loadConfig } from "../config.ts";
import { openStore } from "../../db/connect.ts";
import { checkLedger } from "./ledger.ts";
import { formatOre } from "../../common/money.ts";

const path = process.argv[2] ?? loadConfig().databasePath;
const store = openStore({ path });
const result = store.read((tx) => checkLedger(tx));
await store.close();
console.log(`ledger:check ${path}: ${result.accounts} accounts, ${result.transfers} transfers, sum of balances ${result.balanceSumOre} øre, cardholder liability ${formatOre(result.cardholderLiabilityOre)}`);
if (!result.ok) {
  for (const violation of result.violations) console.error(`VIOLATION: ${violation}`);
  process.exit(1);
}
console.log("ledger:check OK");
