// Helpers for benchmarks, the crash test and the soak: free loopback ports and child processes that are always cleaned up. It imports nothing from the app, and server production code never imports it.
export async function freePort(): Promise<number> {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  await probe.stop(true);
  return port;
}

/** Waits up to 60 s: a server with demo data starts in about a second, but on a loaded 2-core machine it took over 25. */
export async function waitForHttp(url: string): Promise<void> {
  for (let attempt = 0; attempt < 1_200; attempt += 1) {
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await Bun.sleep(50);
  }
  throw new Error(`server at ${url} did not come up`);
}

export const children: Array<ReturnType<typeof Bun.spawn>> = [];

export async function startProcess(args: string[], env: Record<string, string>, readyUrl: string): Promise<ReturnType<typeof Bun.spawn>> {
  const child = Bun.spawn(args, { env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  children.push(child);
  await waitForHttp(readyUrl);
  return child;
}

export async function stopProcess(child: ReturnType<typeof Bun.spawn>): Promise<void> {
  child.kill("SIGTERM");
  await child.exited;
}

/** Production settings every benchmark server gets (production refuses to start without its secrets). */
export const productionEnv = {
  NODE_ENV: "production",
  SEED_DEMO: "false",
  HOST: "127.0.0.1",
  CPR_ENCRYPTION_KEY: "11".repeat(32),
  ACQUIRER_SECRET: "bench-acquirer-secret-0001",
  BACKUP_SIGNING_KEY: "bench-backup-signing-key-000000000000001",
  PUBLIC_URL: "http://127.0.0.1",
  // The benchmarks pay with the built-in simulator, which production refuses without a staging site's opt-in.
  ALLOW_TEST_PAYMENTS_IN_PRODUCTION: "true",
};

export function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}
