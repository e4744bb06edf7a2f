// Authenticates POS terminals by their bearer API key; only the key's SHA-256 is stored.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Tx } from "../../db/tx.ts";
import type { TerminalIdentity } from "../services/pos.ts";

export function hashApiKey(key: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(key)));
}

/** The bearer token from an Authorization header, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,200})$/i.exec(header.trim());
  return match ? match[1]! : null;
}

export function findTerminalByKey(tx: Tx, key: string): TerminalIdentity | null {
  const row = tx.sqlite
    .query(
      `SELECT t.id AS terminal_id, t.name AS terminal_name, c.id AS canteen_id, c.name AS canteen_name, c.tenant_id, c.revenue_account_id
       FROM terminals t JOIN canteens c ON c.id = t.canteen_id
       WHERE t.api_key_hash = ? AND t.revoked_at IS NULL`,
    )
    .get(hashApiKey(key)) as
    | { terminal_id: number; terminal_name: string; canteen_id: number; canteen_name: string; tenant_id: number; revenue_account_id: number }
    | null;
  if (!row) return null;
  return {
    terminalId: row.terminal_id,
    terminalName: row.terminal_name,
    canteenId: row.canteen_id,
    canteenName: row.canteen_name,
    tenantId: row.tenant_id,
    revenueAccountId: row.revenue_account_id,
  };
}
