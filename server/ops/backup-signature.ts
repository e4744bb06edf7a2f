// Backup signatures (issue 29, finding 8): an HMAC-SHA-256, with a key from the configuration, over a backup file's bytes and its ledger chain head.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { syncPath } from "../../db/backup.ts";

/**
 * Public on purpose, like the development CPR key: a development backup is signed so that the restore path is the same
 * everywhere, but anyone can forge this signature. Production refuses to start without a key of its own.
 */
export const DEVELOPMENT_BACKUP_SIGNING_KEY = "kantinekort-development-backup-signing-key-not-secret";

export interface SigningKey {
  /** A short fingerprint of the key, stored in the signature so a restore knows which key to use; it reveals nothing of the key. */
  id: string;
  key: string;
}

export interface SigningKeys {
  current: SigningKey;
  /** Keys of before a rotation: they verify, they never sign. */
  old: SigningKey[];
  development: boolean;
}

export function keyIdOf(key: string): string {
  return createHash("sha256").update("kantinekort backup signing key id\n").update(key).digest("hex").slice(0, 16);
}

/** The signing keys of a configuration; throws in production without BACKUP_SIGNING_KEY (the server refuses to start). */
export function signingKeys(settings: { backupSigningKey: string | null; backupSigningKeysOld: string[]; production: boolean }): SigningKeys {
  if (!settings.backupSigningKey && settings.production) {
    throw new Error("BACKUP_SIGNING_KEY must be set in production (at least 32 characters, e.g. `openssl rand -hex 32`): backups are signed with it, and a restore refuses a backup whose signature does not verify");
  }
  const key = settings.backupSigningKey ?? DEVELOPMENT_BACKUP_SIGNING_KEY;
  return {
    current: { id: keyIdOf(key), key },
    old: settings.backupSigningKeysOld.filter((old) => old !== key).map((old) => ({ id: keyIdOf(old), key: old })),
    development: !settings.backupSigningKey,
  };
}

/** The signature file beside a backup: `<file>.sig`. */
export const signatureFileOf = (backupPath: string): string => `${backupPath}.sig`;

export interface BackupSignature {
  version: 1;
  /** SHA-256 of the backup file's bytes. */
  fileSha256: string;
  /** The ledger chain in the file: its last transfer's seq and the head after it (server/ledger/chain.ts). */
  throughSeq: number;
  head: string;
  transfers: number;
  keyId: string;
  signedAtMs: number;
  /** HMAC-SHA-256 over the fields above (see signedText), hex. */
  hmac: string;
}

type SignedFields = Omit<BackupSignature, "hmac" | "version" | "keyId">;

/** What the HMAC covers, one field a line: the file name is not in it, so a backup may be renamed or moved. */
function signedText(fields: SignedFields & { keyId: string }): string {
  return [
    "kantinekort-backup-signature-v1",
    `file-sha256:${fields.fileSha256}`,
    `through-seq:${fields.throughSeq}`,
    `head:${fields.head}`,
    `transfers:${fields.transfers}`,
    `key-id:${fields.keyId}`,
    `signed-at-ms:${fields.signedAtMs}`,
  ].join("\n");
}

const hmacOf = (key: string, text: string): string => createHmac("sha256", key).update(text).digest("hex");

/** SHA-256 of a file, read in 1 MiB pieces (a backup at 3M sales is far larger than one should hold in memory). */
export function fileSha256(path: string): string {
  const hash = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

export function signBackup(keys: SigningKeys, fields: SignedFields): BackupSignature {
  const keyId = keys.current.id;
  return { version: 1, ...fields, keyId, hmac: hmacOf(keys.current.key, signedText({ ...fields, keyId })) };
}

/** Writes the signature beside the backup: into a partial file, fsynced, then renamed into place. */
export function writeSignature(signaturePath: string, signature: BackupSignature): void {
  const partial = join(dirname(signaturePath), `.${basename(signaturePath)}.partial-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(partial, `${JSON.stringify(signature, null, 2)}\n`, { mode: 0o640 });
    syncPath(partial);
    renameSync(partial, signaturePath);
  } finally {
    rmSync(partial, { force: true });
  }
}

export type SignatureCheck =
  | { ok: true; keyId: string; signedAtMs: number; oldKey: boolean; developmentKey: boolean }
  | { ok: false; reason: "unsigned" | "unreadable" | "unknown_key" | "bad_hmac" | "file_changed" | "chain_differs"; message: string };

/**
 * Verifies a backup's signature file against the bytes at `filePath` (the copy a restore is about to install) and the
 * chain that was recomputed from those bytes. Each refusal says what it means and what to do.
 */
export function verifyBackupSignature(signaturePath: string, filePath: string, chain: { throughSeq: number; head: string }, keys: SigningKeys): SignatureCheck {
  if (!existsSync(signaturePath)) return { ok: false, reason: "unsigned", message: `the backup has no signature file (${basename(signaturePath)} is missing), so nothing shows it is the file the backup wrote` };
  let signature: BackupSignature;
  try {
    signature = JSON.parse(readFileSync(signaturePath, "utf8")) as BackupSignature;
    if (signature.version !== 1 || typeof signature.hmac !== "string" || typeof signature.keyId !== "string" || typeof signature.fileSha256 !== "string") throw new Error("not a version 1 signature");
  } catch (error) {
    return { ok: false, reason: "unreadable", message: `the signature file ${basename(signaturePath)} cannot be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  const key = [keys.current, ...keys.old].find((candidate) => candidate.id === signature.keyId);
  if (!key) {
    return {
      ok: false,
      reason: "unknown_key",
      message: `the backup was signed with a key this configuration does not know (key id ${signature.keyId}); after a key rotation, list the old key in BACKUP_SIGNING_KEYS_OLD`,
    };
  }
  const expected = Buffer.from(hmacOf(key.key, signedText(signature)), "hex");
  const given = Buffer.from(signature.hmac, "hex");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: "bad_hmac", message: "the signature does not verify: the signature file was altered or not made with this key" };
  }
  if (fileSha256(filePath) !== signature.fileSha256) {
    return { ok: false, reason: "file_changed", message: "the backup file was changed after it was signed (its SHA-256 is not the signed one)" };
  }
  if (signature.throughSeq !== chain.throughSeq || signature.head !== chain.head) {
    return { ok: false, reason: "chain_differs", message: `the ledger chain in the file (through seq ${chain.throughSeq}) is not the signed one (through seq ${signature.throughSeq})` };
  }
  return { ok: true, keyId: key.id, signedAtMs: signature.signedAtMs, oldKey: key !== keys.current, developmentKey: key.key === DEVELOPMENT_BACKUP_SIGNING_KEY };
}
