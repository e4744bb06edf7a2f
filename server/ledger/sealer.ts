// The sealer: after commit, in transfer order, seals new transfers into the hash chain in small batches (server/ledger/chain.ts).
import type { Store } from "../../db/connect.ts";
import { db } from "../../db/query.ts";
import { errorField, log } from "../ops/logger.ts";
import { proposeSeal, recordSeal, SEAL_BATCH_MAX, type SealProposal, type SealRecord } from "./chain.ts";

export interface SealRound {
  outcome: SealRecord | "idle";
  /** Transfers this round sealed (0 unless `sealed`). */
  sealed: number;
  /** The chain is sealed through here, as far as this sealer knows. */
  sealedThroughSeq: number;
}

export interface SealerStatus {
  sealedThroughSeq: number;
  lastSealedAtMs: number | null;
  /** Set when a checkpoint for the same transfer holds another head: the sealer stops and a person must look. */
  alarm: string | null;
}

export interface Sealer {
  /** Seals everything committed before the call (in batches), waiting for a round under way; resolves when done. */
  sealNow(): Promise<SealRound>;
  status(): SealerStatus;
  /** Stops the timer and seals what is left (bounded), so a stop leaves no transfer unsealed that it could seal. */
  stop(): Promise<void>;
}

export interface SealerOptions {
  /**
   * Computes the next batch in a read snapshot. The server passes the heavy-read worker here, so the hashing never
   * runs on the event loop that answers the tills; the command line computes in its own process.
   */
  propose?: (maxTransfers: number) => Promise<SealProposal>;
  /** How often to look for unsealed transfers (1 s). */
  everyMs?: number;
  maxBatch?: number;
  /** Off in tests that seal only when asked. */
  scheduled?: boolean;
  /** Rounds a stop or a sealNow runs at most (× maxBatch transfers), so a stop never waits for a whole history. */
  maxRounds?: number;
}

const newestSeq = (store: Store): number => store.read((tx) => tx.first(db.selectFrom("transfers").select("seq").orderBy("seq", "desc").limit(1))?.seq ?? 0);

/**
 * Starts a sealer on `store`. Each round reads the newest seq (an index lookup) and, only when something is unsealed,
 * computes one batch of at most `maxBatch` transfers from the newest checkpoint and records it as one write job of one
 * read and one insert: no sale waits for the hashing, and the writer is held for microseconds. SQLite has one writer,
 * so seq order is commit order and a snapshot never misses a transfer below its newest seq (PostgreSQL: see decision 004).
 */
export function startSealer(store: Store, options: SealerOptions = {}): Sealer {
  const everyMs = options.everyMs ?? 1_000;
  const maxBatch = options.maxBatch ?? SEAL_BATCH_MAX;
  const maxRounds = options.maxRounds ?? 40;
  const propose = options.propose ?? (async (maxTransfers: number) => store.read((tx) => proposeSeal(tx, maxTransfers)));
  let sealedThroughSeq = 0;
  let lastSealedAtMs: number | null = null;
  let alarm: string | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let stopped = false;

  async function round(): Promise<SealRound> {
    if (alarm) return { outcome: "mismatch", sealed: 0, sealedThroughSeq };
    if (newestSeq(store) <= sealedThroughSeq) return { outcome: "idle", sealed: 0, sealedThroughSeq };
    const proposal = await propose(maxBatch);
    const nowMs = Date.now();
    const outcome = await store.write((tx) => recordSeal(tx, proposal, nowMs));
    if (outcome === "sealed" || outcome === "already" || outcome === "empty") sealedThroughSeq = Math.max(sealedThroughSeq, proposal.throughSeq);
    if (outcome === "sealed") lastSealedAtMs = nowMs;
    if (outcome === "mismatch") {
      alarm = `the seal at transfer ${proposal.throughSeq} differs from the chain computed from the transfers: run npm run ledger:check`;
      log.error({ throughSeq: proposal.throughSeq, head: proposal.head }, `LEDGER SEAL MISMATCH: ${alarm}`);
    }
    return { outcome, sealed: outcome === "sealed" ? proposal.transfers : 0, sealedThroughSeq };
  }

  /** Rounds until the newest seq seen at the start is sealed (or the bound is reached); one caller at a time. */
  function sealNow(): Promise<SealRound> {
    const next = running.then(async () => {
      const target = newestSeq(store);
      let last: SealRound = { outcome: "idle", sealed: 0, sealedThroughSeq };
      let sealed = 0;
      for (let rounds = 0; rounds < maxRounds && sealedThroughSeq < target && !alarm; rounds += 1) {
        last = await round();
        sealed += last.sealed;
        // Another sealer moved the chain: the next round continues from its checkpoint.
        if (last.outcome === "idle") break;
      }
      return { ...last, sealed, sealedThroughSeq };
    });
    running = next.catch(() => undefined);
    return next;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const tick = running.then(round);
      running = tick.catch(() => undefined);
      tick
        .then((result) => schedule(result.outcome === "sealed" && result.sealedThroughSeq < newestSeq(store) ? 0 : everyMs))
        .catch((error) => {
          log.error({ err: errorField(error) }, "ledger sealer round failed");
          schedule(everyMs);
        });
    }, delayMs);
    timer.unref?.();
  }
  if (options.scheduled !== false) schedule(everyMs);

  return {
    sealNow,
    status: () => ({ sealedThroughSeq, lastSealedAtMs, alarm }),
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      try {
        await sealNow();
      } catch (error) {
        log.error({ err: errorField(error) }, "ledger sealer: the last round at stop failed");
      }
    },
  };
}
