// Command line for the database: `migrate` (to latest), `down` (one step), `seed` (demo data into an empty database),
// `create-admin` (the first back-office administrator), `backup <file>` (a checked copy while the server runs) and
// `restore <file>` (refused while a server uses the database).
import { parseArgs } from "node:util";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../db/connect.ts";
import { migrateDown, migrateToLatest } from "../db/migrate.ts";
import { seedDemo } from "../server/seed.ts";
import { emailSchema, passwordSchema } from "../common/portal.ts";
import { hashPassword } from "../server/services/auth.ts";
import { createFirstAdministrator } from "../server/services/backoffice/staff.ts";
import { backupFromCommandLine, restoreDatabase } from "../server/ops/backup.ts";

const command = process.argv[2];
const config = loadConfig();

if (command === "migrate") {
  const result = await migrateToLatest(config.databasePath);
  for (const migration of result.results ?? []) console.log(`${migration.direction} ${migration.migrationName}: ${migration.status}`);
  console.log(`Database ${config.databasePath} is at the latest schema.`);
} else if (command === "down") {
  const result = await migrateDown(config.databasePath);
  for (const migration of result.results ?? []) console.log(`${migration.direction} ${migration.migrationName}: ${migration.status}`);
} else if (command === "seed") {
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const seeded = await seedDemo(store, { posDemoKey: config.posDemoKey, kitchenDemoToken: config.kitchenDemoToken });
  console.log(seeded ? "Demo data loaded." : "The database already holds data; nothing seeded.");
  await store.close();
} else if (command === "create-admin") {
  // The password may come from ADMIN_PASSWORD instead of --password, so it need not stand in the shell history.
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: { email: { type: "string" }, password: { type: "string" }, name: { type: "string" }, "tenant-id": { type: "string" }, school: { type: "string" } },
  });
  const password = values.password ?? process.env.ADMIN_PASSWORD ?? "";
  const checked = passwordSchema.safeParse(password);
  const email = emailSchema.safeParse(values.email);
  if (!email.success || !checked.success) {
    console.error("usage: bun tools/cli.ts create-admin --email <e-mail> (--password <password> | ADMIN_PASSWORD=…) [--name <name>] [--tenant-id <id> | --school <name>]");
    if (!checked.success) console.error(checked.error.issues.map((issue) => issue.message).join("; "));
    process.exit(2);
  }
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const passwordHash = await hashPassword(password);
  const tenantId = values["tenant-id"] === undefined ? undefined : Number(values["tenant-id"]);
  const created = await store.write((tx) => createFirstAdministrator(tx, { email: email.data, name: values.name ?? email.data, tenantId, school: values.school }, passwordHash));
  await store.close();
  if (!created.ok) {
    const explanations = {
      email_taken: "a staff account with this e-mail already exists",
      tenant_not_found: "no tenant has that id",
      tenant_ambiguous: "the database holds several tenants; choose one with --tenant-id",
      school_required: "the database is empty; name the school with --school",
    };
    console.error(`create-admin failed: ${explanations[created.reason]}`);
    process.exit(1);
  }
  console.log(`Administrator ${email.data.toLowerCase()} created (user ${created.userId}, tenant ${created.tenantId}).`);
} else if (command === "backup") {
  const target = process.argv[3];
  if (!target) {
    console.error("usage: npm run backup -- <file>   (a new file; DATABASE_PATH is copied while the server keeps running)");
    process.exit(2);
  }
  const outcome = await backupFromCommandLine(config.databasePath, target);
  if (!outcome.ok) {
    console.error(`backup failed: ${outcome.error}`);
    process.exit(1);
  }
  console.log(`Backup of ${config.databasePath} written to ${outcome.file}: ${outcome.bytes} bytes, ${outcome.transfers} transfers, ${outcome.sales} sales; quick_check ok, ledger:check OK (${outcome.finishedAt - outcome.startedAt} ms).`);
} else if (command === "restore") {
  const source = process.argv[3];
  if (!source) {
    console.error("usage: npm run restore -- <backup file>   (stop the server first; the current database is kept beside it)");
    process.exit(2);
  }
  const outcome = restoreDatabase(source, config.databasePath);
  if (!outcome.ok) {
    console.error(`restore refused: ${outcome.error}`);
    process.exit(outcome.inUse ? 3 : 1);
  }
  console.log(`Restored ${source} to ${config.databasePath}: ${outcome.check.transfers} transfers, ${outcome.check.sales} sales; integrity_check ok, ledger:check OK.`);
  if (outcome.previous) console.log(`The database it replaced is kept at ${outcome.previous}.`);
  if (outcome.check.pendingMigrations.length > 0) console.log(`The next start migrates it (${outcome.check.pendingMigrations.length} migration(s) newer than the backup).`);
} else {
  console.error("usage: bun tools/cli.ts migrate|down|seed|create-admin|backup <file>|restore <file>");
  process.exit(2);
}
