// Idempotent back-office creates: one form fill, one row, however often it is submitted (double click, retry after a lost answer).
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { db } from "../../../db/query.ts";
import type { WriteTx } from "../../../db/tx.ts";
import { IdempotencyConflictError } from "../pos.ts";
import type { Actor } from "./shared.ts";

/** How long a first answer is kept for a repeat of its form: long enough for any retry, short enough that nothing piles up. */
export const SUBMISSION_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Input fields that never take part in the request fingerprint (the key itself). */
type Input = Record<string, unknown>;

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .filter((key) => (value as Input)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Input)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function scope(actor: Actor, procedure: string): string {
  return `${actor.userId}\n${procedure}`;
}

function keyHash(actor: Actor, procedure: string, formKey: string): string {
  return createHash("sha256").update(`kantinekort-submission\n${scope(actor, procedure)}\n${formKey}`).digest("hex");
}

/** A MAC rather than a plain hash: the input may hold a password, which must not be guessable from the database. */
function requestMac(formKey: string, input: Input): string {
  const { idempotencyKey: _key, ...rest } = input;
  return createHmac("sha256", formKey).update(canonical(rest)).digest("hex");
}

function sealingKey(actor: Actor, procedure: string, formKey: string): Buffer {
  return Buffer.from(hkdfSync("sha256", formKey, scope(actor, procedure), "kantinekort-submission-answer", 32));
}

function seal(key: Buffer, answer: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(answer), "utf8"), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString("base64")).join(".");
}

function open(key: Buffer, sealed: string): unknown {
  const [iv, tag, body] = sealed.split(".").map((part) => Buffer.from(part, "base64")) as [Buffer, Buffer, Buffer];
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAuthTag(tag);
  return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8"));
}

/**
 * Runs `create` once per (staff member, procedure, form key) inside the caller's write transaction. A repeat with the same
 * key and input returns the first answer, one-time codes and keys included, and creates nothing; the same key with other
 * input is an `IdempotencyConflictError` (409). Only successful answers (`ok: true`) are kept: a refusal is decided
 * afresh on a retry, because it wrote nothing.
 */
export function oncePerSubmission<A, R extends { ok: false }>(
  tx: WriteTx,
  actor: Actor,
  procedure: string,
  input: Input & { idempotencyKey: string },
  create: () => { ok: true; answer: A } | R,
  nowMs: number = Date.now(),
): { ok: true; answer: A; replayed: boolean } | R {
  const formKey = input.idempotencyKey;
  const hash = keyHash(actor, procedure, formKey);
  const mac = requestMac(formKey, input);
  const key = sealingKey(actor, procedure, formKey);
  const earlier = tx.first(db.selectFrom("backoffice_submissions").select(["request_mac", "sealed_answer"]).where("key_hash", "=", hash));
  if (earlier) {
    if (earlier.request_mac !== mac) throw new IdempotencyConflictError("idempotency_key_reused: Formularens nøgle er brugt til noget andet / The form key was used for another request");
    return { ok: true, answer: open(key, earlier.sealed_answer) as A, replayed: true };
  }
  const created = create();
  if (!created.ok) return created;
  tx.run(db.deleteFrom("backoffice_submissions").where("created_at", "<", nowMs - SUBMISSION_RETENTION_MS));
  tx.run(
    db.insertInto("backoffice_submissions").values({ key_hash: hash, actor_user_id: actor.userId, procedure, request_mac: mac, sealed_answer: seal(key, created.answer), created_at: nowMs }),
  );
  return { ok: true, answer: created.answer, replayed: false };
}
