// Product photos (issue 25): each product may have one photo, stored re-encoded as WebP at a few widths for srcset;
// `products.photo_version` is null without a photo and grows with each upload, so a photo's address changes with it.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE products ADD COLUMN photo_version INTEGER CHECK (photo_version IS NULL OR photo_version > 0)`.execute(db);
  await sql`
    CREATE TABLE product_photos (
      product_id INTEGER NOT NULL REFERENCES products(id),
      width_px INTEGER NOT NULL CHECK (width_px > 0),
      height_px INTEGER NOT NULL CHECK (height_px > 0),
      mime TEXT NOT NULL CHECK (mime = 'image/webp'),
      bytes BLOB NOT NULL,
      PRIMARY KEY (product_id, width_px)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE product_photos`.execute(db);
  await sql`ALTER TABLE products DROP COLUMN photo_version`.execute(db);
}
