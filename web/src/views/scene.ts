// `#/scene`: the plant in 3D, laid out from the twin graph, with live
// values on each machine, colours by condition, the parts named by open
// alerts and work orders highlighted, X-ray, click-through to twins, and a
// time slider that replays the scene from history. `?twin=id` flies to a
// machine (or the machine part a component twin stands for).

import { CollabLayer } from "../collab/layer";
import "../scene/scene.css";
import * as THREE from "three";
import { ApiError, get, post, type Alert, type WorkOrder } from "../api";
import { ago, fmt, h, mount } from "../dom";
import * as live from "../live";
import { go, href } from "../router";
import { KEY_SIGNALS, MOUNTS } from "../scene/catalog";
import { ANOMALY_LIMIT, Conditions, stateOfSeverity, type MachineCondition } from "../scene/conditions";
import { layout, type Footprints, type Placement } from "../scene/layout";
import { STATE_COLORS, type State } from "../scene/looks";
import { model } from "../scene/models";
import { loadPlant, type Plant, type PlantSensor } from "../scene/plant";
import { BUCKETS, HistoryWindow, newestTime, type SeriesKey } from "../scene/replay";
import { Viewer, type Hit } from "../scene/viewer";

declare global {
  interface Window {
    /** The plant scene's viewer, for browser tests. */
    ferrotwinScene?: Viewer;
  }
}

/** Replay windows offered, in seconds. */
const SPANS: [string, number][] = [
  ["last hour", 3600],
  ["last 6 h", 6 * 3600],
  ["last 24 h", 86400],
  ["last 7 d", 7 * 86400],
];
/** Graph changes are re-read after this quiet time. */
const RELOAD_MS = 1500;

/** A transmitter drawn on a machine, standing for the sensor twins mounted there. */
interface MountPoint {
  machine: string;
  part: string;
  sensors: PlantSensor[];
}

const errorText = (e: unknown) => (e instanceof ApiError ? `${e.message} (${e.status} ${e.code})` : e instanceof Error ? e.message : String(e));

export function sceneView(root: HTMLElement, _args: string[], params: URLSearchParams): () => void {
  const stage = h("div", { class: "scene-stage" });
  const host = h("div", {});
  const overlay = h("div", { class: "scene-overlay" });
  const tip = h("div", { class: "scene-tip", hidden: true });
  const problems = h("div", { class: "scene-problems", hidden: true });
  const summary = h("span", { class: "muted" });
  const xray = h("input", { type: "checkbox" });
  const spanSel = h("select", { title: "replay window" }, SPANS.map(([label, s]) => h("option", { value: s, selected: s === 6 * 3600 }, label)));
  const slider = h("input", { type: "range", min: 0, max: BUCKETS, value: BUCKETS, step: 1, title: "drag to replay the plant from history", "aria-label": "replay time" });
  const when = h("span", { class: "when" }, "Live");
  const liveBtn = h("button", { class: "secondary", hidden: true }, "Live");
  const replayBox = h("div", { class: "scene-replay" }, h("span", { class: "muted" }, "Replay"), spanSel, slider, when, liveBtn);
  const legend = h(
    "div",
    { class: "scene-legend" },
    (["normal", "warning", "alarm", "anomaly"] as State[]).map((s) =>
      h("span", {}, h("span", { class: "sw", style: `background:${STATE_COLORS[s]}` }), {
        normal: "normal",
        warning: "warning (minor or warning alert)",
        alarm: "alarm (critical or major alert)",
        anomaly: `anomaly (score > ${ANOMALY_LIMIT})`,
      }[s]),
    ),
    h("span", {}, h("span", { class: "sw", style: "background:#ffb627" }), "part named by an open alert or work order"),
  );
  const frameBtn = h("button", { class: "secondary", title: "show the whole plant" }, "Frame all");
  mount(
    root,
    h(
      "div",
      { class: "scene-page" },
      h("div", { class: "scene-bar" }, h("h1", { style: "margin:0" }, "3D plant"), summary, h("span", { class: "grow" }), replayBox, h("label", { class: "inline", title: "make casings translucent to see the parts inside" }, xray, "X-ray"), frameBtn),
      stage,
    ),
  );
  stage.append(host, legend, problems, tip, overlay);
  const say = (content: HTMLElement | string | null) => mount(overlay, content ? h("div", {}, content) : null);
  say("Loading the plant…");

  let viewer: Viewer;
  try {
    viewer = new Viewer(host);
  } catch (e) {
    say(h("div", { class: "error" }, errorText(e)));
    return () => {};
  }
  host.style.cssText = "position:absolute;inset:0";
  window.ferrotwinScene = viewer;
  // People looking at the same twin share a room: presence, pointers, annotations.
  const focused = params.get("twin");
  const collab = focused ? new CollabLayer(viewer, focused) : null;
  if (collab) stage.append(h("div", { class: "scene-collab bottom" }, collab.panel));

  let plant: Plant | null = null;
  let conditions: Conditions | null = null;
  let placements: Placement[] = [];
  const mounts = new Map<string, MountPoint>();
  const values = new Map<string, Record<string, any>>();
  const stateOf = new Map<string, State>();
  let replay: { window: HistoryWindow; t: number } | null = null;
  let closed = false;
  let reloadTimer = 0;
  let paintTimer = 0;
  let shownParts = new Map<string, Set<string>>();
  const buffered: live.CloudEvent[] = [];

  const valueOf = (twin: string, name: string): unknown => (replay ? replay.window.at(twin, name, replay.t) : values.get(twin)?.[name]);
  const titleOf = (id: string) => {
    const name = plant?.twins.get(id)?.name;
    return typeof name === "string" && name && name !== id ? `${id} · ${name}` : id;
  };
  const unitOf = (machine: string, name: string, fallback: string) => {
    for (const s of plant?.sensors.values() ?? []) if (s.machine === machine && s.quantity === name && s.unit) return s.unit;
    return fallback;
  };

  function paintLabels(id: string, cond?: MachineCondition): void {
    const m = plant?.machines.get(id);
    if (!m) return;
    const alerting = new Map<string, State>();
    for (const a of cond?.alerts ?? []) if (a.signal) alerting.set(a.signal, stateOfSeverity(a.severity));
    for (const k of KEY_SIGNALS[m.kind] ?? []) {
      const v = valueOf(id, k.name);
      const unit = k.percent ? "%" : unitOf(id, k.name, k.unit);
      const shown = typeof v === "number" ? fmt(k.percent ? v * 100 : v) : "–";
      viewer.setLabel(id, null, k.name, `${k.label} ${shown}${shown !== "–" && unit ? " " + unit : ""}`, alerting.get(k.name));
    }
    const score = valueOf(id, "anomalyScore");
    if (typeof score === "number" && score >= 0.5) viewer.setLabel(id, null, "anomalyScore", `anomaly score ${fmt(score, 2)}`, score > ANOMALY_LIMIT ? "anomaly" : undefined);
    else viewer.clearLabel(id, null, "anomalyScore");
    const rul = replay ? undefined : values.get(id)?.rul;
    if (rul && typeof rul.value === "number") {
      const text = rul.unit === "s" ? `${fmtDur(rul.value)} (${fmtDur(rul.lower)}–${fmtDur(rul.upper)})` : `${fmt(rul.value)} ${rul.unit ?? ""}`;
      viewer.setLabel(id, null, "rul", `RUL ${text}`, rul.unit === "s" && rul.value < 3 * 86400 ? "warning" : undefined);
    } else viewer.clearLabel(id, null, "rul");
    if (cond) stateOf.set(id, cond.state);
    viewer.setLabelTitle(id, null, titleOf(id), stateOf.get(id));
  }

  function paintStates(): void {
    if (!plant || !conditions) return;
    const at = replay?.t;
    const all = conditions.all((id) => {
      const v = valueOf(id, "anomalyScore");
      return typeof v === "number" ? v : undefined;
    }, at);
    const want = new Set<string>();
    const nextParts = new Map<string, Set<string>>();
    for (const [id, c] of all) {
      viewer.setPartState(id, null, c.state);
      for (const p of shownParts.get(id) ?? []) if (!c.parts.has(p)) viewer.setPartState(id, p, "normal");
      for (const [p, s] of c.parts) viewer.setPartState(id, p, s);
      nextParts.set(id, new Set(c.parts.keys()));
      for (const p of c.highlights) want.add(`${id}\u0000${p}`);
      paintLabels(id, c);
    }
    shownParts = nextParts;
    for (const hl of viewer.highlighted()) if (!want.has(`${hl.twinId}\u0000${hl.part ?? ""}`)) viewer.unhighlight(hl.twinId, hl.part);
    for (const k of want) {
      const [id, p] = k.split("\u0000");
      viewer.highlight(id, p);
    }
    paintProblems(conditions.openAlerts(at), conditions.openOrders(at));
    const counts = { alarm: 0, warning: 0, anomaly: 0 } as Record<State, number>;
    for (const c of all.values()) if (c.state !== "normal") counts[c.state]++;
    const n = placements.filter((p) => p.kind !== "line").length;
    summary.textContent = `${n} machine${n === 1 ? "" : "s"}` + (["alarm", "warning", "anomaly"] as State[]).filter((s) => counts[s]).map((s) => ` · ${counts[s]} ${s}`).join("");
  }

  function schedulePaint(): void {
    if (paintTimer) return;
    paintTimer = window.setTimeout(() => {
      paintTimer = 0;
      if (!closed) paintStates();
    }, 150);
  }

  function paintProblems(alerts: Alert[], orders: WorkOrder[]): void {
    if (!conditions) return;
    const order = { critical: 0, major: 1, minor: 2, warning: 3 };
    const items = [
      ...alerts
        .sort((a, b) => order[a.severity] - order[b.severity])
        .map((a) => {
          const w = conditions!.where(a.twin, a.part);
          return h(
            "div",
            { class: "item", onclick: () => w && show(w.machine, w.part) },
            h("span", { class: `badge sev-${a.severity}` }, a.severity),
            " ",
            h("b", {}, w ? w.machine : a.twin),
            w?.part ? ` · ${w.part.replace(/_/g, " ")}` : "",
            h("div", { class: "muted" }, a.description, " · ", h("span", { title: a.raisedAt }, raisedText(a.raisedAt))),
          );
        }),
      ...orders.map((o) => {
        const w = conditions!.where(o.twin, o.part);
        return h(
          "div",
          { class: "item", onclick: () => w && show(w.machine, w.part) },
          h("span", { class: "badge" }, `P${o.priority} ${o.state}`),
          " ",
          h("b", {}, w ? w.machine : o.twin),
          w?.part ? ` · ${w.part.replace(/_/g, " ")}` : "",
          h("div", { class: "muted" }, o.title, " · ", h("a", { href: href(`/workorder/${encodeURIComponent(o.id)}`), onclick: (e: Event) => e.stopPropagation() }, "procedure →")),
        );
      }),
    ];
    problems.hidden = items.length === 0;
    mount(problems, h("h3", {}, replay ? "Open at this time" : "Open alerts and work orders"), items);
  }

  /** Flies to a machine part; internal parts switch X-ray on so they can be seen. */
  function show(machine: string, part: string | null): void {
    if (part && viewer.isInternal(machine, part) && !viewer.xrayOn) {
      xray.checked = true;
      viewer.setXray(true);
    }
    viewer.focus(machine, part);
  }

  async function placeMounts(): Promise<void> {
    if (!plant) return;
    const wanted = new Map<string, MountPoint>();
    for (const m of plant.machines.values()) {
      const sensors = [...plant.sensors.values()].filter((s) => s.machine === m.id);
      for (const mp of MOUNTS[m.kind] ?? []) {
        const here = sensors.filter((s) => mp.quantities.includes(s.quantity)).sort((a, b) => mp.quantities.indexOf(a.quantity) - mp.quantities.indexOf(b.quantity));
        if (here.length) wanted.set(here[0].id, { machine: m.id, part: mp.part, sensors: here });
      }
    }
    for (const id of mounts.keys()) if (!wanted.has(id)) viewer.removeMachine(id);
    mounts.clear();
    const jobs: Promise<void>[] = [];
    for (const [id, mp] of wanted) {
      const box = viewer.partBox(mp.machine, mp.part);
      if (!box) continue;
      const def = MOUNTS[plant.machines.get(mp.machine)!.kind].find((x) => x.part === mp.part)!;
      // On top of the part, moved along the machine's own axes.
      const top = viewer.toLocal(mp.machine, new THREE.Vector3((box.min.x + box.max.x) / 2, box.max.y, (box.min.z + box.max.z) / 2));
      const at = viewer.toWorld(mp.machine, top.add(new THREE.Vector3(...def.offset)));
      const rot = placements.find((p) => p.twinId === mp.machine)?.rotationY ?? 0;
      mounts.set(id, mp);
      jobs.push(viewer.addMachine(id, "sensor", at, rot));
    }
    await Promise.all(jobs);
  }

  async function load(first: boolean): Promise<void> {
    const p = await loadPlant();
    if (closed) return;
    plant = p;
    if (conditions) conditions.setPlant(p);
    else conditions = new Conditions(p);
    if (p.machines.size === 0) {
      for (const id of viewer.machines()) viewer.removeMachine(id);
      say(
        h(
          "div",
          {},
          h("b", {}, "No machines to show yet."),
          h("p", { class: "muted" }, "The scene draws twins of the Pump, CncMill, Turbofan and Line models (and models that extend them). Create some under ", h("a", { href: href("/twins") }, "Twins"), ", or run the simulator (`ferrotwin demo`)."),
        ),
      );
      return;
    }
    const kinds = [...new Set([...p.machines.values()].map((m) => m.kind))];
    const footprints: Footprints = new Map();
    await Promise.all(
      kinds.map(async (k) => {
        const m = await model(k);
        footprints.set(k, new THREE.Box3().setFromObject(m.root));
      }),
    );
    placements = layout(p, footprints);
    const keep = new Set(placements.map((x) => x.twinId));
    for (const id of viewer.machines()) if (!keep.has(id) && !mounts.has(id)) viewer.removeMachine(id);
    await Promise.all(placements.map((x) => viewer.addMachine(x.twinId, x.kind, x.position, x.rotationY)));
    if (closed) return;
    await placeMounts();
    for (const [id, t] of p.twins) if (p.machines.has(id)) values.set(id, { ...values.get(id), ...t });
    if (first) {
      const [alerts, orders] = await Promise.all([get<{ value: Alert[] }>("/alerts"), get<{ value: WorkOrder[] }>("/workorders")]);
      for (const a of alerts.value) conditions.alerts.set(a.id, a);
      for (const o of orders.value) conditions.orders.set(o.id, o);
      await loadLatest(p);
    }
    if (closed) return;
    say(null);
    paintStates();
    if (first) {
      const target = params.get("twin");
      const where = target ? conditions.where(target) : null;
      const mount = target ? mounts.get(target) ?? [...mounts.values()].find((mp) => mp.sensors.some((s) => s.id === target)) : undefined;
      if (target && mount) viewer.focus(mount.machine, mount.part);
      else if (where) show(where.machine, where.part);
      else {
        viewer.frameAll();
        if (target) say(h("div", {}, `'${target}' is not drawn in the 3D plant (only machines, their component twins and their sensors are).`, " ", h("button", { class: "secondary", onclick: () => say(null) }, "OK")));
      }
    }
  }

  /** The newest value of each labelled signal, so labels are filled before the next event. */
  async function loadLatest(p: Plant): Promise<void> {
    const keys: SeriesKey[] = [];
    for (const m of p.machines.values()) for (const k of KEY_SIGNALS[m.kind] ?? []) keys.push({ twinId: m.id, name: k.name });
    for (const s of p.sensors.values()) keys.push({ twinId: s.machine, name: s.quantity });
    if (!keys.length) return;
    try {
      const r = await post<{ value: (SeriesKey & { point: { value: unknown } | null })[] }>("/history/latest", { series: keys });
      for (const v of r.value) if (v.point) values.set(v.twinId, { ...values.get(v.twinId), [v.name]: v.point.value });
    } catch {
      // Without history the labels fill in as telemetry arrives.
    }
  }

  function scheduleReload(): void {
    clearTimeout(reloadTimer);
    reloadTimer = window.setTimeout(() => void load(false).catch((e) => say(h("div", { class: "error" }, "Could not re-read the twin graph: ", errorText(e)))), RELOAD_MS);
  }

  function onEvent(e: live.CloudEvent): void {
    if (!plant || !conditions) {
      buffered.push(e);
      return;
    }
    const twin = live.twinOf(e);
    switch (e.type) {
      case "microsoft.iot.telemetry":
        if (e.subject === twin && e.data && typeof e.data === "object") {
          values.set(twin, { ...values.get(twin), ...e.data });
          if (!replay && plant.machines.has(twin)) paintLabels(twin);
        }
        break;
      case "Microsoft.DigitalTwins.Twin.Update": {
        const v = values.get(twin) ?? {};
        live.applyPatch(v, e.data?.patch ?? []);
        values.set(twin, v);
        const t = plant.twins.get(twin);
        if (t) live.applyPatch(t, e.data?.patch ?? []);
        if (!replay && plant.machines.has(twin)) {
          if ((e.data?.patch ?? []).some((p: { path: string }) => p.path === "/anomalyScore")) schedulePaint();
          paintLabels(twin);
        }
        break;
      }
      case "ferrotwin.Alert.Raised":
      case "ferrotwin.Alert.Updated":
      case "ferrotwin.Alert.Resolved":
        if (e.data?.id) conditions.alerts.set(e.data.id, e.data);
        if (!replay) schedulePaint();
        break;
      case "ferrotwin.WorkOrder.Created":
      case "ferrotwin.WorkOrder.Updated":
        if (e.data?.id) conditions.orders.set(e.data.id, e.data);
        if (!replay) schedulePaint();
        break;
      case "Microsoft.DigitalTwins.Twin.Create":
      case "Microsoft.DigitalTwins.Twin.Delete":
      case "Microsoft.DigitalTwins.Relationship.Create":
      case "Microsoft.DigitalTwins.Relationship.Update":
      case "Microsoft.DigitalTwins.Relationship.Delete":
        scheduleReload();
        break;
    }
  }

  let loadingWindow: Promise<void> | null = null;
  async function enterReplay(): Promise<void> {
    if (!plant) return;
    const keys: SeriesKey[] = [];
    for (const m of plant.machines.values()) {
      for (const k of KEY_SIGNALS[m.kind] ?? []) keys.push({ twinId: m.id, name: k.name });
      keys.push({ twinId: m.id, name: "anomalyScore" });
    }
    when.textContent = "loading history…";
    const newest = await newestTime(keys);
    if (newest === null) {
      when.textContent = "no history recorded yet";
      slider.value = String(BUCKETS);
      return;
    }
    const span = Number(spanSel.value) * 1000;
    const w = await HistoryWindow.load(keys, newest - span, newest);
    if (closed) return;
    if (w.empty) {
      when.textContent = "no history in this window";
      slider.value = String(BUCKETS);
      return;
    }
    replay = { window: w, t: w.to };
    replayBox.classList.add("active");
    liveBtn.hidden = false;
  }

  async function scrub(): Promise<void> {
    const v = Number(slider.value);
    if (!replay && v >= BUCKETS) return;
    if (!replay) {
      loadingWindow ??= enterReplay()
        .catch((e) => {
          when.textContent = "history unavailable";
          when.title = errorText(e);
          slider.value = String(BUCKETS);
        })
        .finally(() => (loadingWindow = null));
      await loadingWindow;
      if (!replay) return;
    }
    const w = replay.window;
    replay.t = w.from + ((w.to - w.from) * Number(slider.value)) / BUCKETS;
    when.textContent = new Date(replay.t).toLocaleString();
    when.title = "replaying from history; live updates are paused";
    paintStates();
  }

  function backToLive(): void {
    replay = null;
    slider.value = String(BUCKETS);
    when.textContent = "Live";
    when.title = "";
    replayBox.classList.remove("active");
    liveBtn.hidden = true;
    paintStates();
  }

  function describe(hit: Hit): HTMLElement | null {
    if (!plant) return null;
    const mp = mounts.get(hit.twinId);
    if (mp) {
      return h(
        "div",
        {},
        h("b", {}, mp.sensors.length === 1 ? mp.sensors[0].id : `${mp.sensors.length} sensors on ${mp.machine}`),
        mp.sensors.map((s) => {
          const v = valueOf(s.machine, s.quantity);
          return h("div", {}, `${s.quantity}: `, typeof v === "number" ? `${fmt(v)} ${s.unit}` : h("span", { class: "muted" }, "no value"));
        }),
        h("div", { class: "hint" }, `click to open ${mp.sensors[0].id}`),
      );
    }
    const m = plant.machines.get(hit.twinId);
    if (!m) return null;
    const child = hit.part ? plant.partTwin.get(m.id)?.get(hit.part) : undefined;
    const cond = conditions?.all(() => undefined, replay?.t).get(m.id);
    return h(
      "div",
      {},
      h("b", {}, titleOf(m.id)),
      h("div", { class: "muted" }, m.kind, hit.part ? ` · ${hit.part.replace(/_/g, " ")}` : "", child ? ` (twin ${child})` : ""),
      (cond?.alerts ?? [])
        .filter((a) => !hit.part || !a.part || a.part === hit.part)
        .slice(0, 3)
        .map((a) => h("div", {}, h("span", { class: `badge sev-${a.severity}` }, a.severity), " ", a.description)),
      h("div", { class: "hint" }, `click to open ${child ?? m.id}`),
    );
  }

  viewer.onHover((hit) => {
    const content = hit && describe(hit);
    if (!hit || !content) {
      tip.hidden = true;
      return;
    }
    mount(tip, content);
    const p = hit.point.clone().project(viewer.camera);
    const r = stage.getBoundingClientRect();
    const x = ((p.x + 1) / 2) * r.width;
    const y = ((1 - p.y) / 2) * r.height;
    tip.style.left = `${Math.min(x + 14, r.width - 290)}px`;
    tip.style.top = `${Math.min(y + 14, r.height - 120)}px`;
    tip.hidden = false;
  });
  viewer.onPick((hit) => {
    if (collab?.placing()) {
      void collab.place(hit);
      return;
    }
    if (!plant) return;
    const mp = mounts.get(hit.twinId);
    const target = mp ? mp.sensors[0].id : (hit.part && plant.partTwin.get(hit.twinId)?.get(hit.part)) || hit.twinId;
    go(`/twin/${encodeURIComponent(target)}`);
  });
  xray.addEventListener("change", () => viewer.setXray(xray.checked));
  frameBtn.addEventListener("click", () => viewer.frameAll());
  slider.addEventListener("input", () => void scrub());
  spanSel.addEventListener("change", () => {
    if (replay) {
      replay = null;
      void scrub();
    }
  });
  liveBtn.addEventListener("click", backToLive);

  const unlisten = live.listen(onEvent);
  // Loading runs on while the cleanup is handed back, so leaving mid-load frees the viewer at once.
  load(true)
    .then(() => {
      for (const e of buffered.splice(0)) onEvent(e);
    })
    .catch((e) => {
      if (!closed) say(h("div", {}, h("b", { class: "error" }, "Could not build the plant."), h("p", {}, errorText(e)), h("button", { class: "secondary", onclick: () => location.reload() }, "Try again")));
    });

  return () => {
    closed = true;
    unlisten();
    clearTimeout(reloadTimer);
    clearTimeout(paintTimer);
    if (window.ferrotwinScene === viewer) delete window.ferrotwinScene;
    collab?.dispose();
    viewer.dispose();
  };
}

/** When an alert was raised: relative if past, else the clock time (a simulator's clock can run ahead). */
function raisedText(iso: string): string {
  const t = Date.parse(iso);
  return t <= Date.now() ? ago(iso) : new Date(t).toLocaleString();
}

function fmtDur(s: unknown): string {
  if (typeof s !== "number" || !Number.isFinite(s)) return "–";
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}
