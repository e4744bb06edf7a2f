// The sealed ledger (issue 29, finding 8): checkpoints of the hash chain over the transfers, append-only like the ledger.
import { sql, type Kysely } from "kysely";

// Raw SQL throughout: a table with CHECKs and triggers is schema, which Kysely's query builder does not express.
export async function up(db: Kysely<any>): Promise<void> {
  // One row per sealing batch: the chain's head after the transfer with seq = through_seq (server/ledger/chain.ts). The
  // chain itself is recomputed from the transfers, so a row per batch (not per transfer) is all a verifier needs.
  await sql`
    CREATE TABLE ledger_seals (
      through_seq INTEGER PRIMARY KEY CHECK (through_seq > 0),
      head TEXT NOT NULL CHECK (length(head) = 64),
      sealed_at_ms INTEGER NOT NULL
    )`.execute(db);
  // Seals are as immutable as the transfers they seal: a wrong seal is an alarm for a person, never a row to fix.
  await sql`CREATE TRIGGER ledger_seals_no_update BEFORE UPDATE ON ledger_seals BEGIN SELECT RAISE(ABORT, 'ledger seals are append-only'); END`.execute(db);
  await sql`CREATE TRIGGER ledger_seals_no_delete BEFORE DELETE ON ledger_seals BEGIN SELECT RAISE(ABORT, 'ledger seals are append-only'); END`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER ledger_seals_no_delete`.execute(db);
  await sql`DROP TRIGGER ledger_seals_no_update`.execute(db);
  await sql`DROP TABLE ledger_seals`.execute(db);
}
