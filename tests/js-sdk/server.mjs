// Starts a ferrotwin server for one test file: fresh data dir, random bootstrap token,
// HTTP and HTTPS on port 0, self-signed certificate. Parses the "listening on" lines.

import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, createWriteStream, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = resolve(here, "..", "..");
export const BIN = process.env.FERROTWIN_BIN || join(REPO, "target", "debug", "ferrotwin");
const STARTUP_MS = 30_000;

/** Why the scenario cannot run here, or null. Under CI=true the caller must fail instead. */
export function missingPrerequisite() {
  return existsSync(BIN) ? null : `ferrotwin binary not found at ${BIN} (build it or set FERROTWIN_BIN)`;
}

export async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "ferrotwin-js-"));
  const token = randomBytes(32).toString("base64url");
  const stderrLog = join(dataDir, "..", `${dataDir.split("/").pop()}-stderr.log`);
  // The event-route endpoint the scenario names; nothing listens on port 9.
  const config = join(dataDir, "..", `${dataDir.split("/").pop()}.toml`);
  writeFileSync(config, '[[endpoint]]\nname = "js-endpoint"\nkind = "webhook"\nurl = "http://127.0.0.1:9/"\n');
  const child = spawn(
    BIN,
    ["serve", "--data", dataDir, "--config", config, "--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-self-signed", "--no-mqtt"],
    { env: { ...process.env, FERROTWIN_BOOTSTRAP_TOKEN: token }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stderr.pipe(createWriteStream(stderrLog));
  const stdout = [];
  const urls = {};
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
  await new Promise((res, rej) => {
    const timer = setTimeout(
      () => rej(new Error(`ferrotwin printed no listening lines within ${STARTUP_MS} ms: ${stdout.join("\n")}`)),
      STARTUP_MS,
    );
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      stdout.push(line);
      const m = /listening on (https?):\/\/(\S+)/.exec(line);
      if (m) urls[m[1]] = `${m[1]}://${m[2]}`;
      if (urls.http && urls.https) {
        clearTimeout(timer);
        res();
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`ferrotwin exited early (code ${code}, signal ${signal}): ${stdout.join("\n")}`));
    });
  });
  const health = await fetch(`${urls.http}/healthz`);
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);

  return {
    httpUrl: urls.http,
    httpsUrl: urls.https,
    adminToken: token,
    dataDir,
    createToken(role) {
      const out = execFileSync(BIN, ["token", "create", "--data", dataDir, "--role", role], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
      if (!lines.length) throw new Error(`token create --role ${role} printed nothing`);
      return lines[lines.length - 1];
    },
    /** SIGTERM, then the exit code (must be 0). */
    async stop() {
      child.kill("SIGTERM");
      const timeout = new Promise((res) => setTimeout(() => res(null), 30_000));
      const result = await Promise.race([exited, timeout]);
      if (result === null) {
        child.kill("SIGKILL");
        throw new Error("ferrotwin did not exit within 30 s of SIGTERM");
      }
      rmSync(dataDir, { recursive: true, force: true });
      return result;
    },
  };
}
