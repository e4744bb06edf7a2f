// The browser's tRPC client: batched HTTP (with the CSRF header) for queries and mutations, SSE for the one live stream per tab.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import type { AppRouter } from "../../server/routers/_app.ts";
import { MAX_BATCH_SIZE } from "../../common/wire.ts";

export const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (operation) => operation.type === "subscription",
      true: httpSubscriptionLink({ url: "/trpc" }),
      false: httpBatchLink({ url: "/trpc", maxItems: MAX_BATCH_SIZE, headers: () => ({ "x-kantinekort-csrf": "1" }) }),
    }),
  ],
});

export interface FieldIssue {
  path: string;
  message: string;
}

/** The error's tRPC code (UNAUTHORIZED, BAD_REQUEST, …) or null for network trouble. */
export function errorCode(error: unknown): string | null {
  return error instanceof TRPCClientError ? ((error.data as { code?: string } | undefined)?.code ?? null) : null;
}

/** Field-level problems from a BAD_REQUEST, keyed by the input path. */
export function fieldIssues(error: unknown): Record<string, string> {
  const issues = error instanceof TRPCClientError ? ((error.data as { issues?: FieldIssue[] } | undefined)?.issues ?? []) : [];
  const byPath: Record<string, string> = {};
  for (const issue of issues) byPath[issue.path] ??= issue.message;
  return byPath;
}
