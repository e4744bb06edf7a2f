// Build plugins of the client: the till's offline precache list and precompressed (brotli, gzip) copies of every text asset.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** The file the till's service worker reads to learn which built files /kasse needs (client/public/kasse-sw.js). */
export const KASSE_PRECACHE_FILE = "kasse-precache.json";

interface ChunkLike {
  type: "chunk";
  fileName: string;
  isEntry: boolean;
  facadeModuleId: string | null;
  imports: string[];
  dynamicImports: string[];
  viteMetadata?: { importedCss: Set<string> };
}
type OutputLike = ChunkLike | { type: "asset"; fileName: string };

/**
 * Every file the till loads: the entry, the till's own chunk, everything they import (statically, and dynamically from
 * the till's chunk, which holds no other app), and their styles. The other apps' chunks stay out, so a till device keeps
 * only what it runs.
 */
export function tillFiles(bundle: Record<string, OutputLike>, tillModuleSuffix: string): string[] {
  const chunks = Object.values(bundle).filter((item): item is ChunkLike => item.type === "chunk");
  const till = chunks.find((chunk) => chunk.facadeModuleId?.replaceAll("\\", "/").endsWith(tillModuleSuffix));
  if (!till) throw new Error(`the build has no chunk for ${tillModuleSuffix}: the till could not open offline`);
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]));
  const files = new Set<string>();
  const visit = (chunk: ChunkLike, followDynamic: boolean) => {
    if (files.has(chunk.fileName)) return;
    files.add(chunk.fileName);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const name of chunk.imports) visit(byName.get(name)!, followDynamic);
    if (followDynamic) for (const name of chunk.dynamicImports) visit(byName.get(name)!, true);
  };
  for (const entry of chunks.filter((chunk) => chunk.isEntry)) visit(entry, false);
  visit(till, true);
  return [...files].sort();
}

export function kassePrecache(tillModuleSuffix = "/src/pages/Kasse.tsx"): Plugin {
  return {
    name: "kantinekort-kasse-precache",
    apply: "build",
    generateBundle(_options, bundle) {
      const assets = tillFiles(bundle as unknown as Record<string, OutputLike>, tillModuleSuffix).map((file) => `/${file}`);
      this.emitFile({ type: "asset", fileName: KASSE_PRECACHE_FILE, source: `${JSON.stringify({ assets }, null, 1)}\n` });
    },
  };
}

const COMPRESSIBLE = /\.(?:js|mjs|css|html|json|webmanifest|svg|txt|map)$/;

/** Every file under a folder, as paths relative to it with forward slashes. */
function filesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else found.push(relative(root, path).split(sep).join("/"));
    }
  };
  walk(root);
  return found;
}

/**
 * Writes `<file>.br` and `<file>.gz` beside every text file of the finished build (the public folder's copies too), so
 * the server sends compressed bytes without compressing per request. A copy that would not be smaller is not written:
 * the server then sends the file as it is.
 */
export function precompress(): Plugin {
  let outDir = "";
  return {
    name: "kantinekort-precompress",
    apply: "build",
    configResolved(config) {
      outDir = join(config.root, config.build.outDir);
    },
    closeBundle: {
      order: "post",
      sequential: true,
      handler() {
        for (const file of filesUnder(outDir).filter((name) => COMPRESSIBLE.test(name))) {
          const path = join(outDir, file);
          const original = readFileSync(path);
          const brotli = brotliCompressSync(original, {
            params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: original.length },
          });
          const gzip = gzipSync(original, { level: 9 });
          if (brotli.length < original.length) writeFileSync(`${path}.br`, brotli);
          if (gzip.length < original.length) writeFileSync(`${path}.gz`, gzip);
        }
      },
    },
  };
}
