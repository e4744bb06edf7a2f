// Idempotency keys for retryable writes: the portal's (Overfør, Udbetal, Indbetal) and the till's sale ids and refunds.

/**
 * One key per distinct request: a retry of the same request after a network error reuses it, so a lost answer never
 * moves money twice; a changed request gets a new key (the server answers CONFLICT to a reused key with other fields),
 * and so does any request after an answer (`settle`), since the server keeps a decline under its key.
 */
export function createIdempotencyKeys(newKey: () => string = () => crypto.randomUUID()) {
  let attempt: { key: string; request: string } | null = null;
  return {
    keyFor(request: unknown): string {
      const text = JSON.stringify(request);
      if (!attempt || attempt.request !== text) attempt = { key: newKey(), request: text };
      return attempt.key;
    },
    /** The server answered (done or declined): the next request is a new one even if its content is the same. */
    settle(): void {
      attempt = null;
    },
  };
}
