// The till's service worker: keeps /kasse and its built assets on the device so that a reload without a network still opens the till.
// It never touches /trpc: sales go to the server or into the till's own queue, never into a cache.
const CACHE = "kantinekort-kasse-v1";
const SHELL = "/kasse";

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-store" });
  if (!response.ok) throw new Error(`the till page answered ${response.status}`);
  const html = await response.clone().text();
  // The built page names its hashed scripts and styles; keep exactly those next to it.
  const assets = [...new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]))];
  await cache.addAll(assets);
  await cache.put(SHELL, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/trpc")) return;
  if (request.mode === "navigate") {
    // Network first, so a new release reaches the till as soon as it is online; the stored page when it is not.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) void cacheShell().catch(() => undefined);
          return response;
        })
        .catch(async () => (await caches.match(SHELL)) ?? Response.error()),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Built assets never change under the same name: the stored copy is always right.
    event.respondWith(
      caches.match(request).then(
        (stored) =>
          stored ??
          fetch(request).then(async (response) => {
            if (response.ok) await (await caches.open(CACHE)).put(request, response.clone());
            return response;
          }),
      ),
    );
  }
});
