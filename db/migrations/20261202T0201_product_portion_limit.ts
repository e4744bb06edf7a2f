// A product's portion limit per day: the default limit of the menu item made when the product is ticked onto a day.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE products ADD COLUMN daily_portion_limit INTEGER CHECK (daily_portion_limit IS NULL OR daily_portion_limit >= 0)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE products DROP COLUMN daily_portion_limit`.execute(db);
}
