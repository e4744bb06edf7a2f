// The WAL file the writer syncs in wal-sync mode: kept open, reopened when SQLite replaced it, synced off the event loop.
import { closeSync, fdatasync, openSync, statSync } from "node:fs";

/** node:fs fdatasync on Bun's I/O thread pool, so a slow disk never blocks the event loop. */
export const fdatasyncAsync = (fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));

export class WalFile {
  private fd: number | null = null;
  private inode = -1;

  constructor(readonly path: string) {}

  /** The open WAL file, reopened if SQLite replaced it (it is only deleted when the last connection closes). */
  open(): number {
    const inode = statSync(this.path).ino;
    if (this.fd === null || inode !== this.inode) {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = openSync(this.path, "r+");
      this.inode = inode;
    }
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
