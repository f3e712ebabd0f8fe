// The web app in a real browser against `ferrotwin demo`: the 3D scene
// draws, live values move, a fault injected from the simulator panel
// raises an alert and highlights the part, a work order's procedure is
// stepped through, an annotation made in one browser appears in another,
// and a reader is not offered what it cannot do. Screenshots are kept in
// tests/ui/artifacts/.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { BIN, api, browser, demo, eventually, ink, missing, shot } from "./harness.mjs";

const why = missing();
if (why && process.env.CI === "true") throw new Error(`browser tests cannot run in CI: ${why}`);
const skip = why ? `skipped: ${why}` : false;

let env;
let chrome;

before(async () => {
  if (skip) return;
  env = await demo();
  chrome = await browser();
});

after(async () => {
  await chrome?.close();
  await env?.stop();
});

async function open(route, { token } = {}) {
  const ctx = await chrome.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  const t = token ?? env.token;
  await page.goto(`${env.base}/ui/#token=${t}&next=${encodeURIComponent(route)}`);
  return { ctx, page, errors };
}

async function sceneReady(page, machines = 4) {
  await page.waitForFunction((n) => window.ferrotwinScene && window.ferrotwinScene.machines().length >= n, machines, { timeout: 60000 });
}

test("the 3D plant draws", { skip }, async () => {
  const { ctx, page, errors } = await open("/scene");
  await sceneReady(page);
  await page.waitForTimeout(1500);
  const canvas = page.locator("canvas").first();
  const png = await shot(canvas, "scene");
  const { pixels, differ, colours } = ink(png);
  assert.ok(differ / pixels > 0.05, `the canvas is nearly blank: ${differ} of ${pixels} pixels differ from the background`);
  assert.ok(colours > 50, `the canvas has only ${colours} colours: shading would give many`);
  await shot(page, "scene-page");
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a live value changes within a few seconds", { skip }, async () => {
  const { ctx, page } = await open("/scene");
  await sceneReady(page);
  const label = page.locator('.ft-label[data-twin="pump-1"]').first();
  const first = await eventually("pump-1's label shows values", 20000, async () => {
    const t = await label.textContent();
    return t && /\d/.test(t) ? t : null;
  });
  const changed = await eventually("pump-1's label changes", 15000, async () => {
    const t = await label.textContent();
    return t !== first ? t : null;
  });
  assert.notEqual(changed, first);
  await shot(page, "live-label");
  await ctx.close();
});

test("a fault injected from the simulator panel raises an alert and highlights the part", { skip }, async () => {
  const { ctx, page } = await open("/sim");
  await page.getByLabel("Asset").selectOption("pump-1");
  await page.getByLabel("Fault").selectOption("imbalance");
  await page.getByLabel("Progression").selectOption("step");
  await page.locator("form.sim-form input[type=range]").fill("1");
  await page.getByRole("button", { name: "Inject fault…" }).click();
  await page.locator("dialog.confirm").getByRole("button").last().click();
  await eventually("the injection is confirmed", 10000, async () => (await page.locator(".inject-result").textContent())?.includes("pump-1"));
  await shot(page, "sim-injected");

  await page.goto(`${env.base}/ui/#/alerts`);
  await eventually("an imbalance alert for pump-1 is listed", 90000, async () => {
    const text = await page.locator("main").textContent();
    return text.includes("pump-imbalance") && text.includes("pump-1");
  });
  await shot(page, "alerts");

  await page.goto(`${env.base}/ui/#/scene?twin=pump-1`);
  await sceneReady(page);
  const highlighted = await eventually("pump-1's impeller is highlighted", 20000, async () => {
    const h = await page.locator("[data-highlight]").first().getAttribute("data-highlight");
    return h?.split(" ").includes("pump-1:impeller") ? h : null;
  });
  assert.ok(highlighted.includes("pump-1:impeller"));
  await page.waitForTimeout(1000);
  await shot(page, "scene-highlight");
  await ctx.close();
});

test("a work order's procedure can be stepped through", { skip }, async () => {
  const orders = await eventually("a work order for pump-1", 60000, async () => {
    const r = await api(env, "GET", "/workorders?twin=pump-1");
    return r.value.find((o) => o.template === "pump-impeller" && o.state !== "done");
  });
  const { ctx, page } = await open(`/workorder/${orders.id}`);
  const steps = orders.steps.length;
  assert.ok(steps >= 3, `the impeller procedure has ${steps} steps`);
  const start = page.getByRole("button", { name: /^Start/ });
  if (await start.count()) await start.first().click();
  for (let n = 0; n < steps; n++) {
    const step = page.locator(`[data-step="${n + 1}"]`);
    const done = step.getByRole("button", { name: `Mark step ${n + 1} done` });
    if (!(await done.count())) await step.locator("header").click();
    await done.click();
    await eventually(`step ${n + 1} is recorded`, 10000, async () => {
      const o = await api(env, "GET", `/workorders/${orders.id}`);
      return o.steps[n].done;
    });
    if (n === 1) await shot(page, "procedure-step");
  }
  const o = await api(env, "GET", `/workorders/${orders.id}`);
  assert.ok(o.steps.every((s) => s.done && s.doneBy === "bootstrap"), JSON.stringify(o.steps.map((s) => [s.done, s.doneBy])));
  await shot(page, "procedure-done");
  await ctx.close();
});

test("an annotation made in one browser appears live in another", { skip }, async () => {
  const a = await open("/scene?twin=pump-2");
  const b = await open("/scene?twin=pump-2");
  await sceneReady(a.page);
  await sceneReady(b.page);
  // Each sees the other in the room.
  await eventually("the second browser sees the first", 15000, async () => (await b.page.locator(".collab .people li").count()) >= 2);
  const text = `check the casing bolts ${Date.now()}`;
  await a.page.getByLabel("annotation text").fill(text);
  await a.page.getByRole("button", { name: "Pin a point" }).click();
  // Click the pump's casing on screen.
  const at = await a.page.evaluate(() => {
    const v = window.ferrotwinScene;
    const box = v.partBox("pump-2", "casing") ?? v.partBox("pump-2");
    const c = box.getCenter(box.min.clone());
    c.project(v.camera);
    const r = v.renderer.domElement.getBoundingClientRect();
    return { x: r.left + ((c.x + 1) / 2) * r.width, y: r.top + ((1 - c.y) / 2) * r.height };
  });
  await a.page.mouse.click(at.x, at.y);
  await eventually("the annotation appears in the second browser", 10000, async () =>
    (await b.page.locator(".collab .notes").textContent())?.includes(text),
  );
  const saved = await api(env, "GET", "/collab/twins/pump-2/annotations");
  const pin = saved.value.find((x) => x.text === text);
  assert.ok(pin, "the annotation is kept with the twin");
  assert.equal(pin.kind, "point");
  assert.ok(pin.position, "it is pinned at a point on the machine");
  await shot(a.page, "annotation-author");
  await shot(b.page, "annotation-viewer");
  await a.ctx.close();
  await b.ctx.close();
});

test("a reader is not offered what it cannot do", { skip }, async () => {
  const reader = execFileSync(BIN, ["token", "create", "--role", "reader", "--name", "viewer", "--data", env.data]).toString().trim().split("\n").pop();
  const { ctx, page } = await open("/alerts", { token: reader });
  await page.waitForSelector("header nav");
  assert.equal(await page.locator('header nav a[data-route="sim"]').count(), 0, "no simulator link for a reader");
  await eventually("alerts are listed", 20000, async () => (await page.locator("main").textContent()).includes("pump-1"));
  assert.equal(await page.getByRole("button", { name: "Acknowledge" }).count(), 0, "a reader may not acknowledge");
  assert.equal(await page.getByRole("button", { name: "Resolve" }).count(), 0, "a reader may not resolve");
  await shot(page, "reader-alerts");
  await ctx.close();
});

test("repairing the machine in the simulator clears its faults and its alert resolves", { skip }, async () => {
  const { ctx, page } = await open("/sim");
  const repair = page.locator('button[data-repair="pump-1"]');
  await eventually("pump-1 can be repaired", 15000, async () => (await repair.count()) > 0);
  await repair.click();
  await page.locator("dialog.confirm").getByRole("button", { name: "Repair" }).click();
  await eventually("pump-1's faults are cleared", 15000, async () => {
    const t = await api(env, "GET", "/sim/truth");
    const pump = t.assets.find((a) => a.id === "pump-1");
    return pump.faults.length === 0 && pump.failed_at_secs === null;
  });
  await eventually("the ground truth shows pump-1 healthy", 10000, async () => (await repair.count()) === 0);
  await shot(page, "sim-repaired");
  // The imbalance gone from the data, the rule clears its alert by itself.
  await eventually("pump-1's imbalance alert is resolved by its rule", 120000, async () => {
    const r = await api(env, "GET", "/alerts?twin=pump-1");
    const open = r.value.filter((a) => a.rule === "pump-imbalance" && a.state !== "resolved");
    const resolved = r.value.filter((a) => a.rule === "pump-imbalance" && a.resolvedBy === "rule");
    return open.length === 0 && resolved.length > 0;
  });
  await ctx.close();
});
