// The till's service worker: keeps /kasse and its built assets on the device so that a reload without a network still opens the till.
// It never touches /trpc: sales go to the server or into the till's own queue, never into a cache.
const CACHE = "kantinekort-kasse-v2";
const SHELL = "/kasse";
// Written by the build (client/vite-plugins.ts): the till's own chunks, which the page loads only after it has started.
const PRECACHE = "/kasse-precache.json";

async function cacheShell() {
  const cache = await caches.open(CACHE);
  const response = await fetch(SHELL, { cache: "no-store" });
  if (!response.ok) throw new Error(`the till page answered ${response.status}`);
  const list = await fetch(PRECACHE, { cache: "no-store" });
  if (!list.ok) throw new Error(`the till's file list answered ${list.status}`);
  const html = await response.clone().text();
  // The built page names its entry script and styles; the list adds the till's lazily loaded chunks. Keep exactly those.
  const named = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
  const assets = [...new Set([...named, ...(await list.json()).assets])];
  await cache.addAll(assets);
  await cache.put(SHELL, response);
  // Files of an older release are never asked for again: drop them, so a till's storage does not grow with each release.
  const keep = new Set([SHELL, ...assets].map((path) => new URL(path, self.location.origin).href));
  for (const request of await cache.keys()) if (!keep.has(request.url)) await cache.delete(request);
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
