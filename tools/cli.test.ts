// The command line's `create-admin`: the first back-office administrator of a fresh database, password from the environment.
import { expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { tempDatabasePath } from "../server/testing/harness.ts";

function createAdmin(path: string, args: string[], password: string) {
  return Bun.spawnSync([process.execPath, "tools/cli.ts", "create-admin", ...args], {
    env: { ...process.env, DATABASE_PATH: path, ADMIN_PASSWORD: password, NODE_ENV: "test" },
    stdout: "pipe",
    stderr: "pipe",
  });
}

test("create-admin founds a school in an empty database, stores an argon2id hash, and refuses the same e-mail twice", async () => {
  const { path, cleanup } = tempDatabasePath();
  try {
    expect(createAdmin(path, ["--email", "chef@skole.dk"], "Hemmelig2026").exitCode).toBe(1);
    expect(createAdmin(path, ["--email", "chef@skole.dk"], "kort").exitCode).toBe(2);
    const created = createAdmin(path, ["--email", "Chef@Skole.dk", "--school", "Ny Skole", "--name", "Chefen"], "Hemmelig2026");
    expect(created.stderr.toString()).toBe("");
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
