// A kitchen screen's position in the order-event log counts its own canteen's events only (issue 29 finding 5): the
// site-wide `seq` told every school's screen how many order changes all schools had made. `canteen_seq` numbers each
// canteen's events 1, 2, 3 … in `seq` order; screens resume from it and never see `seq`.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE order_events ADD COLUMN canteen_seq INTEGER NOT NULL DEFAULT 0`.execute(db);
  await sql`
    UPDATE order_events SET canteen_seq = numbered.n
    FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY canteen_id ORDER BY seq) AS n FROM order_events) AS numbered
    WHERE numbered.seq = order_events.seq`.execute(db);
  await sql`CREATE UNIQUE INDEX order_events_canteen_position ON order_events(canteen_id, canteen_seq)`.execute(db);
  // The screen's backfill reads one canteen's day after a position: the old (canteen, day, seq) index becomes this one.
  await sql`DROP INDEX order_events_canteen`.execute(db);
  await sql`CREATE INDEX order_events_canteen_day ON order_events(canteen_id, delivery_day, canteen_seq)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX order_events_canteen_day`.execute(db);
  await sql`DROP INDEX order_events_canteen_position`.execute(db);
  await sql`CREATE INDEX order_events_canteen ON order_events(canteen_id, delivery_day, seq)`.execute(db);
  await sql`ALTER TABLE order_events DROP COLUMN canteen_seq`.execute(db);
}
