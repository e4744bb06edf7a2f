// The command line's `create-admin` (an administrator, password from the environment) and the site operator's schools:
// `school-create`, `school-list`, `school-rename` (npm run school:create, school:list, school:rename).
import { expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { tempDatabasePath } from "../server/testing/harness.ts";

function cli(path: string, command: string, args: string[], password = "") {
  const run = Bun.spawnSync([process.execPath, "tools/cli.ts", command, ...args], {
    env: { ...process.env, DATABASE_PATH: path, ADMIN_PASSWORD: password, NODE_ENV: "test" },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { exitCode: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

function createAdmin(path: string, args: string[], password: string) {
  return cli(path, "create-admin", args, password);
}

/** Every table's row count: proof that a refused command wrote nothing. */
function counts(path: string): Record<string, number> {
  const database = new Database(path, { readonly: true });
  try {
    const tables = database.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'cardholder_search%' ORDER BY name").all() as Array<{ name: string }>;
    return Object.fromEntries(tables.map(({ name }) => [name, (database.query(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n]));
  } finally {
    database.close();
  }
}

function staffOf(path: string) {
  const database = new Database(path, { readonly: true });
  try {
    return database.query("SELECT u.email, u.role, u.tenant_id AS tenantId, t.name AS school FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.role IN ('staff', 'admin') ORDER BY u.id").all();
  } finally {
    database.close();
  }
}

test("create-admin founds a school in an empty database, stores an argon2id hash, and refuses the same e-mail twice", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    expect(createAdmin(path, ["--email", "chef@skole.dk"], "Hemmelig2026").exitCode).toBe(1);
    expect(createAdmin(path, ["--email", "chef@skole.dk"], "kort").exitCode).toBe(2);
    const created = createAdmin(path, ["--email", "Chef@Skole.dk", "--school", "Ny Skole", "--name", "Chefen"], "Hemmelig2026");
    expect(created.stderr).toBe("");
    expect(created.stdout).toContain('for the new school "Ny Skole" (tenant 1, with the canteen "Kantinen")');
    expect(created.exitCode).toBe(0);
    const database = new Database(path, { readonly: true });
    const row = database.query("SELECT u.email, u.role, u.name, u.password_hash, t.name AS school FROM users u JOIN tenants t ON t.id = u.tenant_id").get() as Record<string, string>;
    database.close();
    expect(row).toMatchObject({ email: "chef@skole.dk", role: "admin", name: "Chefen", school: "Ny Skole" });
    expect(await Bun.password.verify("Hemmelig2026", row.password_hash!)).toBe(true);
    expect(createAdmin(path, ["--email", "chef@skole.dk"], "Hemmelig2026").exitCode).toBe(1);
  } finally {
    cleanup();
  }
});

test("the finding: --school on a database that has a school founds a new school with its own canteen, never an administrator of the existing one", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    expect(createAdmin(path, ["--email", "chef@skole1.dk", "--school", "Første Skole"], "Hemmelig2026").exitCode).toBe(0);
    const created = createAdmin(path, ["--email", "other@school2.dk", "--school", "Anden Skole"], "Hemmelig2026");
    expect(created.stderr).toBe("");
    expect(created.stdout).toMatch(/^Administrator other@school2\.dk created \(user \d+\) for the new school "Anden Skole" \(tenant 2, with the canteen "Kantinen"\)\.$/m);
    expect(staffOf(path)).toEqual([
      { email: "chef@skole1.dk", role: "admin", tenantId: 1, school: "Første Skole" },
      { email: "other@school2.dk", role: "admin", tenantId: 2, school: "Anden Skole" },
    ]);
    const database = new Database(path, { readonly: true });
    // Each school has its own canteen with its own revenue account; the creation is in that school's audit log.
    expect(database.query("SELECT c.tenant_id AS tenantId, c.name, a.kind FROM canteens c JOIN ledger_accounts a ON a.id = c.revenue_account_id ORDER BY c.id").all()).toEqual([
      { tenantId: 1, name: "Kantinen", kind: "canteen_revenue" },
      { tenantId: 2, name: "Kantinen", kind: "canteen_revenue" },
    ]);
    expect(database.query("SELECT tenant_id AS tenantId, actor_user_id AS actor, actor_label AS label, action FROM audit_log WHERE action = 'school.create' ORDER BY id").all()).toEqual([
      { tenantId: 1, actor: null, label: "site operator (command line)", action: "school.create" },
      { tenantId: 2, actor: null, label: "site operator (command line)", action: "school.create" },
    ]);
    database.close();

    // Ambiguity is refused, with the way out named, and writes nothing.
    const before = counts(path);
    const refusals: Array<[string[], RegExp]> = [
      [["--email", "x@skole.dk"], /several schools; add to one with --tenant-id <id>/],
      [["--email", "x@skole.dk", "--school", "anden  skole"], /a school named "anden  skole" already exists \(tenant 2\); add to it with --tenant-id 2/],
      [["--email", "x@skole.dk", "--school", "Tredje", "--tenant-id", "1"], /either --tenant-id \(an existing school\) or --school \(a new school\), not both/],
      [["--email", "x@skole.dk", "--tenant-id", "9"], /no school has id 9/],
      [["--email", "other@school2.dk", "--school", "Tredje Skole"], /a staff account with this e-mail already exists/],
    ];
    for (const [args, message] of refusals) {
      const refused = createAdmin(path, args, "Hemmelig2026");
      expect(refused.exitCode, args.join(" ")).toBe(1);
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr).toContain("nothing was created");
    }
    expect(createAdmin(path, ["--email", "x@skole.dk", "--tenant-id", "1; DROP TABLE users"], "Hemmelig2026").exitCode).toBe(2);
    expect(createAdmin(path, ["--email", "x@skole.dk", "--school", "Hansen \u202Enimda\u202C"], "Hemmelig2026").exitCode).toBe(2);
    expect(counts(path)).toEqual(before);

    // --tenant-id adds an administrator to an existing school.
    expect(createAdmin(path, ["--email", "vice@skole1.dk", "--tenant-id", "1"], "Hemmelig2026").stdout).toContain('for the school "Første Skole" (tenant 1)');
    expect(staffOf(path)).toContainEqual({ email: "vice@skole1.dk", role: "admin", tenantId: 1, school: "Første Skole" });
  } finally {
    cleanup();
  }
});

test("school:create, school:list and school:rename: names unique among schools (Danish case), a retry makes no twin, every change audited", () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    expect(cli(path, "school-list", []).stdout).toContain("No schools yet");
    const created = cli(path, "school-create", ["--name", "  Åby   Skole ", "--canteen", "Hovedkantinen"]);
    expect(created.exitCode).toBe(0);
    expect(created.stdout).toContain('School "Åby Skole" created (tenant 1) with the canteen "Hovedkantinen"');
    expect(created.stdout).toContain("npm run admin:create -- --tenant-id 1 --email");
    const before = counts(path);
    const twin = cli(path, "school-create", ["--name", "ÅBY SKOLE"]);
    expect(twin.exitCode).toBe(1);
    expect(twin.stderr).toContain("already exists (tenant 1); nothing was created");
    expect(cli(path, "school-create", []).exitCode).toBe(2);
    expect(cli(path, "school-create", ["--name", "Skole\u001B[31m"]).exitCode).toBe(2);
    expect(counts(path)).toEqual(before);
    expect(cli(path, "school-create", ["--name", "Byskolen"]).exitCode).toBe(0);
    expect(createAdmin(path, ["--email", "chef@aby.dk", "--tenant-id", "1"], "Hemmelig2026").exitCode).toBe(0);

    const listed = cli(path, "school-list", []).stdout.trim().split("\n");
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatch(/^1\tÅby Skole\tcanteens: Hovedkantinen\tadministrators: 1\tstaff: 0\tcardholders: 0\tcreated \d{4}-\d\d-\d\d$/);
    expect(listed[1]).toMatch(/^2\tByskolen\tcanteens: Kantinen\tadministrators: 0/);

    expect(cli(path, "school-rename", ["--tenant-id", "2", "--name", "åby skole"]).stderr).toContain("another school (tenant 1)");
    expect(cli(path, "school-rename", ["--tenant-id", "7", "--name", "Ny"]).stderr).toContain("no school has id 7");
    const renamed = cli(path, "school-rename", ["--tenant-id", "2", "--name", "Byskolen Nord"]);
    expect(renamed.stdout).toContain('School 2 renamed from "Byskolen" to "Byskolen Nord"');
    // Its own new name in another case is fine (a correction of its spelling).
    expect(cli(path, "school-rename", ["--tenant-id", "2", "--name", "BySkolen Nord"]).exitCode).toBe(0);
    const database = new Database(path, { readonly: true });
    expect(database.query("SELECT tenant_id AS tenantId, action, details_json AS details FROM audit_log WHERE action LIKE 'school.%' ORDER BY id").all()).toEqual([
      { tenantId: 1, action: "school.create", details: JSON.stringify({ name: "Åby Skole", canteen: "Hovedkantinen" }) },
      { tenantId: 2, action: "school.create", details: JSON.stringify({ name: "Byskolen", canteen: "Kantinen" }) },
      { tenantId: 2, action: "school.rename", details: JSON.stringify({ from: "Byskolen", name: "Byskolen Nord" }) },
      { tenantId: 2, action: "school.rename", details: JSON.stringify({ from: "Byskolen Nord", name: "BySkolen Nord" }) },
    ]);
    database.close();
  } finally {
    cleanup();
  }
});
