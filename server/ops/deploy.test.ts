// The deployment files say what the README says: the example environment starts a production configuration, every
// operations setting is documented, the systemd unit runs hardened as its own user, and the Caddyfile adapts to a proxy
// that hides /metrics and streams events unbuffered.
import { expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { loadConfig } from "../config.ts";

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");

function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) values[match[1]!] = match[2]!;
  }
  return values;
}

test("deploy/kantinekort.env.example with the unit's NODE_ENV=production loads as a production configuration", () => {
  const example = parseEnvFile(read("deploy/kantinekort.env.example"));
  const unit = read("deploy/kantinekort.service");
  expect(unit).toMatch(/^Environment=NODE_ENV=production$/m);
  const config = loadConfig({ ...example, NODE_ENV: "production" });
  expect(config).toMatchObject({
    production: true,
    host: "127.0.0.1",
    publicUrl: "https://kantine.example.dk",
    trustProxy: { kind: "addresses", addresses: ["127.0.0.1"] },
    acquirer: "quickpay",
    logLevel: "info",
    backup: { dir: "/var/backups/kantinekort", intervalMinutes: 60, retention: { hours: 24, days: 7, weeks: 4, months: 12, maxFiles: null, maxBytes: 200e9 } },
  });
  expect(config.metricsToken).toBeTruthy();
  // Without PUBLIC_URL, production refuses to start: the example must keep it.
  const { PUBLIC_URL: _dropped, ...withoutPublicUrl } = example;
  expect(() => loadConfig({ ...withoutPublicUrl, NODE_ENV: "production" })).toThrow(/PUBLIC_URL/);
});

test("every setting of the example environment and of operations is in the README's configuration table", () => {
  const readme = read("README.md");
  const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("\n## ", readme.indexOf("## Configuration") + 5));
  const documented = new Set([...table.matchAll(/^\| `([A-Z_0-9]+)` \|/gm)].map((match) => match[1]));
  const wanted = new Set([...Object.keys(parseEnvFile(read("deploy/kantinekort.env.example"))), "LOG_LEVEL", "METRICS_TOKEN", "BACKUP_DIR", "BACKUP_INTERVAL_MINUTES", "BACKUP_KEEP_HOURS", "BACKUP_KEEP_DAYS", "BACKUP_KEEP_WEEKS", "BACKUP_KEEP_MONTHS", "BACKUP_KEEP", "BACKUP_MAX_GB"]);
  // TRUST_PROXY is documented by the sign-in hardening's own row when it lands; the checklist names it meanwhile.
  const missing = [...wanted].filter((name) => !documented.has(name) && !(name === "TRUST_PROXY" && readme.includes("`TRUST_PROXY`")));
  expect(missing).toEqual([]);
});

test("the systemd unit runs as its own user, restarts, stops gracefully, and is hardened", () => {
  const unit = read("deploy/kantinekort.service");
  for (const line of ["User=kantinekort", "EnvironmentFile=/etc/kantinekort/kantinekort.env", "Restart=on-failure", "KillSignal=SIGTERM", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "CapabilityBoundingSet=", "StateDirectory=kantinekort"]) {
    expect(unit, line).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  }
  expect(unit).not.toMatch(/^User=root$/m);
  // The graceful stop waits up to 10 s for sales in flight; systemd must wait longer before it kills.
  expect(Number(/^TimeoutStopSec=(\d+)s$/m.exec(unit)?.[1])).toBeGreaterThan(10);
});

test("the Caddyfile adapts to a TLS proxy for the portal that never forwards /metrics and streams unbuffered", () => {
  const adapt = Bun.spawnSync(["caddy", "adapt", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: "/tmp" } });
  expect(adapt.exitCode, adapt.stderr.toString()).toBe(0);
  const json = adapt.stdout.toString();
  const config = JSON.parse(json);
  const server = Object.values(config.apps.http.servers as Record<string, { listen: string[] }>)[0]!;
  expect(server.listen).toEqual([":443"]);
  expect(json).toContain('"host":["kantine.example.dk"]');
  expect(json).toContain('"upstreams":[{"dial":"127.0.0.1:3000"}]');
  expect(json).toContain('"flush_interval":-1');
  expect(json).toMatch(/"static_response","status_code":404\}\],"match":\[\{"path":\["\/metrics"\]\}\]/);
  expect(config.apps.tls.automation.policies[0].issuers).toEqual([{ module: "internal" }]);
  expect(config.apps.pki.certificate_authorities.local.install_trust).toBe(false);
});

test("the Caddyfile compresses proxied answers with zstd or gzip, but never a live stream", () => {
  const adapt = Bun.spawnSync(["caddy", "adapt", "--config", "deploy/Caddyfile", "--adapter", "caddyfile"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, HOME: "/tmp" } });
  expect(adapt.exitCode, adapt.stderr.toString()).toBe(0);
  const json = adapt.stdout.toString();
  const encode = JSON.parse(/\{[^{}]*"encodings":\{"gzip":\{\},"zstd":\{\}\}[^]*?"prefer":\["zstd","gzip"\]\}/.exec(json)?.[0] ?? "null") as { match: { headers: { "Content-Type": string[] } } } | null;
  expect(encode, "an encode handler with zstd preferred over gzip").not.toBeNull();
  const types = encode!.match.headers["Content-Type"];
  expect(types).toEqual(expect.arrayContaining(["application/json*", "text/html*", "text/javascript*", "text/css*"]));
  // A matcher such as text/* would also take text/event-stream, whose events a compressor holds back.
  expect(types.some((type) => "text/event-stream".startsWith(type.replace(/\*$/, "")))).toBe(false);
});
