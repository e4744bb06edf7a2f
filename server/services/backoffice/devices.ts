// POS terminals and kitchen screens: creating them with a one-time secret, listing and revoking them.
import type { Tx, WriteTx } from "../../../db/tx.ts";
import { audit, type Actor } from "./shared.ts";
import { ownCanteen } from "./canteens.ts";

/** A new random key or screen token (160 bits), shown to staff once; only its SHA-256 is stored. */
export function newSecret(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  return `${prefix}-${Buffer.from(bytes).toString("base64url")}`;
}

export type DeviceKind = "terminal" | "screen";

export interface Device {
  id: number;
  kind: DeviceKind;
  canteenId: number;
  canteen: string;
  name: string;
  revoked: boolean;
  createdAt: number;
}

export function listDevices(tx: Tx, actor: Actor): Device[] {
  const rows = tx.sqlite
    .query(
      `SELECT 'terminal' AS kind, t.id AS id, t.canteen_id AS canteen_id, c.name AS canteen, t.name AS name, t.revoked_at AS revoked_at, t.created_at AS created_at
         FROM terminals t JOIN canteens c ON c.id = t.canteen_id WHERE c.tenant_id = ?1
       UNION ALL
       SELECT 'screen', k.id, k.canteen_id, c.name, k.name, k.revoked_at, k.created_at FROM kitchen_screens k JOIN canteens c ON c.id = k.canteen_id WHERE c.tenant_id = ?1
       ORDER BY 1, 2`,
    )
    .all(actor.tenantId) as Array<{ kind: DeviceKind; id: number; canteen_id: number; canteen: string; name: string; revoked_at: number | null; created_at: number }>;
  return rows.map((row) => ({ id: row.id, kind: row.kind, canteenId: row.canteen_id, canteen: row.canteen, name: row.name, revoked: row.revoked_at !== null, createdAt: row.created_at }));
}

/** Creates a POS terminal or kitchen screen; the caller shows `secret` once. */
export function createDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, canteenId: number, name: string, secretHash: string, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, canteenId)) return null;
  const table = kind === "terminal" ? "terminals (canteen_id, name, api_key_hash, created_at)" : "kitchen_screens (canteen_id, name, token_hash, created_at)";
  const id = Number(tx.sqlite.query(`INSERT INTO ${table} VALUES (?, ?, ?, ?)`).run(canteenId, name, secretHash, nowMs).lastInsertRowid);
  audit(tx, actor, `${kind}.create`, `${kind}:${id}`, { canteenId, name }, nowMs);
  return id;
}

export function revokeDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, id: number, nowMs: number = Date.now()): boolean {
  const table = kind === "terminal" ? "terminals" : "kitchen_screens";
  const result = tx.sqlite
    .query(`UPDATE ${table} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND canteen_id IN (SELECT id FROM canteens WHERE tenant_id = ?)`)
    .run(nowMs, id, actor.tenantId);
  if (result.changes === 1) audit(tx, actor, `${kind}.revoke`, `${kind}:${id}`, {}, nowMs);
  return result.changes === 1;
}
