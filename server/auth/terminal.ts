// Authenticates POS terminals by their bearer API key; only the key's SHA-256 is stored.
import type { Tx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";

/** The till a terminal key belongs to: what every till procedure acts as. */
export interface TerminalIdentity {
  terminalId: number;
  terminalName: string;
  canteenId: number;
  canteenName: string;
  tenantId: number;
  revenueAccountId: number;
}

/** SHA-256 of the key as lowercase hex, hashed natively (a pure-JavaScript SHA-256 was a tenth of a sale's time). */
export function hashApiKey(key: string): string {
  return Bun.CryptoHasher.hash("sha256", key, "hex");
}

/** The bearer token from an Authorization header, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S{1,200})$/i.exec(header.trim());
  return match ? match[1]! : null;
}

/** Runs on a till request whose key is not cached yet, so it is compiled once. */
const terminalByKeyHash = prepared<{ keyHash: string }>()((p) =>
  db
    .selectFrom("terminals as t")
    .innerJoin("canteens as c", "c.id", "t.canteen_id")
    .select(["t.id as terminalId", "t.name as terminalName", "c.id as canteenId", "c.name as canteenName", "c.tenant_id as tenantId", "c.revenue_account_id as revenueAccountId"])
    .where("t.api_key_hash", "=", p.keyHash)
    .where("t.revoked_at", "is", null),
);

/** Moved by triggers on every change to terminals or canteens, by any process (migration 20261202T0500). */
const generation = prepared<Record<string, never>>()(() => db.selectFrom("terminal_generation").select("value").where("id", "=", 1));

export function findTerminalByKey(tx: Tx, key: string): TerminalIdentity | null {
  return terminalByKeyHash.first(tx, { keyHash: hashApiKey(key) }) ?? null;
}

/** Most keys kept per store; beyond it the cache starts over (a site has a few hundred tills, not thousands). */
const MAX_CACHED_TERMINALS = 4_096;

interface TerminalCache {
  generation: number;
  byKeyHash: Map<string, TerminalIdentity>;
}

/** One cache per store (per database file opened), so tests and tools with their own stores never share entries. */
const caches = new WeakMap<object, TerminalCache>();

/**
 * The terminal a till key belongs to, or null for an unknown or revoked key. Found terminals are kept in memory by
 * key hash (never the key itself, and never a miss); the cache is valid only while the database's terminal
 * generation stands still. Each call reads that one-row counter, which triggers move on any change to a terminal or
 * canteen, whoever makes it (this process, another server process on the same file, a tool, an UPDATE by hand).
 * So a revoked or unpaired key is refused on its very next request, in every process, and a hit costs one read of a
 * single row instead of a join.
 */
export function authenticateTerminal(store: { read<T>(fn: (tx: Tx) => T): T }, key: string): TerminalIdentity | null {
  const keyHash = hashApiKey(key);
  return store.read((tx) => {
    const current = generation.first(tx, {})?.value ?? 0;
    let cache = caches.get(store);
    if (!cache || cache.generation !== current || cache.byKeyHash.size >= MAX_CACHED_TERMINALS) {
      cache = { generation: current, byKeyHash: new Map() };
      caches.set(store, cache);
    }
    const cached = cache.byKeyHash.get(keyHash);
    if (cached) return cached;
    // Same read transaction as the generation above, so the entry is exactly as current as its label.
    const found = terminalByKeyHash.first(tx, { keyHash }) ?? null;
    if (found) cache.byKeyHash.set(keyHash, Object.freeze(found));
    return found;
  });
}
