// Vite build for the SolidJS client; in development it proxies /trpc to the Bun server.
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { kassePrecache, precompress } from "./vite-plugins.ts";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid(), kassePrecache(), precompress()],
  // The manifest (dist/.vite/manifest.json) names each app's chunk, for the test that every app loads only its own code.
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", manifest: true },
  server: { proxy: { "/trpc": { target: `http://127.0.0.1:${process.env.PORT ?? 3000}`, changeOrigin: false } } },
});
