// The ledger's hash chain (issue 29, finding 8): each transfer sealed with the one before it, checkpoints per batch, and the one-pass verification.
import { migrationState } from "../../db/migration-state.ts";
import { db, prepared } from "../../db/query.ts";
import type { Tx, WriteTx } from "../../db/tx.ts";

/** The chain's value before the first transfer. */
export const GENESIS_HEAD = "0".repeat(64);

/** The migration that adds `ledger_seals`; a file made before it (an old backup) has no seals, only transfers. */
const SEALS_MIGRATION = "20261207T1060_sealed_ledger";

/** The immutable fields of a transfer, in the order the chain encodes them. */
const SEALED_COLUMNS = [
  "seq",
  "id",
  "debit_account_id",
  "credit_account_id",
  "amount_ore",
  "kind",
  "reference",
  "description",
  "debit_balance_after_ore",
  "credit_balance_after_ore",
  "created_at",
] as const;

export interface SealedTransferRow {
  seq: number;
  id: string;
  debit_account_id: number;
  credit_account_id: number;
  amount_ore: number;
  kind: string;
  reference: string | null;
  description: string | null;
  debit_balance_after_ore: number;
  credit_balance_after_ore: number;
  created_at: number;
}

/**
 * The canonical encoding of one transfer: a JSON array of its immutable fields in a fixed order. JSON of strings,
 * integers and nulls has one spelling, so any language can recompute the chain from an export of the table.
 */
export function sealEncoding(row: SealedTransferRow): string {
  return JSON.stringify([
    row.seq,
    row.id,
    row.debit_account_id,
    row.credit_account_id,
    row.amount_ore,
    row.kind,
    row.reference,
    row.description,
    row.debit_balance_after_ore,
    row.credit_balance_after_ore,
    row.created_at,
  ]);
}

/** seal_n = SHA-256(seal_{n-1} as 32 bytes ‖ UTF-8 of the encoding of transfer n). One native hasher, reused. */
export class ChainHasher {
  private readonly hasher = new Bun.CryptoHasher("sha256");
  private previous: Buffer;

  constructor(head: string = GENESIS_HEAD) {
    this.previous = Buffer.from(head, "hex");
  }

  add(row: SealedTransferRow): void {
    this.hasher.update(this.previous);
    this.hasher.update(sealEncoding(row));
    // digest() also resets the hasher for the next transfer.
    this.previous = Buffer.from(this.hasher.digest() as unknown as Uint8Array);
  }

  get head(): string {
    return this.previous.toString("hex");
  }
}

/** Whether this database has the seals table (a backup made before the migration has none). */
export function hasSeals(tx: Tx): boolean {
  return !migrationState(tx).pending.includes(SEALS_MIGRATION);
}

export interface SealCheckpoint {
  throughSeq: number;
  head: string;
  sealedAtMs: number;
}

/** The newest checkpoint, or null when nothing has been sealed yet. */
export function lastSeal(tx: Tx): SealCheckpoint | null {
  const row = tx.first(db.selectFrom("ledger_seals").select(["through_seq", "head", "sealed_at_ms"]).orderBy("through_seq", "desc").limit(1));
  return row ? { throughSeq: row.through_seq, head: row.head, sealedAtMs: row.sealed_at_ms } : null;
}

/**
 * The chain head a report made for a period ending at `beforeMs` prints: the newest checkpoint sealed before then
 * (the sealer runs within about a second of each sale, so it covers the period's transfers). A hash names no figure.
 */
export function chainHeadAt(tx: Tx, beforeMs: number): SealCheckpoint | null {
  const row = tx.first(
    db.selectFrom("ledger_seals").select(["through_seq", "head", "sealed_at_ms"]).where("sealed_at_ms", "<", beforeMs).orderBy("through_seq", "desc").limit(1),
  );
  return row ? { throughSeq: row.through_seq, head: row.head, sealedAtMs: row.sealed_at_ms } : null;
}

/** A batch the sealer has computed in a read snapshot and asks the writer to record. */
export interface SealProposal {
  /** The checkpoint it continues from (0 and the genesis head when there is none). */
  afterSeq: number;
  throughSeq: number;
  head: string;
  transfers: number;
}

/** Most transfers one seal covers: its computation and its write job stay small and bounded. */
export const SEAL_BATCH_MAX = 5_000;

/**
 * Computes the next checkpoint from the newest one: up to `maxTransfers` transfers after it, in seq order. Reads only,
 * so it may run on the heavy-read worker; `transfers` is 0 when everything is sealed.
 */
export function proposeSeal(tx: Tx, maxTransfers: number = SEAL_BATCH_MAX): SealProposal {
  const last = lastSeal(tx);
  const afterSeq = last?.throughSeq ?? 0;
  const hasher = new ChainHasher(last?.head ?? GENESIS_HEAD);
  let throughSeq = afterSeq;
  const transfers = tx.each(db.selectFrom("transfers").select(SEALED_COLUMNS).where("seq", ">", afterSeq).orderBy("seq").limit(maxTransfers), (row) => {
    hasher.add(row);
    throughSeq = row.seq;
  });
  return { afterSeq, throughSeq, head: hasher.head, transfers };
}

/**
 * What recording a proposal did: `sealed` (written), `already` (another sealer wrote the same checkpoint), `moved`
 * (another sealer advanced the chain differently: compute again from its checkpoint) or `mismatch` (a checkpoint for
 * the same transfer holds another head — an alarm; nothing is overwritten).
 */
export type SealRecord = "sealed" | "already" | "moved" | "mismatch" | "empty";

// The write job's queries, compiled once: it runs about once a second while tills sell.
const sealAt = prepared<{ throughSeq: number }>()((p) => db.selectFrom("ledger_seals").select("head").where("through_seq", "=", p.throughSeq));
const newestSealSeq = prepared<Record<string, never>>()(() => db.selectFrom("ledger_seals").select("through_seq").orderBy("through_seq", "desc").limit(1));
const insertSeal = prepared<{ throughSeq: number; head: string; sealedAtMs: number }>()((p) =>
  db.insertInto("ledger_seals").values({ through_seq: p.throughSeq, head: p.head, sealed_at_ms: p.sealedAtMs }),
);

/** The sealer's write job: two index reads and at most one small insert, so it never holds the writer for long. */
export function recordSeal(tx: WriteTx, proposal: SealProposal, nowMs: number = Date.now()): SealRecord {
  if (proposal.transfers === 0) return "empty";
  const same = sealAt.first(tx, { throughSeq: proposal.throughSeq });
  if (same) return same.head === proposal.head ? "already" : "mismatch";
  if ((newestSealSeq.first(tx, {})?.through_seq ?? 0) !== proposal.afterSeq) return "moved";
  insertSeal.run(tx, { throughSeq: proposal.throughSeq, head: proposal.head, sealedAtMs: nowMs });
  return "sealed";
}

/** One stretch of the chain whose stored checkpoint disagrees with the transfers. */
export interface ChainBreak {
  /** The checkpoint before the stretch (0 at the start). */
  afterSeq: number;
  /** The checkpoint that disagrees. */
  throughSeq: number;
  /** The first and last transfer the stretch holds now (null when it holds none: they were removed). */
  firstSeq: number | null;
  lastSeq: number | null;
  storedHead: string;
  computedHead: string;
}

export interface ChainVerification {
  ok: boolean;
  transfers: number;
  checkpoints: number;
  /** The last transfer's seq (0 for an empty ledger) and the chain's head after it, sealed or not. */
  throughSeq: number;
  head: string;
  /** The newest checkpoint (0 when none). */
  sealedThroughSeq: number;
  /** Transfers after the newest checkpoint: not sealed yet (normal for the last second of a live database). */
  unsealed: number;
  /** The first breaks, oldest first; `breakCount` counts them all. */
  breaks: ChainBreak[];
  breakCount: number;
  /** The breaks in words, for a command line or a refusal. */
  problems: string[];
}

const BREAKS_SHOWN = 20;
const SEAL_PAGE = 10_000;

export function describeBreak(found: ChainBreak): string {
  const where =
    found.firstSeq === null
      ? `the transfers after seq ${found.afterSeq} through seq ${found.throughSeq} are missing`
      : `the chain breaks between transfer ${found.firstSeq} and transfer ${found.lastSeq}`;
  return `${where} (seal at seq ${found.throughSeq} holds ${found.storedHead.slice(0, 16)}…, the transfers give ${found.computedHead.slice(0, 16)}…)`;
}

/**
 * Verifies the chain in one pass over the transfers: recomputes it from the genesis and compares at each checkpoint.
 * After a break it continues from the stored head, so each later stretch is judged on its own and every altered
 * stretch is named. A file without the seals table (older than the migration) has no checkpoints: nothing to break.
 */
export function verifyChain(tx: Tx): ChainVerification {
  const sealed = hasSeals(tx);
  let page: SealCheckpoint[] = [];
  let pageIndex = 0;
  let pagedThrough = 0;
  let exhausted = !sealed;
  const nextSeal = (): SealCheckpoint | null => {
    if (pageIndex >= page.length && !exhausted) {
      page = tx
        .all(db.selectFrom("ledger_seals").select(["through_seq", "head", "sealed_at_ms"]).where("through_seq", ">", pagedThrough).orderBy("through_seq").limit(SEAL_PAGE))
        .map((row) => ({ throughSeq: row.through_seq, head: row.head, sealedAtMs: row.sealed_at_ms }));
      pageIndex = 0;
      if (page.length < SEAL_PAGE) exhausted = true;
      if (page.length > 0) pagedThrough = page[page.length - 1]!.throughSeq;
    }
    return pageIndex < page.length ? page[pageIndex++]! : null;
  };

  let hasher = new ChainHasher();
  const breaks: ChainBreak[] = [];
  let breakCount = 0;
  let checkpoints = 0;
  let afterSeq = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let lastTransferSeq = 0;
  let current = nextSeal();
  const compare = (checkpoint: SealCheckpoint) => {
    checkpoints += 1;
    if (hasher.head !== checkpoint.head) {
      breakCount += 1;
      if (breaks.length < BREAKS_SHOWN) breaks.push({ afterSeq, throughSeq: checkpoint.throughSeq, firstSeq, lastSeq, storedHead: checkpoint.head, computedHead: hasher.head });
      hasher = new ChainHasher(checkpoint.head);
    }
    afterSeq = checkpoint.throughSeq;
    firstSeq = null;
    lastSeq = null;
  };
  const transfers = tx.each(db.selectFrom("transfers").select(SEALED_COLUMNS).orderBy("seq"), (row) => {
    // A checkpoint is compared once every transfer at or below its seq has been added.
    while (current && current.throughSeq < row.seq) {
      compare(current);
      current = nextSeal();
    }
    hasher.add(row);
    firstSeq ??= row.seq;
    lastSeq = row.seq;
    lastTransferSeq = row.seq;
  });
  // Checkpoints at or beyond the last transfer; one beyond it means sealed transfers were taken away at the end.
  while (current) {
    compare(current);
    current = nextSeal();
  }
  const unsealed = afterSeq >= lastTransferSeq ? 0 : tx.first(db.selectFrom("transfers").select((eb) => eb.fn.countAll<number>().as("n")).where("seq", ">", afterSeq))!.n;
  const problems = breaks.map(describeBreak);
  if (breakCount > breaks.length) problems.push(`… and ${breakCount - breaks.length} more broken stretch(es)`);
  return {
    ok: breakCount === 0,
    transfers,
    checkpoints,
    throughSeq: lastTransferSeq,
    // With the seals continued from a stored head after a break, the head after the last transfer is the one the
    // stored checkpoints imply; it equals the honest chain's head only when nothing broke.
    head: hasher.head,
    sealedThroughSeq: afterSeq,
    unsealed,
    breaks,
    breakCount,
    problems,
  };
}
