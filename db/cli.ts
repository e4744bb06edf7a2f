// Command line for the database: `migrate` (to latest), `down` (one step), `seed` (demo data into an empty database).
import { loadConfig } from "../server/config.ts";
import { openStore } from "./connect.ts";
import { migrateDown, migrateToLatest } from "./migrate.ts";
import { seedDemo } from "./seed.ts";

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
} else {
  console.error("usage: bun db/cli.ts migrate|down|seed");
  process.exit(2);
}
