// Kitchen screens sign in once with a screen token (made in the back office); the browser keeps it in an HttpOnly cookie.
import type { Tx } from "../../db/tx.ts";
import { db, prepared } from "../../db/query.ts";
import { hashApiKey } from "../auth/terminal.ts";

export const KITCHEN_COOKIE = "kk_kitchen";

export interface KitchenScreen {
  screenId: number;
  canteenId: number;
  canteenName: string;
  screenName: string;
}

/** Every kitchen request looks its screen up, so the query is compiled once. */
const screenByTokenHash = prepared<{ tokenHash: string }>()((p) =>
  db
    .selectFrom("kitchen_screens as k")
    .innerJoin("canteens as c", "c.id", "k.canteen_id")
    .select(["k.id", "k.name", "k.canteen_id", "c.name as canteen_name"])
    .where("k.token_hash", "=", p.tokenHash)
    .where("k.revoked_at", "is", null),
);

/** The screen a token belongs to, or null when unknown or revoked. Only the token's SHA-256 is stored. */
export function findKitchenScreen(tx: Tx, token: string): KitchenScreen | null {
  if (token.length < 16 || token.length > 200) return null;
  const row = screenByTokenHash.first(tx, { tokenHash: hashApiKey(token) });
  return row ? { screenId: row.id, canteenId: row.canteen_id, canteenName: row.canteen_name, screenName: row.name } : null;
}

export function kitchenCookie(token: string, secure: boolean): string {
  // A wall screen stays signed in for a year; revoking the screen in the back office ends it at once.
  return `${KITCHEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000${secure ? "; Secure" : ""}`;
}
