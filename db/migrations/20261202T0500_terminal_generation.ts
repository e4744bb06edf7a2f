// A counter that moves whenever a terminal or its canteen changes, so every process can keep its terminal lookups in
// memory and still refuse a revoked key on its very next request (server/auth/terminal.ts).
import { sql, type Kysely } from "kysely";

// Triggers, not application code, move it: a revocation from any process, tool or hand-written UPDATE is seen.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE terminal_generation (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      value INTEGER NOT NULL
    )`.execute(db);
  await sql`INSERT INTO terminal_generation (id, value) VALUES (1, 0)`.execute(db);
  await sql`CREATE TRIGGER terminals_generation_update AFTER UPDATE ON terminals BEGIN UPDATE terminal_generation SET value = value + 1 WHERE id = 1; END`.execute(db);
  await sql`CREATE TRIGGER terminals_generation_delete AFTER DELETE ON terminals BEGIN UPDATE terminal_generation SET value = value + 1 WHERE id = 1; END`.execute(db);
  // The cached identity carries the canteen's name, tenant and revenue account.
  await sql`CREATE TRIGGER canteens_generation_update AFTER UPDATE ON canteens BEGIN UPDATE terminal_generation SET value = value + 1 WHERE id = 1; END`.execute(db);
  await sql`CREATE TRIGGER canteens_generation_delete AFTER DELETE ON canteens BEGIN UPDATE terminal_generation SET value = value + 1 WHERE id = 1; END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER canteens_generation_delete`.execute(db);
  await sql`DROP TRIGGER canteens_generation_update`.execute(db);
  await sql`DROP TRIGGER terminals_generation_delete`.execute(db);
  await sql`DROP TRIGGER terminals_generation_update`.execute(db);
  await sql`DROP TABLE terminal_generation`.execute(db);
}
