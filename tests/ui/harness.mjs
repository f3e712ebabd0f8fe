// What the browser tests and the UI benchmark share: starting ferrotwin
// (the demo, or serve), launching Debian's Chromium through playwright-core
// with software WebGL, screenshots kept as artefacts, and pixel checks.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { PNG } from "pngjs";

const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = join(here, "artifacts");
export const BIN = process.env.FERROTWIN_BIN ?? join(here, "../../target/debug/ferrotwin");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Why the browser tests cannot run here, or null when they can. */
export function missing() {
  if (!existsSync(BIN)) return `no ferrotwin binary at ${BIN} (build it, or set FERROTWIN_BIN)`;
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`;
  return null;
}

/** Starts a ferrotwin process and waits for a line matching each pattern; returns the matches. */
export async function start(args, patterns, { timeoutMs = 60000, env = {} } = {}) {
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const found = new Array(patterns.length).fill(null);
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferrotwin ${args[0]} did not start within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const onData = (d) => {
      out += d;
      patterns.forEach((p, i) => {
        const m = found[i] ?? out.match(p);
        if (m) found[i] = m;
      });
      if (found.every(Boolean)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ferrotwin ${args[0]} exited (${code}) before it was ready:\n${out}`));
    });
  });
  await done;
  child.removeAllListeners("exit");
  return { child, found, log: () => out, stop: () => stop(child) };
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", resolve);
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 10000).unref();
  });
}

/** `ferrotwin demo` on free ports in a fresh data directory: { base, token, app, stop }. */
export async function demo() {
  const data = mkdtempSync(join(tmpdir(), "ferrotwin-ui-"));
  const p = await start(
    ["demo", "--data", data, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"],
    [/web app: (http:\/\/\S+)\/ui\/#token=(\S+)/, /simulating /],
  );
  const [, base, token] = p.found[0];
  return {
    base,
    token,
    data,
    app: (route = "/") => `${base}/ui/#token=${token}&next=${encodeURIComponent(route)}`,
    log: p.log,
    stop: async () => {
      await p.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Headless Chromium with software WebGL (SwiftShader), as CI has no GPU. */
export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
      "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    ],
  });
}

/** Calls the platform's API as the test. */
export async function api(env, method, path, body) {
  const res = await fetch(env.base + path, {
    method,
    headers: { Authorization: `Bearer ${env.token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Saves a screenshot of the page (or an element) under artifacts/ and returns the PNG bytes. */
export async function shot(target, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return target.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** How many pixels of a PNG differ clearly from its most common colour, and how many colours it has. */
export function ink(png) {
  const img = PNG.sync.read(Buffer.isBuffer(png) ? png : readFileSync(png));
  const counts = new Map();
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const key = ((d[i] >> 3) << 10) | ((d[i + 1] >> 3) << 5) | (d[i + 2] >> 3);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let bg = 0;
  let most = 0;
  for (const [k, n] of counts) if (n > most) [bg, most] = [k, n];
  const [br, bgc, bb] = [(bg >> 10) << 3, ((bg >> 5) & 31) << 3, (bg & 31) << 3];
  let differ = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (Math.abs(d[i] - br) + Math.abs(d[i + 1] - bgc) + Math.abs(d[i + 2] - bb) > 48) differ++;
  }
  return { pixels: img.width * img.height, differ, colours: counts.size };
}

/** Polls `probe` until it returns a truthy value, or fails with `what` after `ms`. */
export async function eventually(what, ms, probe) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not happen within ${ms / 1000} s (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
