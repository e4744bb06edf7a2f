// Vite build for the SolidJS client; in development it proxies /trpc to the Bun server.
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";

export default defineConfig({
  root: import.meta.dirname,
  plugins: [solid()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  server: { proxy: { "/trpc": { target: `http://127.0.0.1:${process.env.PORT ?? 3000}`, changeOrigin: false } } },
});
