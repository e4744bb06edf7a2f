// A bare tRPC v11 mutation on Bun.serve (fetch adapter, no database): what tRPC's own request handling costs.
import { initTRPC } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

const t = initTRPC.create();
// The same path as the sale, so the load generator's script is the same; the body is read and answered, nothing else.
const router = t.router({ pos: t.router({ sale: t.procedure.input((value: unknown) => value).mutation(() => ({ status: "approved" })) }) });

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch: (request) => fetchRequestHandler({ endpoint: "/trpc", req: request, router }),
});
console.log(`listening ${server.port}`);
