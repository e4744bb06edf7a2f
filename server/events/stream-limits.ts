// Live streams are bounded: a few open streams per session and per kitchen screen, and a reader that stops reading is
// dropped instead of having its events buffered without end (it resumes from its last tracked() id when it returns).
import { TRPCError } from "@trpc/server";

/** Open `accounts.onBalance` streams per session: a tab holds one, so five is a person with many tabs. */
export const MAX_STREAMS_PER_SESSION = 5;
/** Open `kitchen.onQueue` streams per kitchen screen (one wall screen, a reload or two, a second browser). */
export const MAX_STREAMS_PER_SCREEN = 5;
/**
 * Events a stream may hold for a reader that does not take them. A reading tab takes each event at once (the socket's
 * own buffers absorb bursts), so a queue this long means the reader stopped: the stream is cut, and the tab's
 * EventSource reconnects with its last id and is caught up from the database.
 */
export const MAX_PENDING_EVENTS = 500;

/** Counts open streams per key (a session id, a kitchen screen id) for one running server. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Takes a slot, or returns null when the key already holds `max`; the returned release is safe to call twice. */
  take(key: string): (() => void) | null {
    const held = this.open.get(key) ?? 0;
    if (held >= this.max) return null;
    this.open.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left > 0) this.open.set(key, left);
      else this.open.delete(key);
    };
  }

  /** Streams open for a key, for tests. */
  count(key: string): number {
    return this.open.get(key) ?? 0;
  }
}

interface Slots {
  sessions: StreamSlots;
  screens: StreamSlots;
}

const slotsByServer = new WeakMap<object, Slots>();

/** The slot counters of one running server (keyed by its services object, so test servers do not share them). */
export function streamSlots(services: object): Slots {
  let slots = slotsByServer.get(services);
  if (!slots) slotsByServer.set(services, (slots = { sessions: new StreamSlots(MAX_STREAMS_PER_SESSION), screens: new StreamSlots(MAX_STREAMS_PER_SCREEN) }));
  return slots;
}

/**
 * Claims a stream slot for `key`, or throws TOO_MANY_REQUESTS with a readable message. The slot is given back by the
 * returned function (call it in the stream's `finally`) and, as a safety net, when the request's signal aborts.
 */
export function claimStreamSlot(slots: StreamSlots, key: string, what: { da: string; en: string }, signal: AbortSignal | undefined): () => void {
  const release = slots.take(key);
  if (!release) {
    throw new TRPCError({
      code: "TOO_MANY_REQUESTS",
      message: `For mange åbne ${what.da} (højst ${slots.max}). Luk en af dem, og prøv igen. / Too many open ${what.en} (${slots.max} at most). Close one of them and try again.`,
    });
  }
  signal?.addEventListener("abort", release, { once: true });
  return () => {
    signal?.removeEventListener("abort", release);
    release();
  };
}
