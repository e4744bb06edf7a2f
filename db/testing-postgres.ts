// A throwaway PostgreSQL for tests (issue 21): Debian's postgresql (15) binaries, a cluster made with initdb in a
// temporary folder, started with pg_ctl on a free loopback port with its socket in that folder. No system service, no
// root-owned data: when the tests run as root (CI), the cluster runs as the unprivileged `postgres` user Debian's
// package creates. Used by tests only, never by production code.
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export interface TestCluster {
  /** postgres://… for a superuser of the cluster, on 127.0.0.1. */
  url: string;
  port: number;
  /** Stops the server (fast shutdown) and deletes the cluster's folder. */
  stop(): Promise<void>;
}

/** The folder holding initdb and pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/<version>/bin. */
export function postgresBinaries(): string | null {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, "initdb"))) return process.env.PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) if (existsSync(join(root, version, "bin", "initdb"))) return join(root, version, "bin");
  return null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function run(command: string[], asUser: string | null): void {
  const full = asUser ? ["runuser", "-u", asUser, "--", ...command] : command;
  const result = Bun.spawnSync(full, { stdout: "pipe", stderr: "pipe", env: { ...process.env, LC_ALL: "C.UTF-8" } });
  if (result.exitCode !== 0) throw new Error(`${command[0]} failed (${result.exitCode}): ${result.stderr.toString().trim() || result.stdout.toString().trim()}`);
}

/**
 * Makes and starts a cluster. Throws with the way out when Debian's postgresql is not installed (`.ci/run` installs
 * it): a test that needs PostgreSQL fails rather than passing without it.
 */
export async function startTestCluster(): Promise<TestCluster> {
  const bin = postgresBinaries();
  if (!bin) throw new Error("PostgreSQL is not installed: apt-get install -y postgresql (Debian's 15), or set PG_BIN to its bin folder");
  const asUser = userInfo().uid === 0 ? "postgres" : null;
  const folder = mkdtempSync(join(tmpdir(), "kantinekort-pg-"));
  const data = join(folder, "data");
  chmodSync(folder, 0o700);
  if (asUser) {
    const uid = Number(Bun.spawnSync(["id", "-u", asUser]).stdout.toString().trim());
    const gid = Number(Bun.spawnSync(["id", "-g", asUser]).stdout.toString().trim());
    chownSync(folder, uid, gid);
  }
  const port = await freePort();
  run([join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions"], asUser);
  // Durable as production is (fsync on); small, since many test files start one.
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c shared_buffers=16MB -c max_connections=60`;
  run([join(bin, "pg_ctl"), "-D", data, "-l", join(folder, "log"), "-o", options, "-w", "-t", "60", "start"], asUser);
  let stopped = false;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        run([join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"], asUser);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  };
}
