// Crash test: the real server under till load is killed with SIGKILL at random moments and restarted; no sale may be lost or doubled.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../db/connect.ts";
import { migrateToLatest } from "../../db/migrate.ts";
import { db } from "../../db/query.ts";
import { hashApiKey } from "../auth/terminal.ts";
import { checkLedger } from "../ledger/check.ts";
import { openAccount, postTransfer, systemAccount } from "../ledger/ledger.ts";
import { freePort, productionEnv, waitForHttp } from "../../tools/processes.ts";

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1] || 20) || 20;
const TILLS = 24;
const CARDS = 50;
const FUNDING_ORE = 10_000_000;
const KEY = "crash-test-terminal-key-000000001";
const directory = mkdtempSync(join(tmpdir(), "kantinekort-crash-"));
const path = join(directory, "crash.sqlite");

type Outcome = "approved" | "declined" | "unanswered";
const sent = new Map<string, { cardIndex: number; amountOre: number; outcome: Outcome }>();

function cardNumber(index: number): string {
  return `7${String(index).padStart(13, "0")}`;
}

async function prepare(): Promise<void> {
  await migrateToLatest(path);
  const store = openStore({ path });
  await store.write((tx) => {
    const tenantId = tx.run(db.insertInto("tenants").values({ name: "Crash", created_at: 0 })).lastInsertRowid;
    const revenue = openAccount(tx, { kind: "canteen_revenue", name: "Crash revenue" });
    const canteenId = tx.run(db.insertInto("canteens").values({ tenant_id: tenantId, name: "Kantinen", revenue_account_id: revenue, created_at: 0 })).lastInsertRowid;
    tx.run(db.insertInto("terminals").values({ canteen_id: canteenId, name: "Kasse", api_key_hash: hashApiKey(KEY), created_at: 0 }));
    const clearing = systemAccount(tx, "acquirer_clearing");
    for (let index = 0; index < CARDS; index += 1) {
      const userId = tx.run(db.insertInto("users").values({ tenant_id: tenantId, role: "cardholder", created_at: 0 })).lastInsertRowid;
      const accountId = openAccount(tx, { kind: "cardholder", name: "Madkort", ownerUserId: userId });
      tx.run(
        db.insertInto("cards").values({ card_number: cardNumber(index), user_id: userId, account_id: accountId, verification_code_hash: "x", status: "active", created_at: 0 }),
      );
      postTransfer(tx, { id: `fund:${index}`, debitAccountId: clearing, creditAccountId: accountId, amountOre: FUNDING_ORE, kind: "deposit" });
    }
  });
  await store.close();
}

function startServer(port: number) {
  return Bun.spawn([process.execPath, "server/main.ts"], {
    env: { ...process.env, ...productionEnv, PORT: String(port), DATABASE_PATH: path },
    stdout: "ignore",
    stderr: "ignore",
  });
}

interface Answer {
  outcome: Outcome;
  /** The whole answer but `replayed`, so that a retry can be compared with the first answer field by field. */
  fingerprint: string;
  replayed: boolean;
}

async function sale(port: number, saleId: string, cardIndex: number, amountOre: number): Promise<Answer> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/trpc/pos.sale`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ saleId, cardNumber: cardNumber(cardIndex), amountOre }),
    });
    const body = (await response.json()) as { result?: { data?: { status?: string; replayed?: boolean } & Record<string, unknown> } };
    const data = body.result?.data;
    const status = data?.status;
    if (status !== "approved" && status !== "declined") return { outcome: "unanswered", fingerprint: "", replayed: false };
    const { replayed, ...rest } = data!;
    return { outcome: status, fingerprint: JSON.stringify(rest), replayed: replayed === true };
  } catch {
    return { outcome: "unanswered", fingerprint: "", replayed: false };
  }
}

interface Verification {
  acknowledged: number;
  found: number;
  lost: number;
  duplicated: number;
  halfWritten: number;
  balanceMismatches: number;
  ledgerOk: boolean;
}

/** Compares what the tills were told with what is on disk. */
function verify(): Verification {
  const store = openStore({ path });
  try {
    return store.read((tx) => {
      const transfersPerSale = new Map<string, number>();
      const perReference = tx.all(
        db.selectFrom("transfers").select((eb) => ["reference", eb.fn.countAll<number>().as("n")]).where("kind", "=", "sale").groupBy("reference"),
      );
      // A sale transfer's reference is the sale id.
      for (const row of perReference) transfersPerSale.set(row.reference!, row.n);
      const approvedRows = new Set(tx.all(db.selectFrom("sales").select("id").where("status", "=", "approved")).map((row) => row.id));
      let acknowledged = 0;
      let found = 0;
      let lost = 0;
      for (const [saleId, entry] of sent) {
        if (entry.outcome !== "approved") continue;
        acknowledged += 1;
        if (approvedRows.has(saleId) && transfersPerSale.get(saleId) === 1) found += 1;
        else lost += 1;
      }
      const duplicated = [...transfersPerSale.values()].filter((count) => count > 1).length;
      const saleTransfersWithoutSale = tx.first(
        db
          .selectFrom("transfers as t")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("t.kind", "=", "sale")
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom("sales as s").select("s.id").whereRef("s.transfer_id", "=", "t.id")))),
      )!.n;
      const approvedSalesWithoutTransfer = tx.first(
        db
          .selectFrom("sales as s")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .where("s.status", "=", "approved")
          .where(({ not, exists, selectFrom }) => not(exists(selectFrom("transfers as t").select("t.id").whereRef("t.id", "=", "s.transfer_id")))),
      )!.n;
      const halfWritten = saleTransfersWithoutSale + approvedSalesWithoutTransfer;
      let balanceMismatches = 0;
      for (let index = 0; index < CARDS; index += 1) {
        const row = tx.first(
          db
            .selectFrom("cards as c")
            .innerJoin("ledger_accounts as a", "a.id", "c.account_id")
            .select((eb) => [
              "a.balance_ore",
              eb.fn
                .coalesce(
                  eb
                    .selectFrom("sales as s")
                    .select((inner) => inner.fn.sum<number>("s.amount_ore").as("total"))
                    .whereRef("s.card_id", "=", "c.id")
                    .where("s.status", "=", "approved")
                    .$asScalar(),
                  eb.lit(0),
                )
                .as("spent"),
            ])
            .where("c.card_number", "=", cardNumber(index)),
        )!;
        if (row.balance_ore !== FUNDING_ORE - row.spent) balanceMismatches += 1;
      }
      return { acknowledged, found, lost, duplicated, halfWritten, balanceMismatches, ledgerOk: checkLedger(tx).ok };
    });
  } finally {
    void store.close();
  }
}

let brokenLedgerRounds = 0;
let totalRetried = 0;
let totalRetryMismatches = 0;
try {
  await prepare();
  console.log(`Crash test: ${rounds} rounds, ${TILLS} tills, SIGKILL at a random moment in each round.`);
  console.log("round  sent  approved  unanswered  retried  retry-mismatch  acknowledged  found  lost  duplicated  half-written  ledger");
  let counter = 0;
  for (let round = 1; round <= rounds; round += 1) {
    const port = await freePort();
    let server = startServer(port);
    await waitForHttp(`http://127.0.0.1:${port}/trpc/health`);
    let running = true;
    const before = sent.size;
    const tills = Array.from({ length: TILLS }, async () => {
      while (running) {
        const saleId = `crash-${round}-${++counter}-x`;
        const cardIndex = Math.floor(Math.random() * CARDS);
        const amountOre = 100 + Math.floor(Math.random() * 400);
        sent.set(saleId, { cardIndex, amountOre, outcome: "unanswered" });
        const { outcome } = await sale(port, saleId, cardIndex, amountOre);
        sent.get(saleId)!.outcome = outcome;
        if (outcome === "unanswered") return;
      }
    });
    await Bun.sleep(150 + Math.random() * 550);
    server.kill("SIGKILL");
    await server.exited;
    running = false;
    await Promise.all(tills);
    const roundIds = [...sent.keys()].slice(before);
    const unanswered = roundIds.filter((id) => sent.get(id)!.outcome === "unanswered");

    // Restart, then retry every sale the tills never heard back about: each must get one answer, the same twice
    // (status, reason and balance), and the second time it must say it is a replay.
    server = startServer(port);
    await waitForHttp(`http://127.0.0.1:${port}/trpc/health`);
    let retryMismatches = 0;
    for (const saleId of unanswered) {
      const entry = sent.get(saleId)!;
      const first = await sale(port, saleId, entry.cardIndex, entry.amountOre);
      const second = await sale(port, saleId, entry.cardIndex, entry.amountOre);
      if (first.outcome === "unanswered" || first.fingerprint !== second.fingerprint || !second.replayed) retryMismatches += 1;
      entry.outcome = first.outcome;
    }
    server.kill("SIGTERM");
    await server.exited;
    const result = verify();
    totalRetried += unanswered.length;
    totalRetryMismatches += retryMismatches;
    if (!result.ledgerOk) brokenLedgerRounds += 1;
    const approved = roundIds.filter((id) => sent.get(id)!.outcome === "approved").length;
    console.log(
      `${String(round).padStart(5)}  ${String(roundIds.length).padStart(4)}  ${String(approved).padStart(8)}  ${String(unanswered.length).padStart(10)}  ${String(unanswered.length).padStart(7)}  ${String(retryMismatches).padStart(14)}  ${String(result.acknowledged).padStart(12)}  ${String(result.found).padStart(5)}  ${String(result.lost).padStart(4)}  ${String(result.duplicated).padStart(10)}  ${String(result.halfWritten).padStart(12)}  ${result.ledgerOk ? "ok" : "BROKEN"}`,
    );
  }
  // Lost, doubled and half-written sales are counted once, over the whole run; a round's row shows the state after it.
  const final = verify();
  const violations = final.lost + final.duplicated + final.halfWritten + final.balanceMismatches + totalRetryMismatches + brokenLedgerRounds + (final.ledgerOk ? 0 : 1);
  console.log(
    `\nTotal: sent ${sent.size}, acknowledged ${final.acknowledged}, found ${final.found}, lost ${final.lost}, duplicated ${final.duplicated}, half-written ${final.halfWritten}, in-flight retried ${totalRetried} (mismatches ${totalRetryMismatches}), balance mismatches ${final.balanceMismatches}, ledger:check ${final.ledgerOk ? "OK" : "BROKEN"}`,
  );
  console.log(violations === 0 ? "CRASH TEST PASSED: no sale lost, doubled or half-written." : `CRASH TEST FAILED: ${violations} violations.`);
  process.exitCode = violations === 0 ? 0 : 1;
} finally {
  rmSync(directory, { recursive: true, force: true });
}
