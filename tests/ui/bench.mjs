// The web app's benchmark: bundle size, first load time, and the 3D
// scene's frame rate with 10 to 100 simulated machines and their live
// overlays, in headless Chromium with software WebGL (SwiftShader). Prints
// progress as it goes and a summary table; `--json FILE` keeps the figures.
//
//   cd tests/ui && npm ci && node bench.mjs [--machines 10,25,50,100] [--loads 5] [--seconds 5]

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { browser, missing, start } from "./harness.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SIZES = arg("machines", "10,25,50,100").split(",").map(Number);
const LOADS = Number(arg("loads", "5"));
const SECONDS = Number(arg("seconds", "5"));
const JSON_OUT = arg("json", null);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (...a) => console.error("bench:", ...a);

const why = missing();
if (why) {
  console.error(`cannot run the UI benchmark: ${why}`);
  process.exit(2);
}

/** A server with `n` simulated machines (half pumps, half CNC mills) streaming over MQTT. */
async function plant(n) {
  const data = mkdtempSync(join(tmpdir(), "ferrotwin-bench-ui-"));
  const token = "bench-" + Math.random().toString(36).slice(2);
  const server = await start(
    ["serve", "--data", data, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--log", "warn"],
    [/listening on (http:\/\/\S+)/, /listening on mqtt:\/\/(\S+)/],
    { env: { FERROTWIN_BOOTSTRAP_TOKEN: token } },
  );
  const base = server.found[0][1];
  const mqtt = server.found[1][1];
  const pumps = Math.ceil(n / 2);
  const assets = n - pumps > 0 ? `pump:${pumps},cnc:${n - pumps}` : `pump:${pumps}`;
  const sim = await start(
    ["sim", "run", "--server", base, "--token", token, "--mqtt", mqtt, "--assets", assets, "--speed", "60", "--api", "127.0.0.1:0"],
    [/simulator API on/],
    { timeoutMs: 300000 },
  );
  return {
    base,
    token,
    stop: async () => {
      await sim.stop();
      await server.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function bundle(base) {
  const html = await (await fetch(`${base}/ui/`)).text();
  const urls = [...html.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)].map((m) => m[1]);
  let raw = 0;
  let gz = 0;
  for (const u of urls) {
    const b = Buffer.from(await (await fetch(base + u)).arrayBuffer());
    raw += b.length;
    gz += gzipSync(b).length;
  }
  return { files: urls.length, rawKB: +(raw / 1024).toFixed(1), gzipKB: +(gz / 1024).toFixed(1) };
}

async function scene(page, env, n) {
  await page.goto(`${env.base}/ui/#token=${env.token}&next=${encodeURIComponent("/scene")}`);
  await page.waitForFunction((n) => window.ferrotwinScene && window.ferrotwinScene.machines().length >= n, n, { timeout: 120000 });
}

const chrome = await browser();
const results = { sizes: [] };
try {
  for (const n of SIZES) {
    log(`starting a plant of ${n} machines…`);
    const env = await plant(n);
    try {
      if (!results.bundle) {
        results.bundle = await bundle(env.base);
        log(`bundle: ${results.bundle.files} files, ${results.bundle.rawKB} KB (${results.bundle.gzipKB} KB gzipped)`);
        const loads = [];
        for (let i = 0; i < LOADS; i++) {
          const ctx = await chrome.newContext({ viewport: { width: 1280, height: 800 } });
          const page = await ctx.newPage();
          const t0 = Date.now();
          await scene(page, env, n);
          const firstFrame = Date.now() - t0;
          const nav = await page.evaluate(() => {
            const e = performance.getEntriesByType("navigation")[0];
            return { dcl: e.domContentLoadedEventEnd, load: e.loadEventEnd };
          });
          loads.push({ firstFrame, ...nav });
          log(`load ${i + 1}/${LOADS}: DOMContentLoaded ${nav.dcl.toFixed(0)} ms, scene drawn ${firstFrame} ms`);
          await ctx.close();
        }
        results.firstLoad = {
          machines: n,
          domContentLoadedMs: Math.round(median(loads.map((l) => l.dcl))),
          loadMs: Math.round(median(loads.map((l) => l.load))),
          sceneDrawnMs: median(loads.map((l) => l.firstFrame)),
        };
      }
      const ctx = await chrome.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await ctx.newPage();
      await scene(page, env, n);
      const runs = [];
      for (let i = 0; i < 3; i++) {
        const r = await page.evaluate((ms) => window.ferrotwinScene.measureFps(ms), SECONDS * 1000);
        runs.push(r);
        log(`${n} machines, run ${i + 1}/3: ${r.fps.toFixed(1)} fps, ${r.drawCalls} draw calls, ${r.triangles} triangles`);
      }
      const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? null);
      results.sizes.push({
        machines: n,
        fps: +median(runs.map((r) => r.fps)).toFixed(1),
        drawCalls: runs[0].drawCalls,
        triangles: runs[0].triangles,
        jsHeapMB: heap ? +(heap / 1048576).toFixed(1) : null,
      });
      await ctx.close();
    } finally {
      await env.stop();
    }
  }
} finally {
  await chrome.close();
}

console.log(`bundle: ${results.bundle.files} files, ${results.bundle.rawKB} KB, ${results.bundle.gzipKB} KB gzipped`);
console.log(`first load (${results.firstLoad.machines} machines, median of ${LOADS}): DOMContentLoaded ${results.firstLoad.domContentLoadedMs} ms, load ${results.firstLoad.loadMs} ms, scene drawn ${results.firstLoad.sceneDrawnMs} ms`);
console.log("machines  fps (median of 3)  draw calls  triangles  JS heap MB");
for (const s of results.sizes) {
  console.log(`${String(s.machines).padStart(8)}  ${String(s.fps).padStart(16)}  ${String(s.drawCalls).padStart(10)}  ${String(s.triangles).padStart(9)}  ${s.jsHeapMB ?? "–"}`);
}
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(results, null, 2));
