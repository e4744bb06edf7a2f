// Test helper for accounts.onBalance: one tab's stream, its content events apart from the opening position event.
import type { PortalEvent } from "../routers/accounts.ts";
import { sseClient } from "./sse-client.ts";

type ContentEvent = Exclude<PortalEvent, { type: "position" }>;

/**
 * A subscriber like a browser tab. `ready()` turns true when the opening position event has arrived: the server has
 * fixed the stream's start by then, so anything committed afterwards must reach the stream. `lastId()` is the id a
 * tab would resume from (tRPC keeps it the same way); `error()` is how the server ended the stream, if it did.
 */
export function openPortalStream<T = ContentEvent>(baseUrl: string, cookie: string, lastEventId: string | null) {
  const events: Array<{ id: string; data: T }> = [];
  let ready = false;
  let lastId: string | null = null;
  let error: { code?: string } | null = null;
  const subscription = sseClient(baseUrl, cookie).accounts.onBalance.subscribe(lastEventId ? { lastEventId } : undefined, {
    onData: (envelope) => {
      lastId = envelope.id;
      if (envelope.data.type === "position") ready = true;
      else events.push({ id: envelope.id, data: envelope.data as T });
    },
    onError: (caught) => {
      error = { code: (caught as { data?: { code?: string } }).data?.code };
    },
  });
  return { events, ready: () => ready, lastId: () => lastId, error: () => error, stop: () => subscription.unsubscribe() };
}
