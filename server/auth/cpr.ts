// CPR numbers: encrypted at rest with AES-256-GCM; only the masked form (DDMMYY-XXXX) ever leaves the server.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/** Accepts "DDMMYY-XXXX" or ten digits; returns the ten digits, or null when it is not a plausible CPR number. */
export function normaliseCpr(input: string): string | null {
  const digits = input.replace(/[\s-]/g, "");
  if (!/^\d{10}$/.test(digits)) return null;
  const day = Number(digits.slice(0, 2));
  const month = Number(digits.slice(2, 4));
  if (day < 1 || day > 31 || month < 1 || month > 12) return null;
  return digits;
}

export function maskCpr(digits: string): string {
  return `${digits.slice(0, 6)}-XXXX`;
}

export class CprCipher {
  private readonly key: Buffer;

  constructor(keyMaterial: string) {
    // Hex (64 chars) or base64 (44 chars) for exactly 32 bytes; anything else is a configuration error.
    const key = /^[0-9a-f]{64}$/i.test(keyMaterial) ? Buffer.from(keyMaterial, "hex") : Buffer.from(keyMaterial, "base64");
    if (key.length !== 32) throw new Error("CPR_ENCRYPTION_KEY must be 32 bytes (64 hex characters or base64)");
    this.key = key;
  }

  /** A fixed development key, derived from a public phrase: never for real data (production refuses to start without a key). */
  static development(): CprCipher {
    return new CprCipher(createHash("sha256").update("kantinekort development CPR key").digest("hex"));
  }

  encrypt(digits: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const encrypted = Buffer.concat([cipher.update(digits, "utf8"), cipher.final()]);
    return `v1:${iv.toString("base64")}:${cipher.getAuthTag().toString("base64")}:${encrypted.toString("base64")}`;
  }

  decrypt(stored: string): string {
    const [version, iv, tag, data] = stored.split(":");
    if (version !== "v1" || !iv || !tag || !data) throw new Error("unknown CPR encryption format");
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
  }
}
