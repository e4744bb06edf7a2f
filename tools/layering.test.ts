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
