// Back office per tenant: the audit log names the tenant it belongs to, and staff accounts can be disabled.
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE audit_log ADD COLUMN tenant_id INTEGER REFERENCES tenants(id)`.execute(db);
  // The log is append-only by trigger; the one-time backfill of the new column lifts that rule for this statement only.
  // Entries whose actor is unknown keep a null tenant and are shown to no tenant.
  await sql`DROP TRIGGER audit_log_no_update`.execute(db);
  await sql`UPDATE audit_log SET tenant_id = (SELECT tenant_id FROM users WHERE users.id = audit_log.actor_user_id)`.execute(db);
  await sql`CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END`.execute(db);
  await sql`CREATE INDEX audit_log_tenant ON audit_log(tenant_id, id)`.execute(db);
  // A disabled staff member can no longer sign in; the row stays, because the audit log refers to it.
  await sql`ALTER TABLE users ADD COLUMN disabled_at INTEGER`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE users DROP COLUMN disabled_at`.execute(db);
  await sql`DROP INDEX IF EXISTS audit_log_tenant`.execute(db);
  await sql`ALTER TABLE audit_log DROP COLUMN tenant_id`.execute(db);
}
