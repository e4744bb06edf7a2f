// Staff members and administrators of a tenant, and the first administrator created from the command line.
import { db } from "../../../db/query.ts";
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { deleteUserSessions } from "../../auth/session.ts";
import { audit, type Actor, type StaffRole } from "./shared.ts";
import { createSchool } from "./schools.ts";

export interface StaffMember {
  userId: number;
  email: string;
  name: string | null;
  role: StaffRole;
  disabled: boolean;
  createdAt: number;
}

export function listStaff(tx: Tx, tenantId: number): StaffMember[] {
  const rows = tx.all(
    db
      .selectFrom("users")
      .select(["id", "email", "name", "role", "disabled_at", "created_at"])
      .where("tenant_id", "=", tenantId)
      .where("role", "in", ["staff", "admin"])
      .orderBy((eb) => eb("disabled_at", "is not", null))
      .orderBy("email")
      // Staff always have an e-mail and a staff role (createStaffUser); the narrowing says so to the types.
      .$narrowType<{ email: string; role: StaffRole }>(),
  );
  return rows.map((row) => ({ userId: row.id, email: row.email, name: row.name, role: row.role, disabled: row.disabled_at !== null, createdAt: row.created_at }));
}

/**
 * A staff member or administrator of `tenantId`, signing in with e-mail and password (hashed by the caller, outside the
 * write job). E-mail addresses are stored in lower case and unique among staff of every tenant, because the sign-in
 * form asks for the e-mail only. `actor` is null for the command-line bootstrap, which then audits as the new user.
 */
export function createStaffUser(
  tx: WriteTx,
  actor: Actor | null,
  tenantId: number,
  fields: { email: string; name: string; role: StaffRole },
  passwordHash: string,
  nowMs: number = Date.now(),
): { ok: true; userId: number } | { ok: false; reason: "email_taken" } {
  const email = fields.email.trim().toLowerCase();
  if (staffEmailTaken(tx, email)) return { ok: false, reason: "email_taken" };
  const userId = tx.run(db.insertInto("users").values({ tenant_id: tenantId, role: fields.role, name: fields.name.trim(), email, password_hash: passwordHash, created_at: nowMs })).lastInsertRowid;
  const by = actor ?? { userId, tenantId, role: fields.role, label: `cli:${email}` };
  audit(tx, by, "staff.create", `user:${userId}`, { email, role: fields.role }, nowMs);
  return { ok: true, userId };
}

function staffEmailTaken(tx: Tx, email: string): boolean {
  const folded = email.trim().toLowerCase();
  return tx.first(db.selectFrom("users").select("id").where((eb) => eb(eb.fn("lower", ["email"]), "=", folded)).where("role", "in", ["staff", "admin"])) !== undefined;
}

export type StaffChangeRefusal = { ok: false; reason: "staff_not_found" | "own_account" };

/** A staff member of the actor's tenant other than the actor: nobody demotes or disables themselves (the last administrator would lock the tenant out). */
function otherStaffOfTenant(tx: Tx, actor: Actor, userId: number): { ok: true } | StaffChangeRefusal {
  if (userId === actor.userId) return { ok: false, reason: "own_account" };
  const found = tx.first(
    db.selectFrom("users").select("id").where("id", "=", userId).where("tenant_id", "=", actor.tenantId).where("role", "in", ["staff", "admin"]).where("disabled_at", "is", null),
  );
  return found ? { ok: true } : { ok: false, reason: "staff_not_found" };
}

export function setStaffRole(tx: WriteTx, actor: Actor, userId: number, role: StaffRole, nowMs: number = Date.now()): { ok: true } | StaffChangeRefusal {
  const found = otherStaffOfTenant(tx, actor, userId);
  if (!found.ok) return found;
  // The role is read on every request, so a demotion takes effect at once without ending sessions.
  tx.run(db.updateTable("users").set({ role }).where("id", "=", userId));
  audit(tx, actor, "staff.role", `user:${userId}`, { role }, nowMs);
  return { ok: true };
}

/** Disables a staff account: it can no longer sign in, and every session it has ends now. */
export function disableStaff(tx: WriteTx, actor: Actor, userId: number, nowMs: number = Date.now()): { ok: true } | StaffChangeRefusal {
  const found = otherStaffOfTenant(tx, actor, userId);
  if (!found.ok) return found;
  tx.run(db.updateTable("users").set({ disabled_at: nowMs }).where("id", "=", userId));
  deleteUserSessions(tx, userId);
  audit(tx, actor, "staff.disable", `user:${userId}`, {}, nowMs);
  return { ok: true };
}

/**
 * An administrator created at the command line (`npm run admin:create`). Which school is always plain:
 * - `school` founds a new school with one canteen (refused when a school of that name exists: add to it by id);
 * - `tenantId` adds the administrator to that existing school;
 * - neither joins the only school there is, and is refused in an empty database or among several schools.
 * Both at once is refused: the two say different things.
 */
export function createFirstAdministrator(
  tx: WriteTx,
  request: { email: string; name: string; tenantId?: number | undefined; school?: string | undefined },
  passwordHash: string,
  nowMs: number = Date.now(),
):
  | { ok: true; userId: number; tenantId: number; school: string; schoolCreated: boolean }
  | { ok: false; reason: "email_taken" | "tenant_not_found" | "tenant_ambiguous" | "school_required" | "school_and_tenant" }
  | { ok: false; reason: "school_exists"; tenantId: number } {
  if (request.tenantId !== undefined && request.school !== undefined) return { ok: false, reason: "school_and_tenant" };
  // Checked before a school is founded, so a taken e-mail leaves no empty school behind (the write job is one
  // transaction either way; this keeps the answer about the e-mail, not about the school).
  if (staffEmailTaken(tx, request.email)) return { ok: false, reason: "email_taken" };
  const tenants = tx.all(db.selectFrom("tenants").select(["id", "name"]).orderBy("id"));
  let tenant: { id: number; name: string };
  let schoolCreated = false;
  if (request.school !== undefined) {
    if (!request.school.trim()) return { ok: false, reason: "school_required" };
    const founded = createSchool(tx, { name: request.school }, nowMs);
    if (!founded.ok) return { ok: false, reason: "school_exists", tenantId: founded.tenantId };
    tenant = { id: founded.tenantId, name: founded.name };
    schoolCreated = true;
  } else if (request.tenantId !== undefined) {
    const found = tenants.find((row) => row.id === request.tenantId);
    if (!found) return { ok: false, reason: "tenant_not_found" };
    tenant = found;
  } else if (tenants.length === 1) {
    tenant = tenants[0]!;
  } else if (tenants.length > 1) {
    return { ok: false, reason: "tenant_ambiguous" };
  } else {
    return { ok: false, reason: "school_required" };
  }
  const created = createStaffUser(tx, null, tenant.id, { email: request.email, name: request.name, role: "admin" }, passwordHash, nowMs);
  return created.ok ? { ok: true, userId: created.userId, tenantId: tenant.id, school: tenant.name, schoolCreated } : created;
}
