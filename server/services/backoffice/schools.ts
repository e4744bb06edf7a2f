// Schools (tenants) as the site operator creates, lists and renames them from the command line (`npm run
// school:create`, `school:list`, `school:rename`). A school is created on purpose, with its first canteen and that
// canteen's revenue account, and never as a side effect of adding a staff member: nothing of one school is visible to
// another's staff, tills, screens or reports. These functions are not reachable over HTTP; no staff role reaches them.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { openAccount } from "../../ledger/ledger.ts";
import { audit, type AuditActor } from "./shared.ts";

/** The audit log's name for the site operator at the command line (no user of any school). */
export const SITE_OPERATOR = "site operator (command line)";

export interface School {
  tenantId: number;
  name: string;
  createdAt: number;
  canteens: string[];
  administrators: number;
  staff: number;
  cardholders: number;
}

export const DEFAULT_CANTEEN_NAME = "Kantinen";

/** Names compared as a person reads them: trimmed, inner spaces collapsed, Danish case folding (Æ, Ø, Å). */
function folded(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLocaleLowerCase("da");
}

export function schoolNamed(tx: Tx, name: string): { tenantId: number; name: string } | undefined {
  const wanted = folded(name);
  const row = tx.all(db.selectFrom("tenants").select(["id", "name"]).orderBy("id")).find((tenant) => folded(tenant.name) === wanted);
  return row === undefined ? undefined : { tenantId: row.id, name: row.name };
}

export type CreateSchoolResult = { ok: true; tenantId: number; canteenId: number; name: string; canteen: string } | { ok: false; reason: "name_taken"; tenantId: number };

/**
 * A new school with one canteen (its own revenue account). Names are unique among schools, compared as `folded` does,
 * so a retried command cannot make a twin school: the second run answers `name_taken` with the first one's id.
 */
export function createSchool(tx: WriteTx, request: { name: string; canteen?: string | undefined }, nowMs: number = Date.now()): CreateSchoolResult {
  const name = request.name.trim().replace(/\s+/g, " ");
  const existing = schoolNamed(tx, name);
  if (existing) return { ok: false, reason: "name_taken", tenantId: existing.tenantId };
  const canteen = request.canteen?.trim().replace(/\s+/g, " ") || DEFAULT_CANTEEN_NAME;
  const tenantId = tx.run(db.insertInto("tenants").values({ name, created_at: nowMs })).lastInsertRowid;
  const revenueAccountId = openAccount(tx, { kind: "canteen_revenue", name: `${canteen} omsætning`, code: `revenue:tenant-${tenantId}` }, nowMs);
  const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name: canteen, revenue_account_id: revenueAccountId, created_at: nowMs })).lastInsertRowid;
  const operator: AuditActor = { tenantId, userId: null, label: SITE_OPERATOR };
  audit(tx, operator, "school.create", `tenant:${tenantId}`, { name, canteen }, nowMs);
  audit(tx, operator, "canteen.create", `canteen:${canteenId}`, { name: canteen }, nowMs);
  return { ok: true, tenantId, canteenId, name, canteen };
}

export function listSchools(tx: Tx): School[] {
  const tenants = tx.all(db.selectFrom("tenants").select(["id", "name", "created_at"]).orderBy("id"));
  const canteens = tx.all(db.selectFrom("canteens").select(["tenant_id", "name"]).orderBy("id"));
  const people = tx.all(
    db
      .selectFrom("users")
      .select(["tenant_id", "role"])
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("disabled_at", "is", null)
      .groupBy(["tenant_id", "role"]),
  );
  const count = (tenantId: number, role: string) => Number(people.find((row) => row.tenant_id === tenantId && row.role === role)?.count ?? 0);
  return tenants.map((tenant) => ({
    tenantId: tenant.id,
    name: tenant.name,
    createdAt: tenant.created_at,
    canteens: canteens.filter((canteen) => canteen.tenant_id === tenant.id).map((canteen) => canteen.name),
    administrators: count(tenant.id, "admin"),
    staff: count(tenant.id, "staff"),
    cardholders: count(tenant.id, "cardholder"),
  }));
}

export function renameSchool(tx: WriteTx, tenantId: number, name: string, nowMs: number = Date.now()): { ok: true; from: string; name: string } | { ok: false; reason: "tenant_not_found" } | { ok: false; reason: "name_taken"; tenantId: number } {
  const clean = name.trim().replace(/\s+/g, " ");
  const current = tx.first(db.selectFrom("tenants").select("name").where("id", "=", tenantId));
  if (!current) return { ok: false, reason: "tenant_not_found" };
  const existing = schoolNamed(tx, clean);
  if (existing && existing.tenantId !== tenantId) return { ok: false, reason: "name_taken", tenantId: existing.tenantId };
  tx.run(db.updateTable("tenants").set({ name: clean }).where("id", "=", tenantId));
  audit(tx, { tenantId, userId: null, label: SITE_OPERATOR }, "school.rename", `tenant:${tenantId}`, { from: current.name, name: clean }, nowMs);
  return { ok: true, from: current.name, name: clean };
}
