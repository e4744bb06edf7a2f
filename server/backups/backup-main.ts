// The scheduled backup's worker process: copies and checks the database in a process of its own, so that the server's
// event loop never waits for VACUUM INTO or the checks. Prints the outcome as one JSON object.
import { backupDatabase } from "./backup.ts";
import { signingKeys } from "../ops/backup-signature.ts";

const [databasePath, target] = process.argv.slice(2);
if (!databasePath || !target) {
  process.stderr.write("usage: bun server/backups/backup-main.ts <database> <target>\n");
  process.exit(2);
}
// The server passes the key it signs with in BACKUP_SIGNING_KEY (its own, or the development key it warned about).
const keys = signingKeys({ backupSigningKey: process.env.BACKUP_SIGNING_KEY ?? null, backupSigningKeysOld: [], production: process.env.NODE_ENV === "production" });
process.stdout.write(JSON.stringify(backupDatabase(databasePath, target, keys)));
