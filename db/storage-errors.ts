// The one place that decides whether an error means "the disk cannot take our writes" (full, read-only, failing).
/** SQLite result codes (primary, so every extended SQLITE_IOERR_* and SQLITE_READONLY_* matches) that name the storage. */
const SQLITE_STORAGE_CODES = ["SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN"];
/** The same troubles as the operating system names them (a failed fdatasync of the WAL, a file we could not open). */
const OS_STORAGE_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "EIO"]);

/**
 * The storage error code carried by `error` or one of its causes (e.g. "SQLITE_FULL", "SQLITE_IOERR_WRITE", "ENOSPC"),
 * or null when the error is not about the storage. Causes are followed because the writer wraps a failed sync.
 */
export function storageErrorCode(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; current && typeof current === "object" && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      if (SQLITE_STORAGE_CODES.some((prefix) => code === prefix || code.startsWith(`${prefix}_`))) return code;
      if (OS_STORAGE_CODES.has(code)) return code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
