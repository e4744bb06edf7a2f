// A tRPC client for subscriptions from Bun (tests, benchmarks, soak): SSE through the `eventsource` package with a cookie.
import { createTRPCClient, httpSubscriptionLink } from "@trpc/client";
import { EventSource } from "eventsource";
import type { AppRouter } from "../routers/_app.ts";
import type { PortalEvent } from "../routers/accounts.ts";

/** Bun has no global EventSource, and a browser's cookie must be sent by hand: both are supplied here. */
export function sseClient(baseUrl: string, cookie: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpSubscriptionLink({
        url: `${baseUrl}/trpc`,
        EventSource,
        eventSourceOptions: { fetch: (url: string | URL, init: RequestInit) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } }) } as never,
      }),
    ],
  });
}

/** One portal tab's stream, collecting every event with its id. */
export function collectPortalEvents(baseUrl: string, cookie: string, lastEventId: string | null) {
  const events: Array<{ id: string; data: PortalEvent }> = [];
  let started = false;
  const subscription = sseClient(baseUrl, cookie).accounts.onBalance.subscribe(lastEventId ? { lastEventId } : undefined, {
    onStarted: () => {
      started = true;
    },
    onData: (envelope) => {
      events.push({ id: envelope.id, data: envelope.data });
    },
  });
  return { events, stop: () => subscription.unsubscribe(), isStarted: () => started };
}

export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
