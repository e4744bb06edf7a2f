// The layers run one way (client → common, server → db → common): every import in the repository is read and checked against these rules.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, test } from "vitest";

const root = resolve(import.meta.dirname, "..");

export interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Every relative import of one file (static, re-export and dynamic), resolved to a path from the repository root. */
export function importsOf(file: string, source: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    if (!specifier.startsWith(".")) return;
    edges.push({ from: file, to: relative(root, resolve(root, dirname(file), specifier)), typeOnly });
  };
  // `import … from "x"`, `export … from "x"` and a bare `import "x"`; `import type`/`export type` never run.
  for (const match of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^;'"]*?\bfrom\s*["']([^"']+)["']/gm)) add(match[3]!, Boolean(match[2]));
  for (const match of source.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) add(match[1]!, false);
  // `import("x")` runs, except as a type: `type T = import("x").T` or `value: import("x").T`.
  for (const match of source.matchAll(/^(.*?)\bimport\(\s*["']([^"']+)["']\s*\)/gm)) {
    const before = match[1]!;
    add(match[2]!, /^\s*(export\s+)?type\s/.test(before) || /[:<|]\s*$/.test(before));
  }
  return edges;
}

function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(root, directory))) {
    const path = join(directory, name);
    if (name === "node_modules" || name === "dist") continue;
    if (statSync(join(root, path)).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|tsx)$/.test(name)) files.push(path);
  }
  return files;
}

const isTest = (path: string) => /\.test\.tsx?$/.test(path) || path.startsWith("e2e/");
const under = (path: string, ...folders: string[]) => folders.some((folder) => path === folder || path.startsWith(`${folder}/`));
/** Test helpers, harness programs (crash test, soak) and benchmarks: tools around the product, not the product. */
const isServerProduction = (path: string) => under(path, "server") && !isTest(path) && !under(path, "server/testing", "server/reliability");

/** The rule an import breaks, or null. */
export function violation(edge: ImportEdge): string | null {
  const { from, to, typeOnly } = edge;
  if (under(from, "common") && !under(to, "common")) return "common/ imports only common/";
  if (under(from, "db") && under(to, "server", "tools", "bench", "client")) return "db/ never imports server/, tools/, bench/ or client/";
  if (under(from, "client") && !typeOnly && under(to, "server", "db", "tools", "bench")) return "client/ imports server/ and db/ for types only";
  if (isServerProduction(from)) {
    if (under(to, "bench", "tools", "server/testing", "server/reliability") || to === "db/testing.ts" || isTest(to))
      return "server production code never imports benchmarks, tools or test helpers";
    if (under(to, "client")) return "server/ never imports client/";
  }
  if (from === "tools/processes.ts") return "tools/processes.ts imports nothing from the application, so every harness may share it";
  if (!under(from, "bench", "tools") && !isTest(from) && under(to, "bench")) return "only benchmarks import bench/";
  return null;
}

test("the checker finds each kind of wrong-direction import", () => {
  const cases: Array<[string, string]> = [
    ["db/seed.ts", 'import { hashApiKey } from "../server/auth/terminal.ts";'],
    ["db/anything.ts", 'export { x } from "../server/x.ts";'],
    ["common/money.ts", 'import { db } from "../db/query.ts";'],
    ["client/src/pages/Kasse.tsx", 'import { recordSale } from "../../../server/services/pos.ts";'],
    ["client/src/pages/Kasse.tsx", 'const m = await import("../../../db/query.ts");'],
    ["server/http.ts", 'import { freePort } from "../tools/processes.ts";'],
    ["server/services/pos.ts", 'import { freePort } from "../../bench/processes.ts";'],
    ["server/services/pos.ts", 'import { createTestStore } from "../testing/harness.ts";'],
    ["server/app.ts", 'import { tempDatabasePath } from "../db/testing.ts";'],
    ["tools/processes.ts", 'import { loadConfig } from "../server/config.ts";'],
  ];
  for (const [file, source] of cases) {
    const normalised = relative(root, resolve(root, file));
    const edges = importsOf(normalised, source);
    expect(edges, source).toHaveLength(1);
    expect(violation(edges[0]!), `${file}: ${source}`).not.toBeNull();
  }
  // Allowed: the client's type-only import of the router, a test helper used by a test, the CLI using services.
  expect(violation(importsOf("client/src/session.ts", 'type PortalEvent = import("../../server/routers/accounts.ts").PortalEvent;')[0]!)).toBeNull();
  expect(violation(importsOf("client/src/trpc.ts", 'import type { AppRouter } from "../../server/routers/_app.ts";')[0]!)).toBeNull();
  expect(violation(importsOf("server/routers/pos.test.ts", 'import { startTestServer } from "../testing/harness.ts";')[0]!)).toBeNull();
  expect(violation(importsOf("tools/cli.ts", 'import { seedDemo } from "../server/seed.ts";')[0]!)).toBeNull();
  expect(violation(importsOf("server/reliability/crash.ts", 'import { freePort } from "../../tools/processes.ts";')[0]!)).toBeNull();
});

test("no file in the repository imports against the direction of the layers", () => {
  const files = ["common", "db", "server", "client/src", "tools", "bench", "e2e"].flatMap(sourceFiles);
  expect(files.length).toBeGreaterThan(50);
  const edges = files.flatMap((file) => importsOf(file, readFileSync(join(root, file), "utf8")));
  expect(edges.length).toBeGreaterThan(200);
  const wrong = edges.flatMap((edge) => {
    const rule = violation(edge);
    return rule ? [`${edge.from} → ${edge.to}: ${rule}`] : [];
  });
  expect(wrong).toEqual([]);
});

// Inside server/: a rank per folder (and per file for the few files directly in server/). Production code imports only
// its own rank or lower, type-only imports included, so the dependencies point down:
//   app, main → http → routers → trpc → context, backups, seed → services → auth, mail, acquirer → ledger → events → ops, config …
// and no file takes part in an import cycle anywhere (server/, db/, common/, client/), type-only imports included.
// Not yet ranked (issue 28): routers still run some queries of their own; they import db/ freely.
export const SERVER_RANKS: Array<[rank: number, paths: string[]]> = [
  [0, ["server/ops", "server/config.ts", "server/html.ts", "server/csv.ts", "server/images.ts", "server/loop-delay.ts"]],
  [1, ["server/events"]],
  [2, ["server/ledger"]],
  [3, ["server/auth", "server/mail", "server/acquirer"]],
  [4, ["server/services"]],
  [5, ["server/backups", "server/seed.ts", "server/context.ts"]],
  [6, ["server/trpc.ts"]],
  [7, ["server/routers"]],
  [8, ["server/http.ts", "server/static-files.ts"]],
  [9, ["server/app.ts", "server/main.ts"]],
];

/** A server production file's rank, or null for what is not ranked (tests, test helpers, harnesses, other folders). */
export function serverRank(path: string): number | null {
  if (!isServerProduction(path)) return null;
  for (const [rank, paths] of SERVER_RANKS) if (under(path, ...paths)) return rank;
  return -1;
}

/** Why an import inside server/ points up, or null. */
export function rankViolation(edge: ImportEdge): string | null {
  const from = serverRank(edge.from);
  const to = serverRank(edge.to);
  if (from === null || to === null) return null;
  if (from === -1) return `${edge.from} has no rank: add its folder to SERVER_RANKS`;
  if (to > from) return `rank ${from} imports rank ${to}${edge.typeOnly ? " (type-only counts too)" : ""}`;
  // Routers are composed in one place: _app.ts and backoffice.ts put them together; no router uses another.
  if (under(edge.from, "server/routers") && under(edge.to, "server/routers") && !["server/routers/_app.ts", "server/routers/backoffice.ts"].includes(edge.from) && !(under(edge.from, "server/routers/backoffice") && edge.to === "server/routers/backoffice/shared.ts"))
    return "a router imports another router (shared post-commit effects belong in the service that causes them)";
  return null;
}

/** The import cycles among these files (each a list of files, as strongly connected components), type-only edges included. */
export function importCycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const edge of edges) {
    if (!graph.has(edge.from)) graph.set(edge.from, []);
    if (!graph.has(edge.to)) graph.set(edge.to, []);
    graph.get(edge.from)!.push(edge.to);
  }
  // Tarjan's algorithm, iterative, so a deep chain cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter);
    counter += 1;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = graph.get(frame.node)!;
      if (frame.next < targets.length) {
        const target = targets[frame.next]!;
        frame.next += 1;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter);
          counter += 1;
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || graph.get(frame.node)!.includes(frame.node)) cycles.push(component.sort());
      }
    }
  }
  return cycles;
}

test("the rank check finds an upward import, type-only included, and a router importing a router", () => {
  const planted: Array<[string, string]> = [
    // The cycle this issue found: a service typed by the tRPC module's service bundle.
    ["server/services/payer.ts", 'import type { AppServices } from "../trpc.ts";'],
    ["server/events/bus.ts", 'export type LowBalanceEvent = import("../services/payer.ts").LowBalanceEvent;'],
    ["server/auth/terminal.ts", 'import type { TerminalIdentity } from "../services/pos.ts";'],
    ["server/ops/health.ts", 'import { startBackupSchedule } from "../backups/scheduler.ts";'],
    ["server/ledger/ledger.ts", 'import { sendQuietly } from "../mail/mailer.ts";'],
    ["server/routers/kitchen.ts", 'import { publishOrderChange } from "./webshop.ts";'],
    ["server/newfolder/x.ts", 'import { log } from "../ops/logger.ts";'],
  ];
  for (const [file, source] of planted) {
    const edges = importsOf(file, source);
    expect(edges, source).toHaveLength(1);
    expect(rankViolation(edges[0]!), `${file}: ${source}`).not.toBeNull();
  }
  // Allowed: down, sideways in a rank, tests and test helpers anywhere, the router composition.
  expect(rankViolation(importsOf("server/services/payer.ts", 'import type { ServiceBundle } from "./bundle.ts";')[0]!)).toBeNull();
  expect(rankViolation(importsOf("server/routers/_app.ts", 'import { posRouter } from "./pos.ts";')[0]!)).toBeNull();
  expect(rankViolation(importsOf("server/services/pos.test.ts", 'import { startTestServer } from "../testing/harness.ts";')[0]!)).toBeNull();
  expect(rankViolation(importsOf("server/auth/session.ts", 'import type { EventBus } from "../events/bus.ts";')[0]!)).toBeNull();
});

test("the cycle check finds a planted cycle, type-only edges included", () => {
  const planted = [
    ...importsOf("server/trpc.ts", 'import { findSession } from "./auth/session.ts";'),
    ...importsOf("server/auth/session.ts", 'import type { EventBus } from "../events/bus.ts";'),
    ...importsOf("server/events/bus.ts", 'export type X = import("../services/payer.ts").X;'),
    ...importsOf("server/services/payer.ts", 'import type { AppServices } from "../trpc.ts";'),
    ...importsOf("server/ops/logger.ts", 'import { x } from "./metrics.ts";'),
  ];
  expect(importCycles(planted)).toEqual([["server/auth/session.ts", "server/events/bus.ts", "server/services/payer.ts", "server/trpc.ts"]]);
  expect(importCycles(planted.filter((edge) => edge.from !== "server/services/payer.ts"))).toEqual([]);
});

test("inside server/ every import points down the ranks, and no file anywhere is part of an import cycle", () => {
  const files = ["common", "db", "server", "client/src"].flatMap(sourceFiles).filter((file) => !isTest(file));
  const edges = files.flatMap((file) => importsOf(file, readFileSync(join(root, file), "utf8")));
  const upward = edges.flatMap((edge) => {
    const rule = rankViolation(edge);
    return rule ? [`${edge.from} → ${edge.to}: ${rule}`] : [];
  });
  expect(upward).toEqual([]);
  expect(importCycles(edges)).toEqual([]);
});
