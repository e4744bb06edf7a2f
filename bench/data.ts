// `npm run bench:data -- --sales 3000000`: what the back office, the ledger check, backups and the till cost on a year of data.
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, readSnapshot } from "../db/connect.ts";
import { checkLedger } from "../server/ledger/check.ts";
import { dailyReport } from "../server/services/backoffice/reports.ts";
import { countCardholders, issueCard, searchCardholders } from "../server/services/backoffice/cards.ts";
import { statementMonth } from "../server/services/statements.ts";
import { backupDatabase } from "../server/backups/backup.ts";
import { signatureFileOf, signingKeys } from "../server/ops/backup-signature.ts";
import { yearOfBackupsOnDisk } from "./backup-disk.ts";
import { DEFAULT_RETENTION } from "../server/ops/retention.ts";
import { buildYearDatabase, yearCardNumber, yearShape, type YearDatabase } from "./year-data.ts";
import { children, freePort, percentile, productionEnv, startProcess, stopProcess } from "../tools/processes.ts";
import { runOpenLoop, type OpenLoopResult } from "./open-loop.ts";
import { db } from "../db/query.ts";
import { migrateToLatest } from "../db/migrate.ts";

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const SIZES = (argument("sales") ?? process.env.BENCH_DATA_SALES ?? "100000,1000000,3000000").split(",").map((size) => Number(size.trim()));
/** Built databases are kept here between runs (the build is deterministic); BENCH_DATA_DIR to choose another place. */
const DATA_DIRECTORY = process.env.BENCH_DATA_DIR ?? join(tmpdir(), "kantinekort-year-data");
const ROUNDS = 3;
/** Sales per second the tills send while reports run (a busy lunch at a big school, well below the server's ceiling). */
const SALE_RATE = Number(process.env.BENCH_DATA_RATE ?? 200);
const LOAD_SECONDS = Number(process.env.BENCH_DATA_SECONDS ?? 8);
const STAFF = { email: "bench-admin@skole.example.dk", password: "Bench-Admin-2026!" };

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

/** A staff member to sign in with (added to the working copy, never to the built year). */
async function addStaff(path: string, tenantId: number): Promise<void> {
  const hash = await Bun.password.hash(STAFF.password, { algorithm: "argon2id" });
  const store = openStore({ path });
  await store.write((tx) => tx.run(db.insertInto("users").values({ tenant_id: tenantId, role: "admin", name: "Bench", email: STAFF.email, password_hash: hash, created_at: Date.now() })));
  await store.close();
}

interface OverHttp {
  startMs: number;
  reportMs: number;
  yearColdNote: string;
  yearMs: number;
  monthMs: number;
  quiet: OpenLoopResult;
  loaded: OpenLoopResult;
  reportsDuringLoad: number;
  reportMsDuringLoad: number;
}

/** The real server on the copy: start time, the report over HTTP, and till sales at a fixed rate with and without reports running. */
async function overHttp(path: string, year: YearDatabase): Promise<OverHttp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const server = await startProcess([process.execPath, "server/main.ts"], { ...productionEnv, PORT: String(port), DATABASE_PATH: path, BACKUP_SIGNING_KEY: "22".repeat(32) }, `${url}/healthz`);
  const startMs = performance.now() - started;
  try {
    const login = await fetch(`${url}/trpc/backoffice.login`, { method: "POST", headers: { "content-type": "application/json", "x-kantinekort-csrf": "1" }, body: JSON.stringify(STAFF) });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    if (!login.ok || !cookie) throw new Error(`staff sign-in failed: ${login.status} ${await login.text()}`);
    const middleDay = year.days[Math.floor(year.days.length / 2)]!;
    const report = async (day: string) => {
      const at = performance.now();
      const response = await fetch(`${url}/trpc/backoffice.report?input=${encodeURIComponent(JSON.stringify({ day }))}`, { headers: { cookie } });
      await response.text();
      if (!response.ok) throw new Error(`report answered ${response.status}`);
      return performance.now() - at;
    };
    await report(middleDay);
    const reportMs = percentile([await report(middleDay), await report(middleDay), await report(middleDay)].sort((a, b) => a - b), 0.5);
    /** One period report over HTTP: its time, and whether it was the report or its progress ("preparing"). */
    const periodReportOnce = async (from: string, to: string) => {
      const at = performance.now();
      const response = await fetch(`${url}/trpc/backoffice.periodReport?input=${encodeURIComponent(JSON.stringify({ from, to }))}`, { headers: { cookie } });
      const body = (await response.json()) as { result?: { data?: { status?: string } } };
      if (!response.ok) throw new Error(`period report answered ${response.status}`);
      return { ms: performance.now() - at, ready: body.result?.data?.status === "ready" };
    };
    const periodReport = async (from: string, to: string) => (await periodReportOnce(from, to)).ms;
    const [monthYear, monthNumber] = middleDay.split("-");
    const monthFrom = `${monthYear}-${monthNumber}-01`;
    const monthTo = `${monthYear}-${monthNumber}-28`;
    const yearFrom = "2025-08-01";
    const yearTo = "2026-07-31";
    // The first year report adds up the days the background keeper has not kept yet, two seconds at a time: it answers
    // with its progress until every day is ready, as the page does when it asks again. Printed: the rounds, the
    // longest answer and the time until the report came.
    const coldStarted = performance.now();
    let rounds = 0;
    let longestMs = 0;
    for (;;) {
      const answer = await periodReportOnce(yearFrom, yearTo);
      rounds += 1;
      longestMs = Math.max(longestMs, answer.ms);
      if (answer.ready || performance.now() - coldStarted > 600_000) break;
      await Bun.sleep(700);
    }
    const yearColdNote = `${rounds} answer${rounds === 1 ? "" : "s"} (longest ${longestMs.toFixed(0)} ms), the report after ${((performance.now() - coldStarted) / 1000).toFixed(1)} s`;
    const yearMs = percentile([await periodReport(yearFrom, yearTo), await periodReport(yearFrom, yearTo), await periodReport(yearFrom, yearTo)].sort((a, b) => a - b), 0.5);
    const monthMs = percentile([await periodReport(monthFrom, monthTo), await periodReport(monthFrom, monthTo), await periodReport(monthFrom, monthTo)].sort((a, b) => a - b), 0.5);
    const load = (prefix: string) =>
      runOpenLoop({ url, key: year.terminalKeys[0]!, rate: SALE_RATE, tills: 16, seconds: LOAD_SECONDS, warmupSeconds: 1, cardNumber: yearCardNumber, cards: year.counts.cardholders, amountOre: 100, prefix });
    const quiet = await load("quiet");
    // The same load while a staff member opens one report after another, on days across the year.
    let reportsDuringLoad = 0;
    const reportTimes: number[] = [];
    let loading = true;
    const reporter = (async () => {
      await Bun.sleep(1_000);
      // A day report and a school-year report, one after the other, as long as the tills sell.
      for (let index = 0; loading; index += 1) {
        reportTimes.push(index % 2 === 0 ? await report(year.days[(index * 37) % year.days.length]!) : await periodReport(yearFrom, yearTo));
        reportsDuringLoad += 1;
      }
    })();
    const loaded = await load("loaded");
    loading = false;
    await reporter;
    return { startMs, reportMs, yearColdNote, yearMs, monthMs, quiet, loaded, reportsDuringLoad, reportMsDuringLoad: percentile(reportTimes.sort((a, b) => a - b), 0.5) };
  } finally {
    await stopProcess(server);
  }
}

process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

const rows: Array<Record<string, string>> = [];
for (const sales of SIZES) {
  console.log(`\nA year with ${sales.toLocaleString("en")} sales`);
  const year = await yearDatabase(sales);
  if (year.buildSeconds !== null) console.log(`  built in ${year.buildSeconds.toFixed(0)} s: ${JSON.stringify(year.counts)}`);
  const work = join(DATA_DIRECTORY, `work-${sales}.sqlite`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${work}${suffix}`, { force: true });
  copyFileSync(year.path, work);
  // A year built by older code meets today's migrations as an operator's database would.
  const migrateStarted = performance.now();
  await migrateToLatest(work);
  const migrateMs = performance.now() - migrateStarted;
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
  rmSync(signatureFileOf(backupTarget), { force: true });
  const backup = time(() => backupDatabase(work, backupTarget, signingKeys({ backupSigningKey: null, backupSigningKeysOld: [], production: false })));
  const bytes = statSync(work).size;
  const backupBytes = backup.value.ok ? statSync(backupTarget).size : bytes;
  // Hourly backups for a year under the default retention, each the size the database had then.
  const disk = yearOfBackupsOnDisk(backupBytes, year.days, DEFAULT_RETENTION);
  rmSync(backupTarget, { force: true });
  rmSync(signatureFileOf(backupTarget), { force: true });
  console.log(`  in-process: daily report ${report.toFixed(1)} ms, ledger:check ${ledger.ms.toFixed(0)} ms (${ledger.value.ok ? "ok" : "FAILED"}), backup ${backup.ms.toFixed(0)} ms (${backup.value.ok ? "ok" : "FAILED"}), ${(backupBytes / 1e6).toFixed(0)} MB; search ${search.toFixed(1)} ms; statement ${statement.toFixed(2)} ms; migrations ${migrateMs.toFixed(0)} ms`);
  console.log(`  a year of hourly backups, default retention: peak ${(disk.peakBytes / 1e9).toFixed(1)} GB, ${disk.endFiles} files and ${(disk.endBytes / 1e9).toFixed(1)} GB on 31 July`);
  await addStaff(work, year.tenantId);
  const http = await overHttp(work, year);
  const row = {
    sales: sales.toLocaleString("en"),
    "file MB": (bytes / 1e6).toFixed(0),
    "migrate ms": migrateMs.toFixed(0),
    "daily report ms": report.toFixed(1),
    "ledger:check ms": ledger.ms.toFixed(0) + (ledger.value.ok ? "" : " (FAILED)"),
    "backup ms": backup.ms.toFixed(0) + (backup.value.ok ? "" : " (FAILED)"),
    "backup file MB": (backupBytes / 1e6).toFixed(0),
    "a year of hourly backups, default retention: peak GB / files and GB on 31 July": `${(disk.peakBytes / 1e9).toFixed(1)} / ${disk.endFiles} files, ${(disk.endBytes / 1e9).toFixed(1)}`,
    "search ms": search.toFixed(1),
    "statement ms": statement.toFixed(2),
    "server start ms": http.startMs.toFixed(0),
    "daily report over HTTP ms": http.reportMs.toFixed(0),
    "month report over HTTP ms": http.monthMs.toFixed(0),
    "school-year report over HTTP ms (first / later)": `${http.yearColdNote} / ${http.yearMs.toFixed(0)}`,
    [`sale p99 at ${SALE_RATE}/s, ms`]: http.quiet.p99Ms.toFixed(1),
    "sale p99 / max while day and year reports run, ms": `${http.loaded.p99Ms.toFixed(1)} / ${http.loaded.maxMs.toFixed(0)} (${http.reportsDuringLoad} reports, median ${http.reportMsDuringLoad.toFixed(0)} ms)`,
  };
  rows.push(row);
  for (const [measure, value] of Object.entries(row)) console.log(`  ${measure}: ${value}`);
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${work}${suffix}`, { force: true });
}
// The cardholder search at 100,000 cardholders (five years of intake at a big school, or several schools): a database
// of cardholders only, through the back office's own issueCard.
{
  const path = join(DATA_DIRECTORY, "cardholders-100000.sqlite");
  if (!existsSync(`${path}.done`)) {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${path}${suffix}`, { force: true });
    await migrateToLatest(path);
    const store = openStore({ path, synchronous: "NORMAL" });
    const tenantId = await store.write((tx) => tx.run(db.insertInto("tenants").values({ name: "Mange Skoler", created_at: 0 })).lastInsertRowid);
    const adminId = await store.write((tx) => tx.run(db.insertInto("users").values({ tenant_id: tenantId, role: "admin", name: "Bench", email: "bench@example.dk", created_at: 0 })).lastInsertRowid);
    const actor = { userId: adminId, tenantId, role: "admin" as const, label: "bench" };
    const surnames = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen"];
    const firstNames = ["Søren", "Mette", "Anne", "Peter", "Emma", "Noah", "Ida", "Oscar", "Freja", "William", "Clara", "Lucas", "Alma", "Karl", "Sofie"];
    for (let start = 0; start < 100_000; start += 5_000) {
      await store.write((tx) => {
        for (let index = start; index < start + 5_000; index += 1) {
          issueCard(tx, actor, { name: `${firstNames[index % 15]} ${surnames[Math.floor(index / 15) % 15]}-${index}`, school: "Skole", className: `${1 + (index % 9)}A` }, "x");
        }
      });
    }
    await store.close();
    await Bun.write(`${path}.done`, "");
  }
  // A database kept from an earlier run meets today's migrations (the search's own index among them).
  await migrateToLatest(path);
  const store = openStore({ path });
  const tenantId = store.read((tx) => tx.first(db.selectFrom("tenants").select("id"))!.id);
  const search = (text: string) => medianOf(() => store.read((tx) => ({ rows: searchCardholders(tx, tenantId, text), total: countCardholders(tx, tenantId, text) })));
  console.log(`\nCardholder search at 100,000 cardholders (a page of 50 and the count, median of 3): "jensen" ${search("jensen").toFixed(1)} ms, "soren" ${search("soren").toFixed(1)} ms, "ida jensen-1" ${search("ida jensen-1").toFixed(1)} ms, "4A" ${search("4A").toFixed(1)} ms`);
  await store.close();
}

// One row per measure and one column per size, as the issue's table reads.
console.log("\nYear of data (median of 3 where repeated):");
const measures = Object.keys(rows[0] ?? {}).filter((measure) => measure !== "sales");
console.log(`| measure | ${rows.map((row) => `${row.sales} sales`).join(" | ")} |`);
console.log(`|---|${rows.map(() => "---").join("|")}|`);
for (const measure of measures) console.log(`| ${measure} | ${rows.map((row) => row[measure]).join(" | ")} |`);
