// Who blocked a card: its holder or a guardian in the portal, or staff in the back office (only an administrator reopens the first kind).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE cards ADD COLUMN blocked_by TEXT CHECK (blocked_by IS NULL OR blocked_by IN ('holder', 'guardian', 'staff'))`.execute(db);
  // Before this column the back office audited every block it made and the portal audited none. So a blocked card
  // whose latest back-office status entry is a block was blocked by staff; any other blocked card (the portal's
  // "Spær kort", or a staff block later undone and blocked again in the portal) counts as the holder's, the safe side.
  await sql`
    UPDATE cards SET blocked_by = CASE
      WHEN (SELECT a.action FROM audit_log a WHERE a.target = 'card:' || cards.id AND a.action IN ('card.block', 'card.unblock') ORDER BY a.id DESC LIMIT 1) = 'card.block' THEN 'staff'
      ELSE 'holder'
    END
    WHERE status = 'blocked' AND replaced_by_card_id IS NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE cards DROP COLUMN blocked_by`.execute(db);
}
