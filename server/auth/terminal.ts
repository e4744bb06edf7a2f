// Authenticates POS terminals by their bearer API key; only the key's SHA-256 is stored.
import { sha256 } from "@oslojs/crypto/sha2";
import { encodeHexLowerCase } from "@oslojs/encoding";
import type { Tx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
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

/** Runs on every till request (before the sale), so it is compiled once. */
const terminalByKeyHash = prepared<{ keyHash: string }>()((p) =>
  db
    .selectFrom("terminals as t")
    .innerJoin("canteens as c", "c.id", "t.canteen_id")
    .select(["t.id as terminalId", "t.name as terminalName", "c.id as canteenId", "c.name as canteenName", "c.tenant_id as tenantId", "c.revenue_account_id as revenueAccountId"])
    .where("t.api_key_hash", "=", p.keyHash)
    .where("t.revoked_at", "is", null),
);

export function findTerminalByKey(tx: Tx, key: string): TerminalIdentity | null {
  return terminalByKeyHash.first(tx, { keyHash: hashApiKey(key) }) ?? null;
}
