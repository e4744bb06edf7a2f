// The till's server calls: the same pos.* and till.* procedures any till uses, with the terminal key as bearer token and a timeout.
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../../../server/routers/_app.ts";

/** How long the till waits for an answer before it treats the server as unreachable. */
export const REQUEST_TIMEOUT_MS = 6_000;

const KEY_STORAGE = "kk_till_key";

/** The terminal key stored on this device when an administrator paired it, or null. */
export function storedKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
}

/** A tRPC client that authenticates as the terminal with `key` (no cookies, no CSRF header: the key is the credential). */
export function tillClient(key: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: "/trpc",
        headers: () => ({ authorization: `Bearer ${key}` }),
        // A hanging connection must become "offline" quickly, or the queue of customers waits with it.
        fetch: (url, options) => fetch(url, { ...(options as RequestInit), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
      }),
    ],
  });
}

export type TillClient = ReturnType<typeof tillClient>;

/**
 * What a failed call means for the till: the server could not be reached (network, timeout, a proxy's error page),
 * the key was refused (revoked or unknown), the server could not store it (its disk is full: nothing was written, the
 * same sale id is safe to send again), or the server answered with an error of its own.
 */
export function failureKind(error: unknown): "network" | "unauthorized" | "unavailable" | "other" {
  if (error instanceof TRPCClientError) {
    const code = (error.data as { code?: string } | undefined)?.code;
    if (code === "UNAUTHORIZED") return "unauthorized";
    if (code === "SERVICE_UNAVAILABLE") return "unavailable";
    if (code) return "other";
  }
  return "network";
}

/** A sale id for the server's idempotency: a UUID, also where crypto.randomUUID is missing (plain HTTP on a LAN). */
export function newSaleId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `kasse-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
