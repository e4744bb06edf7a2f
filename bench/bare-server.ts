// A bare Bun.serve endpoint answering a small JSON to every POST: the HTTP ceiling the POS sale is compared with.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    const body = await request.text();
    return Response.json({ result: { data: { status: "approved", length: body.length } } });
  },
});
console.log(`listening ${server.port}`);
