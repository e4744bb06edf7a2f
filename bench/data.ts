// `npm run bench:data -- --sales 3000000`: what the back office, the ledger check, backups and the till cost on a year of data.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, readSnapshot } from "../db/connect.ts";
import { checkLedger } from "../server/ledger/ledger.ts";
import { dailyReport } from "../server/services/backoffice/reports.ts";
import { searchCardholders } from "../server/services/backoffice/cards.ts";
import { statementMonth } from "../server/services/portal.ts";
import { backupDatabase } from "../server/ops/backup.ts";
import { buildYearDatabase, yearShape, type YearDatabase } from "./year-data.ts";
import { percentile } from "../tools/processes.ts";

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const SIZES = (argument("sales") ?? process.env.BENCH_DATA_SALES ?? "100000,1000000,3000000").split(",").map((size) => Number(size.trim()));
/** Built databases are kept here between runs (the build is deterministic); BENCH_DATA_DIR to choose another place. */
const DATA_DIRECTORY = process.env.BENCH_DATA_DIR ?? join(tmpdir(), "kantinekort-year-data");
const ROUNDS = 3;

function time<T>(fn: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

function medianOf(fn: () => unknown): number {
  return percentile(Array.from({ length: ROUNDS }, () => time(fn).ms).sort((a, b) => a - b), 0.5);
}

async function yearDatabase(sales: number): Promise<YearDatabase & { buildSeconds: number | null }> {
  mkdirSync(DATA_DIRECTORY, { recursive: true });
  const path = join(DATA_DIRECTORY, `year-${sales}.sqlite`);
  const shape = yearShape(sales);
  if (existsSync(path) && existsSync(`${path}.json`)) {
    return { ...(JSON.parse(await Bun.file(`${path}.json`).text()) as YearDatabase), cardNumber: () => "", buildSeconds: null };
  }
  const started = performance.now();
  const built = await buildYearDatabase(path, shape, (line) => console.log(line));
  await Bun.write(`${path}.json`, JSON.stringify({ ...built, cardNumber: undefined }));
  return { ...built, buildSeconds: (performance.now() - started) / 1000 };
}

const rows: Array<Record<string, string>> = [];
for (const sales of SIZES) {
  console.log(`\nA year with ${sales.toLocaleString("en")} sales`);
  const year = await yearDatabase(sales);
  if (year.buildSeconds !== null) console.log(`  built in ${year.buildSeconds.toFixed(0)} s: ${JSON.stringify(year.counts)}`);
  const work = join(DATA_DIRECTORY, `work-${sales}.sqlite`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${work}${suffix}`, { force: true });
  copyFileSync(year.path, work);
  const store = openStore({ path: work });
  const middleDay = year.days[Math.floor(year.days.length / 2)]!;
  const [reportYear, reportMonth] = middleDay.split("-").map(Number) as [number, number];
  const report = medianOf(() => store.read((tx) => dailyReport(tx, year.tenantId, middleDay)));
  const ledger = time(() => readSnapshot(work, (tx) => checkLedger(tx)));
  const search = medianOf(() => store.read((tx) => searchCardholders(tx, year.tenantId, "jensen")));
  const statement = medianOf(() => store.read((tx) => statementMonth(tx, 100, reportYear, reportMonth)));
  await store.close();
  const backupTarget = join(DATA_DIRECTORY, `backup-${sales}.sqlite`);
  rmSync(backupTarget, { force: true });
  const backup = time(() => backupDatabase(work, backupTarget));
  const bytes = statSync(work).size;
  rmSync(backupTarget, { force: true });
  const row = {
    sales: sales.toLocaleString("en"),
    "file MB": (bytes / 1e6).toFixed(0),
    "daily report ms": report.toFixed(1),
    "ledger:check ms": ledger.ms.toFixed(0) + (ledger.value.ok ? "" : " (FAILED)"),
    "backup ms": backup.ms.toFixed(0) + (backup.value.ok ? "" : " (FAILED)"),
    "search ms": search.toFixed(1),
    "statement ms": statement.toFixed(2),
  };
  rows.push(row);
  console.table([row]);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${work}${suffix}`, { force: true });
}
console.log("\nYear of data (median of 3 where repeated):");
console.table(rows);
