// The simulator panel (`#/sim`, writers): the simulated assets and their
// signals, a fault-injection form limited to what each asset can suffer,
// and the ground truth (active faults, start and predicted failure)
// refreshed every few seconds, so a demo or a training session can see
// cause and effect: inject here, then watch the twin, its alerts and its
// work orders respond.

import "./views.css";
import { ApiError, call } from "../api";
import { can } from "../auth";
import { dur, fmt, h, mount, toast } from "../dom";
import { confirmDialog } from "./command";
import { errorText } from "./errors";

interface SimAsset {
  id: string;
  kind: "pump" | "cnc" | "line" | "turbofan";
  signals: { name: string; unit: string }[];
}

interface Fault {
  id: number;
  asset: string;
  kind: string;
  severity: number;
  progression: string;
  duration_secs: number;
  target?: string;
  start_secs: number;
}

interface Truth {
  sim_secs: number;
  seed: number;
  assets: { id: string; kind: string; health: number; failed_at_secs: number | null; predicted_failure_secs: number | null; faults: Fault[] }[];
}

const TRUTH_POLL_MS = 3000;

/** Machine faults per asset kind (crates/sim/src/model/*.rs). */
const MACHINE_FAULTS: Record<string, string[]> = {
  pump: ["bearing_wear", "imbalance", "misalignment", "cavitation", "seal_leak"],
  cnc: ["tool_wear", "tool_breakage"],
  line: ["station_failure"],
  turbofan: ["hpc_degradation"],
};
const SENSOR_FAULTS = ["drift", "stuck", "noise_burst", "dropout"];

/** What each fault does, and where it shows (docs/simulator.md). */
const EFFECT: Record<string, string> = {
  bearing_wear: "Drive-end bearing wear: the BPFO, BPFI, BSF and FTF vibration bands grow (outer race first), bearing temperature rises, broadband vibration late on. At magnitude 1 the bearing fails and the pump trips.",
  imbalance: "Rotor imbalance: 1x vibration grows with speed squared; bearing friction and temperature rise.",
  misalignment: "Shaft misalignment: 2x vibration grows and the bearing heats up.",
  cavitation: "Suction pressure falls; once NPSH available drops below NPSH required, head falls by up to 30 % and broadband vibration rises.",
  seal_leak: "Mechanical seal leak: part of the flow (up to 15 %) is lost before the flow meter.",
  tool_wear: "The cutting tool wears 1 + 4 × magnitude times faster than Taylor's law: flank wear and spindle load climb sooner.",
  tool_breakage: "The tool breaks at once: spindle load spike, status fault, 10 minutes of repair, the part is scrapped.",
  station_failure: "A station stops for the fault's duration: throughput, availability and OEE fall, WIP piles up upstream.",
  hpc_degradation: "HPC degradation runs 1 + 4 × magnitude times faster: the C-MAPSS-like sensors drift towards failure.",
  drift: "The chosen signal drifts away from the truth by up to severity × its value; the machine itself is fine.",
  stuck: "The chosen signal freezes at its value when the fault starts.",
  noise_burst: "Noise of severity × the value on the chosen signal, for the fault's duration.",
  dropout: "Each sample of the chosen signal is lost with probability severity.",
  network_loss: "The device publishes nothing for the fault's duration (absence rules fire; charts show a gap).",
};

/** A sensible first setting per fault: [severity, progression, duration, unit]. */
const DEFAULTS: Record<string, [number, string, number, string]> = {
  bearing_wear: [1, "exponential", 1, "d"],
  imbalance: [0.6, "linear", 2, "h"],
  misalignment: [0.6, "linear", 2, "h"],
  cavitation: [0.8, "linear", 2, "h"],
  seal_leak: [0.5, "linear", 2, "h"],
  tool_wear: [1, "linear", 1, "h"],
  tool_breakage: [1, "step", 0, "s"],
  station_failure: [1, "step", 30, "min"],
  hpc_degradation: [1, "linear", 1, "d"],
  drift: [0.2, "linear", 2, "h"],
  stuck: [1, "step", 0, "s"],
  noise_burst: [0.3, "step", 10, "min"],
  dropout: [0.5, "step", 0, "s"],
  network_loss: [1, "step", 10, "min"],
};

const UNIT_SECS: [string, number][] = [["s", 1], ["min", 60], ["h", 3600], ["d", 86400]];


/** Simulated seconds since the run began, as `T+1 d 6 h`. */
function simTime(s: number): string {
  return `T+${dur(s)}`;
}

/** The CLI form of a fault: `asset:kind:severity:duration:progression[:target]`. */
function cliForm(f: { asset: string; kind: string; severity: number; duration_secs: number; progression: string; target?: string }): string {
  return [f.asset, f.kind, f.severity, f.duration_secs, f.progression, ...(f.target ? [f.target] : [])].join(":");
}

function unavailable(e: unknown): boolean {
  return e instanceof ApiError && (e.status === 404 || e.status === 502 || e.status === 503);
}

/** `#/sim` */
export async function simView(root: HTMLElement): Promise<() => void> {
  if (!can("writer")) {
    mount(root, h("div", { class: "page" }, h("h1", {}, "Simulator"), h("p", { class: "muted" }, "Injecting faults needs the writer role.")));
    return () => {};
  }
  mount(root, h("p", { class: "muted" }, "Asking for the simulator…"));
  let assets: SimAsset[];
  try {
    assets = await call<SimAsset[]>("GET", "/sim/assets");
  } catch (e) {
    mount(root, h("div", { class: "page" }, h("h1", {}, "Simulator"), noSimulator(e)));
    return () => {};
  }
  if (!assets.length) {
    mount(root, h("div", { class: "page" }, h("h1", {}, "Simulator"), h("p", { class: "muted" }, "The simulator runs but simulates no assets.")));
    return () => {};
  }

  let truth: Truth | null = null;
  // Simulated seconds per wall second, measured between truth samples.
  let speed: number | null = null;
  let lastSample: { wall: number; sim: number } | null = null;
  const truthBox = h("div", {}, h("p", { class: "muted" }, "Loading the ground truth…"));
  const clock = h("div", { class: "row sim-clock" });

  // Form
  const assetSel = h("select", { required: true }, assets.map((a) => h("option", { value: a.id }, `${a.id} (${a.kind})`)));
  const kindSel = h("select", { required: true });
  const targetSel = h("select", {});
  const targetLabel = h("label", {}, "Target signal", targetSel);
  const stationInput = h("input", { type: "number", min: "0", step: "1", placeholder: "the bottleneck", class: "narrow" });
  const stationLabel = h("label", {}, "Station index (optional)", stationInput);
  const severity = h("input", { type: "range", min: "0", max: "1", step: "0.05", value: "1" });
  const sevOut = h("output", {}, "1");
  const progression = h("select", {}, ["step", "linear", "exponential"].map((p) => h("option", { value: p }, p)));
  const duration = h("input", { type: "number", min: "0", step: "any", value: "2", class: "narrow" });
  const durUnit = h("select", {}, UNIT_SECS.map(([u]) => h("option", { value: u, selected: u === "h" }, u)));
  const startSel = h("select", {}, h("option", { value: "now" }, "now"), h("option", { value: "in" }, "after a delay (simulated)"));
  const delay = h("input", { type: "number", min: "0", step: "any", value: "10", class: "narrow" });
  const delayUnit = h("select", {}, UNIT_SECS.map(([u]) => h("option", { value: u, selected: u === "min" }, u)));
  const delayRow = h("span", { class: "row" }, delay, delayUnit);
  const effect = h("p", { class: "hint effect" });
  const cli = h("code", { class: "mono small" });
  const result = h("div", { class: "inject-result", role: "status" });
  const submit = h("button", { type: "submit" }, "Inject fault…");
  const signalsBox = h("div", {});
  const durationLabel = h("label", {}, "Duration", h("span", { class: "row" }, duration, durUnit));

  const asset = () => assets.find((a) => a.id === assetSel.value)!;
  const secs = (v: HTMLInputElement, u: HTMLSelectElement) => (v.valueAsNumber || 0) * (UNIT_SECS.find(([x]) => x === u.value)?.[1] ?? 1);
  const spec = () => {
    const a = asset();
    const kind = kindSel.value;
    const s: { asset: string; kind: string; severity: number; progression: string; duration_secs: number; target?: string } = {
      asset: a.id,
      kind,
      severity: Number(severity.value),
      progression: progression.value,
      duration_secs: secs(duration, durUnit),
    };
    if (SENSOR_FAULTS.includes(kind)) s.target = targetSel.value;
    if (kind === "station_failure" && stationInput.value !== "") s.target = String(Math.round(stationInput.valueAsNumber));
    return s;
  };

  const syncForm = () => {
    const a = asset();
    const prevKind = kindSel.value;
    const kinds = [...(MACHINE_FAULTS[a.kind] ?? []), ...SENSOR_FAULTS, "network_loss"];
    mount(
      kindSel,
      h("optgroup", { label: `${a.kind} faults` }, (MACHINE_FAULTS[a.kind] ?? []).map((k) => h("option", { value: k }, k))),
      h("optgroup", { label: "sensor faults (one signal)" }, SENSOR_FAULTS.map((k) => h("option", { value: k }, k))),
      h("optgroup", { label: "device" }, h("option", { value: "network_loss" }, "network_loss")),
    );
    if (kinds.includes(prevKind)) kindSel.value = prevKind;
    else applyDefaults();
    const prevTarget = targetSel.value;
    mount(targetSel, a.signals.map((s) => h("option", { value: s.name }, `${s.name}${s.unit ? ` (${s.unit})` : ""}`)));
    if (a.signals.some((s) => s.name === prevTarget)) targetSel.value = prevTarget;
    syncKind();
    mount(
      signalsBox,
      h("h3", {}, `${a.id}: ${a.signals.length} signals`),
      h("ul", { class: "signals" }, a.signals.map((s) => h("li", {}, s.name, s.unit ? h("span", { class: "muted" }, ` ${s.unit}`) : null))),
    );
  };
  const syncKind = () => {
    const k = kindSel.value;
    targetLabel.hidden = !SENSOR_FAULTS.includes(k);
    stationLabel.hidden = k !== "station_failure";
    delayRow.hidden = startSel.value !== "in";
    sevOut.textContent = severity.value;
    const durNote = k === "noise_burst" || k === "network_loss" ? " (how long it lasts)" : k === "station_failure" ? " (how long the station is down)" : " (time to full magnitude; 0 = at once)";
    durationLabel.firstChild!.textContent = `Duration${durNote}`;
    effect.textContent = EFFECT[k] ?? "";
    cli.textContent = `ferrotwin sim run … --fault '${cliForm(spec())}'`;
  };

  const applyDefaults = () => {
    const d = DEFAULTS[kindSel.value];
    if (!d) return;
    severity.value = String(d[0]);
    progression.value = d[1];
    duration.value = String(d[2]);
    durUnit.value = d[3];
  };
  assetSel.addEventListener("change", syncForm);
  kindSel.addEventListener("change", applyDefaults);
  for (const el of [kindSel, targetSel, stationInput, severity, progression, duration, durUnit, startSel, delay, delayUnit]) {
    el.addEventListener("input", syncKind);
    el.addEventListener("change", syncKind);
  }

  const form = h(
    "form",
    { class: "grid sim-form" },
    h("label", {}, "Asset", assetSel),
    h("label", {}, "Fault", kindSel),
    targetLabel,
    stationLabel,
    h("label", {}, "Severity (final magnitude, 0 to 1)", h("span", { class: "row" }, severity, sevOut)),
    h("label", {}, "Progression", progression),
    durationLabel,
    h("label", {}, "Start", h("span", { class: "row" }, startSel, delayRow)),
    effect,
    h("div", { class: "row" }, submit),
    h("div", { class: "hint" }, "Same fault from the command line: ", cli),
    result,
  );

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const s = spec();
    if (s.kind === "station_failure" && s.target !== undefined && !(Number(s.target) >= 0)) {
      mount(result, h("p", { class: "error" }, "The station index must be 0 or more."));
      return;
    }
    const body: Record<string, unknown> = { ...s };
    let when = "now";
    if (startSel.value === "in") {
      const d = secs(delay, delayUnit);
      if (!truth) {
        mount(result, h("p", { class: "error" }, "The simulated clock is not known yet; try again in a moment."));
        return;
      }
      body.at_secs = truth.sim_secs + d;
      when = `in ${dur(d)} of simulated time (at ${simTime(truth.sim_secs + d)})`;
    }
    const ok = await confirmDialog(
      `Inject ${s.kind} into ${s.asset}?`,
      [
        h("p", {}, `Severity ${s.severity}, ${s.progression}${s.duration_secs ? ` over ${dur(s.duration_secs)}` : ", at once"} of simulated time, starting ${when}.`),
        s.target ? h("p", {}, `Target: ${s.target}`) : null,
        h("p", { class: "hint" }, EFFECT[s.kind] ?? ""),
        h("p", { class: "hint" }, "A fault stays in the simulated plant until the asset is repaired (the Repair button in the ground truth below)."),
      ],
      "Inject fault",
      true,
    );
    if (!ok) return;
    submit.disabled = true;
    try {
      const r = await call<{ id: number; fault: Fault | null; sim_secs: number }>("POST", "/sim/faults", body);
      const enc = encodeURIComponent(s.asset);
      mount(
        result,
        h(
          "div",
          { class: "panel ok-box" },
          h("p", {}, h("strong", {}, `Fault #${r.id} injected`), ` into ${s.asset} at ${simTime(r.sim_secs)}${r.fault ? `, starting ${simTime(r.fault.start_secs)}` : ""}.`),
          h("p", {}, "Now watch the effect: "),
          h(
            "div",
            { class: "row" },
            h("a", { class: "button", href: `#/twin/${enc}` }, `${s.asset}: telemetry and analytics`),
            h("a", { class: "button secondary", href: `#/alerts?twin=${enc}` }, "its alerts"),
            h("a", { class: "button secondary", href: `#/workorders?twin=${enc}` }, "its work orders"),
            h("a", { class: "button secondary", href: `#/scene?twin=${enc}` }, "3D view"),
          ),
          h("p", { class: "hint" }, "Anomaly scores react within minutes of simulated time; rules wait for their conditions to hold (forSecs) before raising an alert."),
        ),
      );
      toast(`Fault #${r.id} injected into ${s.asset}`);
      void loadTruth();
    } catch (e) {
      mount(result, h("p", { class: "error" }, unavailable(e) ? `The simulator is no longer reachable: ${errorText(e)}` : `Not injected: ${errorText(e)}`));
    } finally {
      submit.disabled = false;
    }
  });

  const renderTruth = () => {
    if (!truth) return;
    const t = truth;
    mount(
      clock,
      h("span", {}, "Simulated clock ", h("strong", {}, simTime(t.sim_secs))),
      speed ? h("span", { class: "muted", title: "measured from the ground truth between refreshes" }, `· running at ≈${fmt(speed, 2)}× real time`) : null,
      h("span", { class: "muted" }, `· seed ${t.seed}`),
    );
    const wall = (simSecs: number) => (speed && speed > 0 ? ` ≈ ${dur(simSecs / speed)} of real time` : "");
    mount(
      truthBox,
      h(
        "table",
        { class: "truth" },
        h("thead", {}, h("tr", {}, h("th", {}, "Asset"), h("th", {}, "Health"), h("th", {}, "Failure"), h("th", {}, "Faults (started at, progress)"), h("th", {}, "Maintenance"))),
        h(
          "tbody",
          {},
          t.assets.map((a) => {
            const enc = encodeURIComponent(a.id);
            const failure =
              a.failed_at_secs !== null
                ? h("span", { class: "badge state-alarm" }, `failed at ${simTime(a.failed_at_secs)}`)
                : a.predicted_failure_secs !== null
                  ? h("span", { title: `at ${simTime(a.predicted_failure_secs)}` }, `in ${dur(Math.max(0, a.predicted_failure_secs - t.sim_secs))} simulated`, h("span", { class: "muted" }, wall(Math.max(0, a.predicted_failure_secs - t.sim_secs))))
                  : h("span", { class: "muted" }, "none predicted");
            return h(
              "tr",
              {},
              h("td", {}, h("a", { href: `#/twin/${enc}` }, a.id), h("span", { class: "muted" }, ` ${a.kind}`)),
              h("td", {}, h("span", { class: "meter" }, h("span", { class: a.health < 0.3 ? "bad" : a.health < 0.6 ? "warn" : "good", style: `width:${Math.max(0, Math.min(1, a.health)) * 100}%` })), ` ${Math.round(a.health * 100)} %`),
              h("td", {}, failure),
              h(
                "td",
                {},
                a.faults.length
                  ? h(
                      "ul",
                      { class: "faults" },
                      a.faults.map((f) => {
                        const pending = f.start_secs > t.sim_secs;
                        const x = f.duration_secs > 0 ? Math.min(1, Math.max(0, (t.sim_secs - f.start_secs) / f.duration_secs)) : pending ? 0 : 1;
                        return h(
                          "li",
                          {},
                          h("strong", {}, f.kind),
                          f.target ? ` on ${f.target}` : "",
                          ` · severity ${f.severity} · ${f.progression}${f.duration_secs ? ` over ${dur(f.duration_secs)}` : ""} · `,
                          pending ? h("span", { class: "notice" }, `starts ${simTime(f.start_secs)} (in ${dur(f.start_secs - t.sim_secs)})`) : `started ${simTime(f.start_secs)}, ${Math.round(x * 100)} % of its duration`,
                          h("span", { class: "muted" }, ` #${f.id}`),
                        );
                      }),
                    )
                  : h("span", { class: "muted" }, "healthy, no faults"),
              ),
              h(
                "td",
                {},
                a.faults.length || a.failed_at_secs !== null
                  ? h("button", { type: "button", class: "secondary", "data-repair": a.id, onclick: () => void repair(a.id, a.faults) }, `Repair ${a.id}…`)
                  : null,
              ),
            );
          }),
        ),
      ),
      h("p", { class: "hint" }, "Ground truth from the simulator, refreshed every 3 s. Compare it with what analytics estimates on each twin: that is the point of the exercise."),
    );
  };

  /** Maintenance done: the simulator clears the asset's faults and puts it back in order. */
  const repair = async (asset: string, faults: Fault[]) => {
    const ok = await confirmDialog(
      `Repair ${asset}?`,
      [
        h("p", {}, faults.length ? `Clears ${faults.map((f) => `${f.kind} #${f.id}`).join(", ")}, as the maintenance a work order asks for would.` : "Restarts the failed machine."),
        h("p", { class: "hint" }, "Worn or broken parts are replaced; a failed machine runs again."),
      ],
      "Repair",
      false,
    );
    if (!ok) return;
    try {
      const r = await call<{ cleared: Fault[]; sim_secs: number }>("POST", "/sim/repairs", { asset });
      toast(`${asset} repaired at ${simTime(r.sim_secs)}: ${r.cleared.length} fault${r.cleared.length === 1 ? "" : "s"} cleared`);
      void loadTruth();
    } catch (e) {
      mount(result, h("p", { class: "error" }, unavailable(e) ? `The simulator is no longer reachable: ${errorText(e)}` : `Not repaired: ${errorText(e)}`));
    }
  };

  let stopped = false;
  const loadTruth = async () => {
    try {
      const t = await call<Truth>("GET", "/sim/truth");
      const now = performance.now();
      if (lastSample && now - lastSample.wall > 1000 && t.sim_secs > lastSample.sim) {
        const measured = (t.sim_secs - lastSample.sim) / ((now - lastSample.wall) / 1000);
        speed = speed ? 0.7 * speed + 0.3 * measured : measured;
      }
      lastSample = { wall: now, sim: t.sim_secs };
      truth = t;
      renderTruth();
    } catch (e) {
      if (stopped) return;
      mount(truthBox, h("p", { class: "error" }, `Could not read the ground truth: ${errorText(e)}`));
    }
  };

  mount(
    root,
    h(
      "div",
      { class: "page sim" },
      h("h1", {}, "Simulator"),
      h("p", { class: "hint" }, "The virtual factory running in this process. Inject a fault, then follow its effect on the twin, in analytics, alerts and work orders. Times are simulated: the simulator's clock runs faster than the wall clock."),
      clock,
      h("div", { class: "sim-grid" }, h("section", { class: "panel" }, h("h2", {}, "Inject a fault"), form), h("section", { class: "panel" }, h("h2", {}, "Signals"), signalsBox)),
      h("section", { class: "panel" }, h("h2", {}, "Ground truth"), truthBox),
    ),
  );
  syncForm();
  await loadTruth();
  const poll = window.setInterval(() => void loadTruth(), TRUTH_POLL_MS);
  return () => {
    stopped = true;
    clearInterval(poll);
  };
}

function noSimulator(e: unknown): HTMLElement {
  const why = unavailable(e)
    ? "No simulator runs in this process (the platform answered " + (e as ApiError).status + "). The panel works when the platform is started with `ferrotwin demo`, which runs the virtual factory in-process."
    : `Could not reach the simulator: ${errorText(e)}`;
  return h(
    "div",
    { class: "panel" },
    h("p", { class: unavailable(e) ? "notice" : "error" }, why),
    h("p", {}, "To drive a simulator that runs on its own, use its CLI and REST API:"),
    h(
      "pre",
      { class: "mono" },
      [
        "ferrotwin sim run --server http://127.0.0.1:8080 --token $TOKEN --mqtt 127.0.0.1:1883 \\",
        "  --assets pump:2,cnc:2,line:1 --speed 60 --api 127.0.0.1:9090 \\",
        "  --fault 'pump-2:bearing_wear:1:172800:exponential@3600'",
        "",
        "curl -s http://127.0.0.1:9090/truth",
        "curl -s -X POST http://127.0.0.1:9090/faults \\",
        `  -d '{"asset":"pump-1","kind":"cavitation","severity":0.8,"progression":"linear","duration_secs":7200}'`,
      ].join("\n"),
    ),
    h("p", { class: "hint" }, "A fault on the command line is asset:kind[:severity[:duration_secs[:progression[:target]]]][@start_secs]."),
  );
}
