// The scheduled backup's worker process: copies and checks the database in a process of its own, so that the server's
// event loop never waits for VACUUM INTO or the checks. Prints the outcome as one JSON object.
import { backupDatabase } from "./backup.ts";

const [databasePath, target] = process.argv.slice(2);
if (!databasePath || !target) {
  process.stderr.write("usage: bun server/ops/backup-main.ts <database> <target>\n");
  process.exit(2);
}
process.stdout.write(JSON.stringify(backupDatabase(databasePath, target)));
