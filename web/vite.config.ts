// The app is served by the ferrotwin binary under /ui/. During development,
// `FERROTWIN_URL=http://127.0.0.1:8080 npm run dev` proxies the API to a
// running server so the page and the API share an origin, as in production.
import { defineConfig } from "vite";

const target = process.env.FERROTWIN_URL ?? "http://127.0.0.1:8080";
const api = [
  "/digitaltwins", "/models", "/query", "/events", "/history", "/alerts",
  "/workorders", "/analytics", "/collab", "/auth", "/sim", "/healthz",
];

export default defineConfig({
  base: "/ui/",
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1200 },
  server: {
    proxy: Object.fromEntries(api.map((p) => [p, { target, ws: true, changeOrigin: true }])),
  },
});
