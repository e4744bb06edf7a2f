// Test helpers of the database layer: a fresh migrated file in a temporary folder. Used by tests only, never by production code.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type Store } from "./connect.ts";
import { migrateToLatest } from "./migrate.ts";
import type { WriterOptions } from "./writer.ts";

export function tempDatabasePath(): { path: string; cleanup: () => void } {
  const directory = mkdtempSync(join(tmpdir(), "kantinekort-test-"));
  return { path: join(directory, "test.sqlite"), cleanup: () => rmSync(directory, { recursive: true, force: true }) };
}

export interface TestStore {
  store: Store;
  path: string;
  close(): Promise<void>;
}

export async function createTestStore(writer?: WriterOptions): Promise<TestStore> {
  const { path, cleanup } = tempDatabasePath();
  await migrateToLatest(path);
  const store = openStore({ path, writer });
  return {
    store,
    path,
    async close() {
      await store.close();
      cleanup();
    },
  };
}
