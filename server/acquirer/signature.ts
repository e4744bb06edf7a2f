// HMAC-SHA256 signatures for acquirer callbacks: `t=<unix seconds>,v1=<hex>` over "<t>.<raw body>", checked in constant time.
import { hmac } from "@oslojs/crypto/hmac";
import { SHA256 } from "@oslojs/crypto/sha2";
import { constantTimeEqual } from "@oslojs/crypto/subtle";
import { decodeHex, encodeHexLowerCase } from "@oslojs/encoding";

export const SIGNATURE_HEADER = "x-acquirer-signature";
/** Callbacks older (or newer) than this are refused, so a captured callback cannot be replayed later. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

function mac(secret: string, timestampSeconds: number, rawBody: string): Uint8Array {
  return hmac(SHA256, encoder.encode(secret), encoder.encode(`${timestampSeconds}.${rawBody}`));
}

export function signPayload(secret: string, rawBody: string, timestampSeconds: number = Math.floor(Date.now() / 1000)): string {
  return `t=${timestampSeconds},v1=${encodeHexLowerCase(mac(secret, timestampSeconds, rawBody))}`;
}

export type SignatureProblem = "missing" | "malformed" | "stale" | "mismatch";

/** Null when the signature is valid and fresh; otherwise what is wrong with it. */
export function signatureProblem(
  secret: string,
  header: string | null,
  rawBody: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureProblem | null {
  if (!header) return "missing";
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!match) return "malformed";
  const timestamp = Number(match[1]);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return "stale";
  const expected = mac(secret, timestamp, rawBody);
  return constantTimeEqual(expected, decodeHex(match[2]!)) ? null : "mismatch";
}
