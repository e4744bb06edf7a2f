// Years of data (issue 27): indexes by time for the reports, a case-folded e-mail index, and a trigram name search.
import { sql, type Kysely } from "kysely";

/**
 * What one cardholder is found by in the back office: the name as written and with ø/æ spelled o/ae (so "Soren"
 * finds "Søren"; the tokenizer itself folds case and drops accents such as å → a and é → e), school, class and the
 * current card numbers. Lines apart, so a search does not match across two fields.
 */
const searchText = (userId: string) => `
  SELECT u.id,
         coalesce(u.name, '') || char(10) ||
         replace(replace(replace(replace(coalesce(u.name, ''), 'ø', 'o'), 'Ø', 'O'), 'æ', 'ae'), 'Æ', 'Ae') || char(10) ||
         coalesce(u.school, '') || char(10) || coalesce(u.class_name, '') || char(10) ||
         coalesce((SELECT group_concat(c.card_number, char(10)) FROM cards c WHERE c.user_id = u.id AND c.replaced_by_card_id IS NULL), '')
  FROM users u WHERE u.id = ${userId} AND u.role = 'cardholder'`;

// Raw SQL throughout: indexes, a virtual table and triggers are schema, which Kysely's query builder does not express.
export async function up(db: Kysely<any>): Promise<void> {
  // The reports read one day (or month) of movements; without these they scanned every transfer and order ever made.
  await sql`CREATE INDEX transfers_created ON transfers(created_at)`.execute(db);
  await sql`CREATE INDEX orders_canteen_created ON orders(canteen_id, created_at)`.execute(db);
  // Staff sign-in and password reset compare lower(email): an index on the same expression serves them.
  await sql`CREATE INDEX users_email_lower ON users(lower(email))`.execute(db);

  // Trigram full-text search: any three letters of a name find it, without reading every cardholder. Kept in step by
  // triggers, so the transaction that writes a name or a card writes its search text too.
  await sql`CREATE VIRTUAL TABLE cardholder_search USING fts5(text, tokenize = 'trigram remove_diacritics 1')`.execute(db);
  // Every cardholder of today ("u.id = u.id" holds for each row).
  await sql.raw(`INSERT INTO cardholder_search(rowid, text) ${searchText("u.id")}`).execute(db);
  for (const [name, event, id] of [
    ["users_search_insert", "AFTER INSERT ON users", "new.id"],
    ["users_search_update", "AFTER UPDATE OF name, school, class_name, role ON users", "new.id"],
    ["cards_search_insert", "AFTER INSERT ON cards", "new.user_id"],
    ["cards_search_update", "AFTER UPDATE OF card_number, replaced_by_card_id, user_id ON cards", "new.user_id"],
  ] as const) {
    await sql
      .raw(`CREATE TRIGGER ${name} ${event} BEGIN
        DELETE FROM cardholder_search WHERE rowid = ${id};
        INSERT INTO cardholder_search(rowid, text) ${searchText(id)};
      END`)
      .execute(db);
  }
  await sql`CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN DELETE FROM cardholder_search WHERE rowid = old.id; END`.execute(db);

  // The totals of each closed day per school, so a month or a year report adds up days instead of reading every
  // transfer of the period (services/backoffice/period-report.ts). One row per school and day, kept like the ledger.
  await sql`
    CREATE TABLE report_days (
      tenant_id INTEGER NOT NULL REFERENCES tenants(id),
      day TEXT NOT NULL,
      version INTEGER NOT NULL,
      totals_json TEXT NOT NULL,
      computed_at INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, day)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE report_days`.execute(db);
  for (const trigger of ["users_search_insert", "users_search_update", "users_search_delete", "cards_search_insert", "cards_search_update"]) {
    await sql`DROP TRIGGER ${sql.raw(trigger)}`.execute(db);
  }
  await sql`DROP TABLE cardholder_search`.execute(db);
  await sql`DROP INDEX users_email_lower`.execute(db);
  await sql`DROP INDEX orders_canteen_created`.execute(db);
  await sql`DROP INDEX transfers_created`.execute(db);
}
