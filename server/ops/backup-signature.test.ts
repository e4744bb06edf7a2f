// Forged backups (issue 29, finding 8): a backup edited with sqlite3 is refused by `npm run restore`, whatever the attacker recomputes, unless the operator says --accept-unsigned.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Database } from "bun:sqlite";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../app.ts";
import { createCanteen, createCard, testConfig } from "../testing/harness.ts";
import { ChainHasher, GENESIS_HEAD, type SealedTransferRow } from "../ledger/chain.ts";
import { signingKeys } from "./backup-signature.ts";

const directory = mkdtempSync(join(tmpdir(), "kantinekort-forgery-test-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const KEY = "forgery-test-signing-key-0000000000000001";
const NEW_KEY = "forgery-test-signing-key-0000000000000002";

/** `npm run restore -- <file> [flags]` as the operator runs it, with the site's keys in the environment. */
async function restore(databasePath: string, file: string, options: { flags?: string[]; env?: Record<string, string> } = {}) {
  const child = Bun.spawn([process.execPath, "tools/cli.ts", "restore", file, ...(options.flags ?? [])], {
    env: { ...process.env, DATABASE_PATH: databasePath, NODE_ENV: "test", BACKUP_SIGNING_KEY: KEY, BACKUP_SIGNING_KEYS_OLD: "", ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

async function backup(databasePath: string, file: string, key = KEY) {
  const child = Bun.spawn([process.execPath, "tools/cli.ts", "backup", file], { env: { ...process.env, DATABASE_PATH: databasePath, NODE_ENV: "test", BACKUP_SIGNING_KEY: key }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  return { code, stdout, stderr };
}

/** A copy of the good backup (and its signature), for one attack. */
function copyOfGood(good: string, name: string, withSignature = true): string {
  const file = join(directory, name);
  copyFileSync(good, file);
  if (withSignature) copyFileSync(`${good}.sig`, `${file}.sig`);
  return file;
}

/**
 * The finding's attack, as done with sqlite3: one extra deposit of 1.000 kr. onto a card, the transfer row with its
 * balances after, and both accounts' balances and totals edited to match, so every ledger invariant holds.
 */
function forgeDeposit(file: string): void {
  const database = new Database(file);
  try {
    const card = database.query("SELECT id, balance_ore FROM ledger_accounts WHERE kind = 'cardholder' ORDER BY id LIMIT 1").get() as { id: number; balance_ore: number };
    const clearing = database.query("SELECT id, balance_ore FROM ledger_accounts WHERE kind = 'acquirer_clearing'").get() as { id: number; balance_ore: number };
    const amount = 100_000;
    database.run("UPDATE ledger_accounts SET balance_ore = balance_ore + ?, credits_ore = credits_ore + ? WHERE id = ?", [amount, amount, card.id]);
    database.run("UPDATE ledger_accounts SET balance_ore = balance_ore - ?, debits_ore = debits_ore + ? WHERE id = ?", [amount, amount, clearing.id]);
    database.run(
      "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at) VALUES (?, ?, ?, ?, 'deposit', NULL, 'Indbetaling', ?, ?, ?)",
      ["deposit:forged", clearing.id, card.id, amount, clearing.balance_ore - amount, card.balance_ore + amount, Date.now()],
    );
  } finally {
    database.close();
  }
}

/** The balance of the first card in a database file. */
function cardBalance(file: string): number {
  const database = new Database(file, { readonly: true });
  try {
    return (database.query("SELECT balance_ore FROM ledger_accounts WHERE kind = 'cardholder' ORDER BY id LIMIT 1").get() as { balance_ore: number }).balance_ore;
  } finally {
    database.close();
  }
}

describe("a forged backup", () => {
  const sitePath = join(directory, "site.sqlite");
  // Restores go to a database of their own: the in-process server keeps its file open until the test process ends.
  const databasePath = join(directory, "restored.sqlite");
  const good = join(directory, "good.sqlite");
  let balanceAtBackup = 0;

  beforeAll(async () => {
    const server = await startServer(testConfig({ databasePath: sitePath, host: "127.0.0.1", port: 0, backupSigningKey: KEY }));
    const fixture = await createCanteen(server.services.store);
    const card = await createCard(server.services.store, fixture, { balanceOre: 5_000 });
    await createCard(server.services.store, fixture, { balanceOre: 7_500 });
    for (let n = 0; n < 5; n += 1) {
      const answer = await fetch(`${server.url}/trpc/pos.sale`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${fixture.terminalKey}` },
        body: JSON.stringify({ saleId: `forgery-sale-${n}`, cardNumber: card.cardNumber, amountOre: 100 }),
      });
      expect(answer.status).toBe(200);
    }
    await server.sealer.sealNow();
    await server.stop();
    const made = await backup(sitePath, good);
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/Signed in .*good\.sqlite\.sig \(key [0-9a-f]{16}\): chain head [0-9a-f]{64} through transfer \d+/);
    balanceAtBackup = cardBalance(good);
    expect((await restore(databasePath, good)).code).toBe(0);
  }, 60_000);

  test("the finding: one extra deposit with balances and totals edited to match is refused, and nothing is replaced", async () => {
    const forged = copyOfGood(good, "forged-deposit.sqlite");
    forgeDeposit(forged);
    const before = cardBalance(databasePath);
    const refused = await restore(databasePath, forged);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/restore refused: the backup file was changed after it was signed/);
    expect(refused.stderr).toMatch(/--accept-unsigned/);
    expect(cardBalance(databasePath)).toBe(before);
  }, 30_000);

  test("an edited sealed transfer breaks the chain: refused with its range named, even with --accept-unsigned", async () => {
    const edited = copyOfGood(good, "edited-transfer.sqlite", false);
    const database = new Database(edited);
    // The attacker drops the immutability trigger and raises a sealed deposit by 1.000 kr., with both accounts' balances
    // and totals edited to match (every ledger invariant holds), and recomputes no seal.
    database.run("DROP TRIGGER transfers_no_update");
    const deposit = database.query("SELECT seq, credit_account_id, debit_account_id FROM transfers WHERE kind = 'deposit' ORDER BY seq LIMIT 1").get() as { seq: number; credit_account_id: number; debit_account_id: number };
    database.run("UPDATE transfers SET amount_ore = amount_ore + 100000, credit_balance_after_ore = credit_balance_after_ore + 100000 WHERE seq = ?", [deposit.seq]);
    database.run("UPDATE ledger_accounts SET balance_ore = balance_ore + 100000, credits_ore = credits_ore + 100000 WHERE id = ?", [deposit.credit_account_id]);
    database.run("UPDATE ledger_accounts SET balance_ore = balance_ore - 100000, debits_ore = debits_ore + 100000 WHERE id = ?", [deposit.debit_account_id]);
    database.close();
    const refused = await restore(databasePath, edited, { flags: ["--accept-unsigned"] });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/ledger chain: the chain breaks between transfer \d+ and transfer \d+/);
    // The chain alone caught it: the balances were edited to match.
    expect(refused.stderr).not.toMatch(/ledger: /);
  }, 30_000);

  test("an attacker who rewrites the whole chain and its seals consistently still fails on the HMAC", async () => {
    const rewritten = copyOfGood(good, "rewritten.sqlite");
    forgeDeposit(rewritten);
    // Every seal recomputed over the forged history, as one who read the source code would.
    const database = new Database(rewritten);
    database.run("DROP TRIGGER ledger_seals_no_delete");
    database.run("DELETE FROM ledger_seals");
    const rows = database.query("SELECT seq, id, debit_account_id, credit_account_id, amount_ore, kind, reference, description, debit_balance_after_ore, credit_balance_after_ore, created_at FROM transfers ORDER BY seq").all() as SealedTransferRow[];
    const hasher = new ChainHasher(GENESIS_HEAD);
    for (const row of rows) hasher.add(row);
    database.run("INSERT INTO ledger_seals (through_seq, head, sealed_at_ms) VALUES (?, ?, ?)", [rows.at(-1)!.seq, hasher.head, Date.now()]);
    database.close();
    // The chain in the file now verifies; the signature's fields are edited to match, but its HMAC cannot be made without the key.
    const signature = JSON.parse(readFileSync(`${rewritten}.sig`, "utf8"));
    signature.fileSha256 = new Bun.CryptoHasher("sha256").update(readFileSync(rewritten)).digest("hex");
    signature.head = hasher.head;
    signature.throughSeq = rows.at(-1)!.seq;
    signature.transfers = rows.length;
    writeFileSync(`${rewritten}.sig`, JSON.stringify(signature));
    const refused = await restore(databasePath, rewritten);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/restore refused: the signature does not verify/);
    // With the signature left as it was, the file's bytes give it away.
    copyFileSync(`${good}.sig`, `${rewritten}.sig`);
    expect((await restore(databasePath, rewritten)).stderr).toMatch(/the backup file was changed after it was signed/);
  }, 30_000);

  test("an unsigned backup is refused without --accept-unsigned, and restored with it under a loud warning", async () => {
    const unsigned = copyOfGood(good, "unsigned.sqlite", false);
    const refused = await restore(databasePath, unsigned);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/restore refused: the backup has no signature file \(unsigned\.sqlite\.sig is missing\)/);
    const accepted = await restore(databasePath, unsigned, { flags: ["--accept-unsigned"] });
    expect(accepted.code).toBe(0);
    expect(accepted.stderr).toMatch(/WARNING: --accept-unsigned: the backup's signature was NOT verified \(the backup has no signature file/);
    expect(accepted.stdout).toMatch(/chain OK, signature NOT checked/);
    expect(cardBalance(databasePath)).toBe(balanceAtBackup);
  }, 30_000);

  test("the good backup restores, signature verified; after a key rotation only with the old key listed", async () => {
    const restored = await restore(databasePath, good);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`chain OK, signature OK \\(key ${signingKeys({ backupSigningKey: KEY, backupSigningKeysOld: [], production: true }).current.id}\\)`));

    // Rotated: the new key signs, the old one is gone from the configuration.
    const forgotten = await restore(databasePath, good, { env: { BACKUP_SIGNING_KEY: NEW_KEY } });
    expect(forgotten.code).toBe(1);
    expect(forgotten.stderr).toMatch(/signed with a key this configuration does not know .*BACKUP_SIGNING_KEYS_OLD/);
    // Rotated with the old key listed: the backups it signed still restore.
    const rotated = await restore(databasePath, good, { env: { BACKUP_SIGNING_KEY: NEW_KEY, BACKUP_SIGNING_KEYS_OLD: `${"x".repeat(40)},${KEY}` } });
    expect(rotated.stderr).toBe("");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/signature OK \(key [0-9a-f]{16}, an old key from BACKUP_SIGNING_KEYS_OLD\)/);
    // New backups are signed with the new key, which verifies without the old one.
    const fresh = join(directory, "after-rotation.sqlite");
    expect((await backup(sitePath, fresh, NEW_KEY)).code).toBe(0);
    expect((await restore(databasePath, fresh, { env: { BACKUP_SIGNING_KEY: NEW_KEY } })).code).toBe(0);
  }, 60_000);

  test("a signature from another site's key is refused as altered", async () => {
    const other = copyOfGood(good, "other-key.sqlite");
    const signature = JSON.parse(readFileSync(`${other}.sig`, "utf8"));
    // The key id of this site, an HMAC made with another key.
    signature.hmac = "ab".repeat(32);
    writeFileSync(`${other}.sig`, JSON.stringify(signature));
    const refused = await restore(databasePath, other);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/the signature does not verify/);
    expect(existsSync(`${databasePath}.restoring-${process.pid}`)).toBe(false);
  }, 30_000);
});

describe("production and the signing key", () => {
  test("production refuses to start without BACKUP_SIGNING_KEY; development signs with the public key", async () => {
    expect(() => signingKeys({ backupSigningKey: null, backupSigningKeysOld: [], production: true })).toThrow(/BACKUP_SIGNING_KEY must be set in production/);
    expect(signingKeys({ backupSigningKey: null, backupSigningKeysOld: [], production: false }).development).toBe(true);
    await expect(startServer(testConfig({ production: true, cprEncryptionKey: "cd".repeat(32), backupSigningKey: null, databasePath: join(directory, "production.sqlite") }))).rejects.toThrow(/BACKUP_SIGNING_KEY/);
  });
});
