// Command line for the database: `migrate` (to latest), `down` (one step), `seed` (demo data into an empty database),
// `create-admin` (the first back-office administrator), `backup <file>` (a checked, signed copy while the server runs)
// and `restore <file> [--accept-unsigned]` (refused while a server uses the database, or when the signature fails).
import { parseArgs } from "node:util";
import { loadConfig } from "../server/config.ts";
import { openStore } from "../db/connect.ts";
import { migrateDown, migrateToLatest } from "../db/migrate.ts";
import { seedDemo } from "../server/seed.ts";
import { emailSchema, passwordSchema } from "../common/portal.ts";
import { hashPassword } from "../server/services/auth.ts";
import { createFirstAdministrator } from "../server/services/backoffice/staff.ts";
import { createSchool, DEFAULT_CANTEEN_NAME, listSchools, renameSchool } from "../server/services/backoffice/schools.ts";
import { schoolNameSchema } from "../common/text.ts";
import { backupFromCommandLine, restoreDatabase } from "../server/backups/backup.ts";
import { signingKeys } from "../server/ops/backup-signature.ts";

const command = process.argv[2];

/** A positive whole id from the command line, or a usage error (never NaN handed to a query). */
function positiveId(text: string, option: string): number {
  if (!/^[1-9]\d{0,9}$/.test(text)) {
    console.error(`${option} must be a school's id, a positive whole number (see npm run school:list)`);
    process.exit(2);
  }
  return Number(text);
}
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
  const tenantId = values["tenant-id"] === undefined ? undefined : positiveId(values["tenant-id"], "--tenant-id");
  if (values.school !== undefined && !schoolNameSchema.safeParse(values.school).success) {
    console.error("create-admin: --school needs a name of 1–120 characters without control characters");
    process.exit(2);
  }
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const passwordHash = await hashPassword(password);
  const created = await store.write((tx) => createFirstAdministrator(tx, { email: email.data, name: values.name ?? email.data, tenantId, school: values.school }, passwordHash));
  await store.close();
  if (!created.ok) {
    const explanations = {
      email_taken: "a staff account with this e-mail already exists",
      tenant_not_found: `no school has id ${tenantId} (see npm run school:list)`,
      tenant_ambiguous: "the database holds several schools; add to one with --tenant-id <id> (see npm run school:list) or found a new one with --school <name>",
      school_required: "the database holds no school; found one with --school <name>",
      school_and_tenant: "give either --tenant-id (an existing school) or --school (a new school), not both",
      school_exists: `a school named "${values.school}" already exists (tenant ${"tenantId" in created ? created.tenantId : "?"}); add to it with --tenant-id ${"tenantId" in created ? created.tenantId : "<id>"}`,
    };
    console.error(`create-admin failed: ${explanations[created.reason]}; nothing was created.`);
    process.exit(1);
  }
  const where = created.schoolCreated ? `the new school "${created.school}" (tenant ${created.tenantId}, with the canteen "${DEFAULT_CANTEEN_NAME}")` : `the school "${created.school}" (tenant ${created.tenantId})`;
  console.log(`Administrator ${email.data.toLowerCase()} created (user ${created.userId}) for ${where}.`);
} else if (command === "school-create") {
  const { values } = parseArgs({ args: process.argv.slice(3), options: { name: { type: "string" }, canteen: { type: "string" } } });
  const name = schoolNameSchema.safeParse(values.name ?? "");
  const canteen = values.canteen === undefined ? undefined : schoolNameSchema.safeParse(values.canteen);
  if (!name.success || (canteen && !canteen.success)) {
    console.error('usage: npm run school:create -- --name "<school>" [--canteen "<first canteen>"]   (names of 1–120 characters, no control characters)');
    process.exit(2);
  }
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const created = await store.write((tx) => createSchool(tx, { name: name.data, canteen: canteen?.data }));
  await store.close();
  if (!created.ok) {
    console.error(`school:create failed: a school named "${name.data}" already exists (tenant ${created.tenantId}); nothing was created.`);
    process.exit(1);
  }
  console.log(`School "${created.name}" created (tenant ${created.tenantId}) with the canteen "${created.canteen}" (canteen ${created.canteenId}).`);
  console.log(`Next: npm run admin:create -- --tenant-id ${created.tenantId} --email <e-mail> for its first administrator.`);
} else if (command === "school-list") {
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const schools = store.read((tx) => listSchools(tx));
  await store.close();
  if (schools.length === 0) console.log('No schools yet: npm run school:create -- --name "<school>".');
  for (const school of schools) {
    console.log(`${school.tenantId}\t${school.name}\tcanteens: ${school.canteens.join(", ") || "none"}\tadministrators: ${school.administrators}\tstaff: ${school.staff}\tcardholders: ${school.cardholders}\tcreated ${new Date(school.createdAt).toISOString().slice(0, 10)}`);
  }
} else if (command === "school-rename") {
  const { values } = parseArgs({ args: process.argv.slice(3), options: { "tenant-id": { type: "string" }, name: { type: "string" } } });
  const name = schoolNameSchema.safeParse(values.name ?? "");
  if (values["tenant-id"] === undefined || !name.success) {
    console.error('usage: npm run school:rename -- --tenant-id <id> --name "<new name>"');
    process.exit(2);
  }
  const tenantId = positiveId(values["tenant-id"], "--tenant-id");
  await migrateToLatest(config.databasePath);
  const store = openStore({ path: config.databasePath, synchronous: config.synchronous });
  const renamed = await store.write((tx) => renameSchool(tx, tenantId, name.data));
  await store.close();
  if (!renamed.ok) {
    console.error(renamed.reason === "tenant_not_found" ? `school:rename failed: no school has id ${tenantId} (see npm run school:list).` : `school:rename failed: another school (tenant ${renamed.tenantId}) is named "${name.data}".`);
    process.exit(1);
  }
  console.log(`School ${tenantId} renamed from "${renamed.from}" to "${renamed.name}".`);
} else if (command === "backup") {
  const target = process.argv[3];
  if (!target) {
    console.error("usage: npm run backup -- <file>   (a new file; DATABASE_PATH is copied while the server keeps running)");
    process.exit(2);
  }
  let keys;
  try {
    keys = signingKeys(config);
  } catch (error) {
    console.error(`backup refused: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
  if (keys.development) console.error("WARNING: BACKUP_SIGNING_KEY is not set: this backup is signed with the public development key, which anyone can forge.");
  const outcome = await backupFromCommandLine(config.databasePath, target, keys);
  if (!outcome.ok) {
    console.error(`backup failed: ${outcome.error}`);
    process.exit(1);
  }
  console.log(`Backup of ${config.databasePath} written to ${outcome.file}: ${outcome.bytes} bytes, ${outcome.transfers} transfers, ${outcome.sales} sales; quick_check ok, ledger:check OK, chain OK (${outcome.finishedAt - outcome.startedAt} ms).`);
  console.log(`Signed in ${outcome.signature.file} (key ${outcome.signature.keyId}): chain head ${outcome.signature.head} through transfer ${outcome.signature.throughSeq}.`);
} else if (command === "restore") {
  const { values, positionals } = parseArgs({ args: process.argv.slice(3), options: { "accept-unsigned": { type: "boolean" } }, allowPositionals: true, strict: false });
  const source = positionals[0];
  const acceptUnsigned = values["accept-unsigned"] === true;
  if (!source || positionals.length > 1) {
    console.error("usage: npm run restore -- <backup file> [--accept-unsigned]   (stop the server first; the current database is kept beside it)");
    process.exit(2);
  }
  // Without a key (production without BACKUP_SIGNING_KEY) nothing can be verified: only --accept-unsigned restores.
  let keys = null;
  try {
    keys = signingKeys(config);
  } catch {
    keys = null;
  }
  const outcome = restoreDatabase(source, config.databasePath, { keys, acceptUnsigned });
  if (!outcome.ok) {
    console.error(`restore refused: ${outcome.error}`);
    process.exit(outcome.inUse ? 3 : 1);
  }
  if (!outcome.signature.ok) {
    // Said loudly: this restore skipped the one check that tells a forged backup from a real one.
    console.error(`WARNING: --accept-unsigned: the backup's signature was NOT verified (${outcome.signature.message}).`);
    console.error("WARNING: the integrity, ledger and chain checks passed, but a backup edited consistently passes them too: compare its chain head with a daily report printed before it.");
  } else if (outcome.signature.developmentKey) {
    console.error("WARNING: the backup is signed with the public development key, which anyone can forge.");
  }
  const chain = outcome.check.chain!;
  const signed = outcome.signature.ok ? `signature OK (key ${outcome.signature.keyId}${outcome.signature.oldKey ? ", an old key from BACKUP_SIGNING_KEYS_OLD" : ""})` : "signature NOT checked";
  console.log(`Restored ${source} to ${config.databasePath}: ${outcome.check.transfers} transfers, ${outcome.check.sales} sales; integrity_check ok, ledger:check OK, chain OK, ${signed}.`);
  console.log(`Chain head ${chain.head} through transfer ${chain.throughSeq}.`);
  if (outcome.previous) console.log(`The database it replaced is kept at ${outcome.previous}.`);
  if (outcome.check.pendingMigrations.length > 0) console.log(`The next start migrates it (${outcome.check.pendingMigrations.length} migration(s) newer than the backup).`);
} else {
  console.error("usage: bun tools/cli.ts migrate|down|seed|create-admin|school-create|school-list|school-rename|backup <file>|restore <file>");
  process.exit(2);
}
