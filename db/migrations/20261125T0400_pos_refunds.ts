// POS refunds remember the request's amount and the answer's balance, so that a replay is compared and answered exactly.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  // The amount the till asked for, null when it asked for "the rest"; amount_ore is what was (or would be) refunded.
  await sql`ALTER TABLE refunds ADD COLUMN requested_amount_ore INTEGER`.execute(db);
  // The card's balance in the original answer, also for declines, so that a replay returns the same answer.
  await sql`ALTER TABLE refunds ADD COLUMN balance_after_ore INTEGER`.execute(db);
  // Older rows did not record the request. A declined "the rest" request stored 0 (amounts are at least 1), so 0
  // means omitted; otherwise assume the amount was given. Approved rows take their balance from their transfer;
  // the balance of an older decline is unknown and stays null.
  await sql`UPDATE refunds SET requested_amount_ore = NULLIF(amount_ore, 0)`.execute(db);
  await sql`UPDATE refunds SET balance_after_ore = (SELECT credit_balance_after_ore FROM transfers WHERE transfers.id = refunds.transfer_id) WHERE transfer_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE refunds DROP COLUMN balance_after_ore`.execute(db);
  await sql`ALTER TABLE refunds DROP COLUMN requested_amount_ore`.execute(db);
}
