// POS terminals and kitchen screens: creating them with a one-time secret, listing and revoking them.
import { db } from "../../../db/query.ts";
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
  const terminals = tx.all(
    db
      .selectFrom("terminals as t")
      .innerJoin("canteens as c", "c.id", "t.canteen_id")
      .select(["t.id", "t.canteen_id", "c.name as canteen", "t.name", "t.revoked_at", "t.created_at"])
      .where("c.tenant_id", "=", actor.tenantId)
      .orderBy("t.id"),
  );
  const screens = tx.all(
    db
      .selectFrom("kitchen_screens as k")
      .innerJoin("canteens as c", "c.id", "k.canteen_id")
      .select(["k.id", "k.canteen_id", "c.name as canteen", "k.name", "k.revoked_at", "k.created_at"])
      .where("c.tenant_id", "=", actor.tenantId)
      .orderBy("k.id"),
  );
  // Screens after terminals, each in creation order (the kind sorts "screen" before "terminal").
  return [...screens.map((row) => ({ row, kind: "screen" as const })), ...terminals.map((row) => ({ row, kind: "terminal" as const }))].map(({ row, kind }) => ({
    id: row.id,
    kind,
    canteenId: row.canteen_id,
    canteen: row.canteen,
    name: row.name,
    revoked: row.revoked_at !== null,
    createdAt: row.created_at,
  }));
}

/** Creates a POS terminal or kitchen screen; the caller shows `secret` once. */
export function createDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, canteenId: number, name: string, secretHash: string, nowMs: number = Date.now()): number | null {
  if (!ownCanteen(tx, actor, canteenId)) return null;
  const id =
    kind === "terminal"
      ? tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name, api_key_hash: secretHash, created_at: nowMs })).lastInsertRowid
      : tx.run(db.insertInto("kitchen_screens").values({ canteen_id: canteenId, name, token_hash: secretHash, created_at: nowMs })).lastInsertRowid;
  audit(tx, actor, `${kind}.create`, `${kind}:${id}`, { canteenId, name }, nowMs);
  return id;
}

export function revokeDevice(tx: WriteTx, actor: Actor, kind: DeviceKind, id: number, nowMs: number = Date.now()): boolean {
  const ownCanteens = db.selectFrom("canteens").select("id").where("tenant_id", "=", actor.tenantId);
  const result =
    kind === "terminal"
      ? tx.run(db.updateTable("terminals").set({ revoked_at: nowMs }).where("id", "=", id).where("revoked_at", "is", null).where("canteen_id", "in", ownCanteens))
      : tx.run(db.updateTable("kitchen_screens").set({ revoked_at: nowMs }).where("id", "=", id).where("revoked_at", "is", null).where("canteen_id", "in", ownCanteens));
  if (result.changes === 1) audit(tx, actor, `${kind}.revoke`, `${kind}:${id}`, {}, nowMs);
  return result.changes === 1;
}
