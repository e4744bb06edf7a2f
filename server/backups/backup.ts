// Backups while the server sells, and restores that refuse a live database: a copy counts only after SQLite's integrity
// check, the ledger check and the hash chain pass on the copy itself, and it is signed; a restore checks the file and its
// signature first and never runs under a server.
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, copyFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { copyDatabase, holdExclusively, integrityProblems, syncPath } from "../../db/backup.ts";
import { openSqliteReadOnly, openStore, type Store, type Tx } from "../../db/connect.ts";
import { makeTx } from "../../db/tx.ts";
import { migrationState } from "../../db/migration-state.ts";
import { db } from "../../db/query.ts";
import { checkLedger } from "../ledger/check.ts";
import { verifyChain, type ChainVerification } from "../ledger/chain.ts";
import { startSealer } from "../ledger/sealer.ts";
import { signatureFileOf, signBackup, fileSha256, verifyBackupSignature, writeSignature, type SignatureCheck, type SigningKeys } from "../ops/backup-signature.ts";
import { migrations as knownMigrations } from "../../db/migrations/index.ts";
import { decideRetention, type BackupFile, type BackupRetention } from "../ops/retention.ts";

export interface FileCheck {
  ok: boolean;
  problems: string[];
  transfers: number;
  sales: number;
  /** Migrations the file lacks (a restore migrates them at the next start). */
  pendingMigrations: string[];
  /** The ledger's hash chain recomputed from the file's transfers (null when the file could not be read that far). */
  chain: ChainVerification | null;
}

/** Checks a database file that no one writes (a backup): integrity, the ledger, and migrations this code knows. */
export function checkDatabaseFile(path: string, depth: "full" | "quick" = "full"): FileCheck {
  if (!existsSync(path)) return { ok: false, problems: [`no file at ${path}`], transfers: 0, sales: 0, pendingMigrations: [], chain: null };
  let sqlite;
  try {
    sqlite = openSqliteReadOnly(path);
  } catch (error) {
    return { ok: false, problems: [`not a database: ${error instanceof Error ? error.message : String(error)}`], transfers: 0, sales: 0, pendingMigrations: [], chain: null };
  }
  try {
    const problems: string[] = [];
    let integrity: string[];
    try {
      integrity = integrityProblems(sqlite, depth);
    } catch (error) {
      return { ok: false, problems: [`not a database: ${error instanceof Error ? error.message : String(error)}`], transfers: 0, sales: 0, pendingMigrations: [], chain: null };
    }
    problems.push(...integrity.map((finding) => `${depth === "quick" ? "quick_check" : "integrity_check"}: ${finding}`));
    const tx: Tx = makeTx(sqlite);
    const migrations = migrationState(tx);
    if (migrations.unknown.length > 0) problems.push(`made by a newer version (unknown migrations: ${migrations.unknown.join(", ")})`);
    let transfers = 0;
    let sales = 0;
    let chain: ChainVerification | null = null;
    // Any file with a schema at all gets the ledger and chain checks (not only one missing fewer than two migrations).
    if (integrity.length === 0 && migrations.pending.length < Object.keys(knownMigrations).length) {
      try {
        const ledger = checkLedger(tx);
        problems.push(...ledger.violations.map((violation) => `ledger: ${violation}`));
        transfers = ledger.transfers;
        sales = tx.first(db.selectFrom("sales").select((eb) => eb.fn.countAll<number>().as("n")))!.n;
        chain = verifyChain(tx);
        problems.push(...chain.problems.map((problem) => `ledger chain: ${problem}`));
      } catch (error) {
        problems.push(`ledger check failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return { ok: problems.length === 0, problems, transfers, sales, pendingMigrations: migrations.pending, chain };
  } finally {
    sqlite.close();
  }
}

export type BackupTrigger = "scheduled" | "manual";

export type BackupOutcome =
  | {
      ok: true;
      file: string;
      bytes: number;
      transfers: number;
      sales: number;
      startedAt: number;
      finishedAt: number;
      /** What the signature beside the file (`<file>.sig`) vouches for. */
      signature: { file: string; throughSeq: number; head: string; keyId: string; developmentKey: boolean };
    }
  | { ok: false; file: string; error: string; startedAt: number; finishedAt: number };

/**
 * Copies the live database at `databasePath` to `target` (refused if it exists): into a hidden partial file beside it,
 * checked there (quick_check, ledger check, hash chain), signed (`<target>.sig`: the file's SHA-256 and the chain head,
 * HMAC with the configured key), then renamed into place and fsynced. A copy that fails a check is deleted, and the
 * signature is in place before the file is, so a file with the target's name is always a checked, signed backup.
 */
export function backupDatabase(databasePath: string, target: string, keys: SigningKeys): BackupOutcome {
  const startedAt = Date.now();
  const finish = (error: string): BackupOutcome => ({ ok: false, file: target, error, startedAt, finishedAt: Date.now() });
  if (!existsSync(databasePath)) return finish(`no database at ${databasePath}`);
  if (resolve(target) === resolve(databasePath)) return finish("the backup file cannot be the database itself");
  if (existsSync(target)) return finish(`${target} exists already; choose a new file name`);
  const signaturePath = signatureFileOf(target);
  if (existsSync(signaturePath)) return finish(`${signaturePath} exists already; choose a new file name`);
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Date.now()}`);
  try {
    copyDatabase(databasePath, partial);
    // A fresh VACUUM INTO copy: the quick check, the ledger check (decision 005) and the chain (decision 004).
    const check = checkDatabaseFile(partial, "quick");
    if (!check.ok || !check.chain) {
      rmSync(partial, { force: true });
      return finish(`the copy failed its checks: ${check.problems.join("; ") || "its ledger could not be read"}`);
    }
    const signature = signBackup(keys, { fileSha256: fileSha256(partial), throughSeq: check.chain.throughSeq, head: check.chain.head, transfers: check.chain.transfers, signedAtMs: Date.now() });
    writeSignature(signaturePath, signature);
    renameSync(partial, target);
    syncPath(dirname(target));
    return {
      ok: true,
      file: target,
      bytes: statSync(target).size,
      transfers: check.transfers,
      sales: check.sales,
      startedAt,
      finishedAt: Date.now(),
      signature: { file: signaturePath, throughSeq: signature.throughSeq, head: signature.head, keyId: signature.keyId, developmentKey: keys.development },
    };
  } catch (error) {
    rmSync(partial, { force: true });
    if (!existsSync(target)) rmSync(signaturePath, { force: true });
    return finish(error instanceof Error ? error.message : String(error));
  }
}

/** How many backup rows the database keeps (the back office shows the newest; the files have their own BACKUP_KEEP). */
const BACKUP_HISTORY_ROWS = 200;

/** Records an attempt in the `backups` table (through the store's writer), keeping the newest rows only. */
export async function recordBackup(store: Store, outcome: BackupOutcome, trigger: BackupTrigger): Promise<void> {
  await store.write((tx) => {
    tx.run(
      db.insertInto("backups").values({
        started_at: outcome.startedAt,
        finished_at: outcome.finishedAt,
        trigger,
        ok: outcome.ok ? 1 : 0,
        file: basename(outcome.file),
        bytes: outcome.ok ? outcome.bytes : null,
        error: outcome.ok ? null : outcome.error.slice(0, 500),
      }),
    );
    const keepFrom = tx.first(db.selectFrom("backups").select("id").orderBy("id", "desc").offset(BACKUP_HISTORY_ROWS - 1).limit(1));
    if (keepFrom) tx.run(db.deleteFrom("backups").where("id", "<", keepFrom.id));
  });
}

/**
 * A backup from the command line (`npm run backup -- <file>`): seal the live ledger up to its end, copy, check, sign,
 * and record it in the database.
 */
export async function backupFromCommandLine(databasePath: string, target: string, keys: SigningKeys): Promise<BackupOutcome> {
  if (existsSync(databasePath)) {
    // Sealing first leaves the least of the copy's chain unsealed; the signature covers the whole chain in any case.
    const store = openStore({ path: databasePath });
    try {
      await startSealer(store, { scheduled: false }).sealNow();
    } catch {
      // A database that cannot take seals (an older schema) is still copied; the signature vouches for its chain.
    } finally {
      await store.close();
    }
  }
  const outcome = backupDatabase(databasePath, target, keys);
  // The attempt is recorded in the live database, so administrators see manual backups in the back office too.
  if (existsSync(databasePath)) {
    const store = openStore({ path: databasePath });
    try {
      await recordBackup(store, outcome, "manual");
    } catch {
      // A database that cannot take the record (an older schema) still got its backup; the file is what counts.
    } finally {
      await store.close();
    }
  }
  return outcome;
}

export interface BackupStatus {
  last: { startedAt: number; finishedAt: number; trigger: BackupTrigger; ok: boolean; file: string | null; bytes: number | null; error: string | null } | null;
  lastSuccessAt: number | null;
}

export function backupStatus(tx: Tx): BackupStatus {
  const last = tx.first(db.selectFrom("backups").selectAll().orderBy("id", "desc").limit(1));
  const success = tx.first(db.selectFrom("backups").select("finished_at").where("ok", "=", 1).orderBy("finished_at", "desc").limit(1));
  return {
    last: last
      ? { startedAt: last.started_at, finishedAt: last.finished_at, trigger: last.trigger, ok: last.ok === 1, file: last.file, bytes: last.bytes, error: last.error }
      : null,
    lastSuccessAt: success?.finished_at ?? null,
  };
}

export type RestoreOutcome =
  | { ok: true; previous: string | null; check: FileCheck; signature: SignatureCheck; acceptedUnsigned: boolean }
  | { ok: false; error: string; inUse?: boolean; check?: FileCheck; signature?: SignatureCheck };

export interface RestoreOptions {
  keys: SigningKeys | null;
  /** Restore although the signature is missing or does not verify (the operator vouches for the file). */
  acceptUnsigned?: boolean;
}

/**
 * Puts the backup at `source` in place of the database at `databasePath`. The backup is copied beside the database
 * first and that copy, the bytes that will be installed, is checked (integrity, ledger, hash chain) and its signature
 * verified; a missing or wrong signature refuses unless `acceptUnsigned`, a broken chain refuses always. The database
 * must not be open anywhere (a running server is refused). The database it replaces is kept beside it as
 * `<name>.before-restore-<time>`, and the swap is a rename, so DATABASE_PATH always names a whole database.
 */
export function restoreDatabase(source: string, databasePath: string, options: RestoreOptions): RestoreOutcome {
  if (!existsSync(source)) {
    const check = checkDatabaseFile(source);
    return { ok: false, error: `the backup failed its checks: ${check.problems.join("; ")}`, check };
  }
  if (resolve(source) === resolve(databasePath)) return { ok: false, error: "the backup is the database itself" };
  const incoming = `${databasePath}.restoring-${process.pid}`;
  let hold: { release(): void } | null = null;
  try {
    mkdirSync(dirname(databasePath), { recursive: true });
    copyFileSync(source, incoming);
    const check = checkDatabaseFile(incoming);
    if (!check.ok || !check.chain) {
      rmSync(incoming, { force: true });
      return { ok: false, error: `the backup failed its checks: ${check.problems.join("; ") || "its ledger could not be read"}`, check };
    }
    const signature: SignatureCheck = options.keys
      ? verifyBackupSignature(signatureFileOf(source), incoming, check.chain, options.keys)
      : { ok: false, reason: "unknown_key", message: "BACKUP_SIGNING_KEY is not set, so the signature cannot be checked" };
    if (!signature.ok && !options.acceptUnsigned) {
      rmSync(incoming, { force: true });
      return {
        ok: false,
        error: `${signature.message}. An unsigned or altered backup may hold money that was never paid; restore it only if you know where it came from, with --accept-unsigned`,
        check,
        signature,
      };
    }
    const exists = existsSync(databasePath);
    if (exists) {
      try {
        hold = holdExclusively(databasePath);
      } catch (error) {
        rmSync(incoming, { force: true });
        return { ok: false, error: error instanceof Error ? error.message : String(error), inUse: true, check, signature };
      }
    }
    syncPath(incoming);
    let previous: string | null = null;
    if (exists) {
      const stamp = `${databasePath}.before-restore-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
      // Two restores within one second keep both replaced databases.
      previous = stamp;
      for (let n = 2; existsSync(previous); n += 1) previous = `${stamp}-${n}`;
      // A second name for the database being replaced, so that nothing is lost and DATABASE_PATH is never missing.
      linkSync(databasePath, previous);
    }
    // Leftovers of the replaced database's WAL must not be applied to the restored file.
    for (const suffix of ["-wal", "-shm", "-journal"]) rmSync(`${databasePath}${suffix}`, { force: true });
    renameSync(incoming, databasePath);
    syncPath(dirname(databasePath));
    return { ok: true, previous, check, signature, acceptedUnsigned: !signature.ok };
  } catch (error) {
    rmSync(incoming, { force: true });
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    hold?.release();
  }
}

/** Backup files the schedule made, newest first: `kantinekort-YYYYMMDDTHHMMSSZ.sqlite`. */
export const SCHEDULED_BACKUP_NAME = /^kantinekort-\d{8}T\d{6}Z\.sqlite$/;

export function scheduledBackupName(at: Date): string {
  return `kantinekort-${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.sqlite`;
}

/** When a scheduled backup was made, read from its name (UTC). */
export function scheduledBackupTime(name: string): number {
  const m = /^kantinekort-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.sqlite$/.exec(name);
  if (!m) throw new Error(`not a scheduled backup: ${name}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

export interface PruneResult {
  /** Every file deleted: backups, their signatures, and partial files of stopped runs. */
  deleted: string[];
  /** Backups the age tiers wanted but BACKUP_KEEP or BACKUP_MAX_GB did not leave room for. */
  capped: string[];
  /** What stays: backups and their bytes. */
  kept: { files: number; bytes: number };
}

/**
 * Deletes the scheduled backups the retention policy no longer wants (server/ops/retention.ts), their signatures, and
 * partial files a stopped backup left. Files of other names in the directory are never touched.
 */
export function pruneBackups(directory: string, policy: BackupRetention, now = Date.now()): PruneResult {
  const names = readdirSync(directory);
  const files: BackupFile[] = names.filter((name) => SCHEDULED_BACKUP_NAME.test(name)).map((name) => ({ name, at: scheduledBackupTime(name), bytes: statSync(join(directory, name)).size }));
  const decision = decideRetention(files, policy, now);
  const gone = [...decision.aged, ...decision.capped];
  // A pruned backup's signature goes with it; a signature whose backup is gone (a stopped run) too.
  const orphanSignatures = names.filter((name) => name.endsWith(".sig") && SCHEDULED_BACKUP_NAME.test(name.slice(0, -4)) && !names.includes(name.slice(0, -4)));
  const doomed = [
    ...gone.flatMap((name) => (names.includes(signatureFileOf(name)) ? [name, signatureFileOf(name)] : [name])),
    ...orphanSignatures.filter((name) => now - statSync(join(directory, name)).mtimeMs > 60 * 60_000),
    ...names.filter((name) => /^\.kantinekort-.*\.partial-\d+-\d+$/.test(name) && now - statSync(join(directory, name)).mtimeMs > 60 * 60_000),
  ];
  for (const name of doomed) rmSync(join(directory, name), { force: true });
  const kept = files.filter((file) => decision.keep.has(file.name));
  return { deleted: doomed, capped: decision.capped, kept: { files: kept.length, bytes: kept.reduce((sum, file) => sum + file.bytes, 0) } };
}
