// Bounds of the wire protocol that the browser needs too, free of zod so that importing them adds no schema library to a page.

/**
 * The most calls one tRPC batch may carry: a batch runs its calls at once, so an unbounded one lets a single request
 * queue thousands of procedures. The server refuses larger batches; the client's httpBatchLink splits at this size.
 */
export const MAX_BATCH_SIZE = 20;
