// Telemetry charts of one twin, drawn with uPlot from history's bucket
// aggregates: one bucket per pixel, a min–max band and the mean line.
// Dragging across a chart zooms every chart and fetches finer buckets for
// that span; while following the live edge, telemetry events append
// points. The live edge is the newest reading, not the wall clock: a
// simulator's source times can run ahead of (or behind) this computer.

import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "./views.css";
import { call } from "../api";
import { dur, fmt, h, mount } from "../dom";
import * as live from "../live";
import { errorText } from "./errors";

/** A history series of the twin. */
interface SeriesInfo {
  name: string;
  kind: "telemetry" | "property" | "lifecycle";
}

interface Bucket {
  start: string;
  count: number;
  min: number;
  max: number;
  avg: number;
}

/** What the charts show; reported so the view can keep it in the address. */
export interface ChartState {
  series: string[];
  range: string;
}

/** Options of the chart panel. */
export interface ChartOptions {
  /** Units by series name, e.g. from the twin's sensor twins or DTDL. */
  units: Map<string, string>;
  /** Series to show first (those missing from history are skipped). */
  initial: string[];
  /** A range key of RANGES. */
  range?: string;
  /** Hears when the series or the range change. */
  onState?: (s: ChartState) => void;
}

const RANGES: [string, string, number][] = [
  ["15m", "15 min", 15 * 60e3],
  ["1h", "1 h", 3600e3],
  ["6h", "6 h", 6 * 3600e3],
  ["24h", "24 h", 24 * 3600e3],
  ["7d", "7 d", 7 * 86400e3],
  ["all", "All", 0],
];
const HEIGHT = 170;
const MIN_ZOOM_MS = 10e3;
const MAX_CHARTS = 8;
const COLORS = ["#3fa7ff", "#3fb950", "#d29922", "#bc8cff", "#f0883e", "#56d4dd", "#f778ba", "#a5d6ff"];

const iso = (ms: number) => new Date(ms).toISOString();


/** Columns for uPlot from buckets; a null breaks the line where data are missing. */
function columns(buckets: Bucket[], widthMs: number): [number[], (number | null)[], (number | null)[], (number | null)[]] {
  const x: number[] = [];
  const lo: (number | null)[] = [];
  const hi: (number | null)[] = [];
  const mean: (number | null)[] = [];
  const starts = buckets.map((b) => Date.parse(b.start));
  const gaps = starts.slice(1).map((s, i) => s - starts[i]).sort((a, b) => a - b);
  // Sparse data leave most buckets empty; a gap is one much longer than the usual spacing.
  const usual = gaps.length ? gaps[Math.floor(gaps.length / 2)] : widthMs;
  const limit = Math.max(2 * widthMs, 5 * usual);
  buckets.forEach((b, i) => {
    if (i > 0 && starts[i] - starts[i - 1] > limit) {
      x.push((starts[i - 1] + widthMs) / 1000);
      lo.push(null);
      hi.push(null);
      mean.push(null);
    }
    x.push((starts[i] + widthMs / 2) / 1000);
    lo.push(b.min);
    hi.push(b.max);
    mean.push(b.avg);
  });
  return [x, lo, hi, mean];
}

/** Calls `f` for every numeric leaf of a telemetry object, named as history names it. */
function leaves(v: any, prefix: string, f: (name: string, value: number) => void): void {
  if (v && typeof v === "object" && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, prefix ? `${prefix}/${k}` : k, f);
  } else if (typeof v === "number" && Number.isFinite(v)) f(prefix, v);
  else if (typeof v === "boolean") f(prefix, v ? 1 : 0);
}

/** One series' chart. */
class Chart {
  el: HTMLElement;
  plot: uPlot | null = null;
  data: [number[], (number | null)[], (number | null)[], (number | null)[]] = [[], [], [], []];
  title: HTMLElement;
  note: HTMLElement;
  host: HTMLElement;

  constructor(
    public name: string,
    public unit: string,
    private color: string,
    private panel: Panel,
    private stepped: boolean,
  ) {
    this.title = h("span", { class: "chart-value" });
    this.note = h("span", { class: "hint" });
    this.host = h("div", { class: "chart-host" });
    this.el = h(
      "div",
      { class: "chart" },
      h(
        "div",
        { class: "row chart-head" },
        h("strong", {}, name),
        unit ? h("span", { class: "muted" }, unit) : null,
        this.title,
        this.note,
        h("button", { type: "button", class: "link", title: "remove this chart", "aria-label": `remove ${name}`, onclick: () => panel.remove(name) }, "×"),
      ),
      this.host,
    );
  }

  make(width: number) {
    const panel = this.panel;
    const axis = { stroke: "#8a99a8", grid: { stroke: "#2b3642", width: 1 }, ticks: { stroke: "#2b3642", width: 1 } };
    const opts: uPlot.Options = {
      width,
      height: HEIGHT,
      legend: { show: false },
      cursor: {
        sync: { key: panel.syncKey },
        drag: { x: true, y: false, setScale: false },
      },
      scales: {
        x: { time: true, range: () => [panel.from / 1000, panel.to / 1000] },
      },
      axes: [axis, { ...axis, size: 56 }],
      series: [
        {},
        { label: "min", stroke: "transparent", points: { show: false }, spanGaps: false },
        { label: "max", stroke: "transparent", points: { show: false }, spanGaps: false },
        // uPlot shows the points themselves only where they are sparse; a property holds its value until it changes.
        { label: "mean", stroke: this.color, width: 1.5, spanGaps: false, ...(this.stepped ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}) },
      ],
      bands: [{ series: [2, 1], fill: this.color + "33" }],
      hooks: {
        setSelect: [
          (u) => {
            if (u.select.width > 3) {
              const a = u.posToVal(u.select.left, "x") * 1000;
              const b = u.posToVal(u.select.left + u.select.width, "x") * 1000;
              panel.zoom(a, b);
            }
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          },
        ],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined) return this.showLast();
            const t = u.data[0][i];
            const m = u.data[3][i];
            if (m === null || m === undefined) return;
            const lo = u.data[1][i];
            const hi = u.data[2][i];
            this.title.textContent = `${fmt(m)}${lo !== hi ? ` (${fmt(lo)} – ${fmt(hi)})` : ""} at ${new Date(t * 1000).toLocaleString()}`;
          },
        ],
      },
    };
    this.plot = new uPlot(opts, this.data, this.host);
    this.host.addEventListener("dblclick", () => panel.reset());
  }

  showLast() {
    const m = this.data[3];
    for (let i = m.length - 1; i >= 0; i--) {
      if (m[i] !== null) {
        this.title.textContent = `${fmt(m[i])} at ${new Date(this.data[0][i] * 1000).toLocaleString()}`;
        return;
      }
    }
    this.title.textContent = "";
  }

  set(buckets: Bucket[], widthMs: number) {
    this.data = columns(buckets, widthMs);
    this.note.textContent = buckets.length ? "" : "no numeric data in this range";
    this.plot?.setData(this.data);
    this.showLast();
  }

  append(tMs: number, v: number) {
    const x = this.data[0];
    if (x.length && tMs / 1000 <= x[x.length - 1]) return;
    x.push(tMs / 1000);
    this.data[1].push(v);
    this.data[2].push(v);
    this.data[3].push(v);
    this.note.textContent = "";
  }

  trim(fromMs: number) {
    const x = this.data[0];
    let n = 0;
    while (n < x.length && x[n] * 1000 < fromMs) n++;
    if (n) for (const col of this.data) col.splice(0, n);
  }

  redraw() {
    this.plot?.setData(this.data);
    this.showLast();
  }

  destroy() {
    this.plot?.destroy();
  }
}

/** The panel: series picker, range, charts. */
class Panel {
  el: HTMLElement;
  syncKey = "twin-" + Math.random().toString(36).slice(2);
  from = 0;
  to = 0;
  span = 3600e3;
  rangeKey = "1h";
  following = true;
  /** The newest reading seen, ms. */
  edge = 0;
  /** The oldest reading, ms. */
  first = 0;
  charts = new Map<string, Chart>();
  series: SeriesInfo[] = [];
  private fetchCtl: AbortController | null = null;
  private status: HTMLElement;
  private chartsEl: HTMLElement;
  private picker: HTMLElement;
  private rangeBar: HTMLElement;
  private pending = 0;
  private unlisten: () => void = () => {};
  private ro: ResizeObserver;
  private width = 600;

  constructor(
    private twin: string,
    private opts: ChartOptions,
  ) {
    this.status = h("div", { class: "hint chart-status", role: "status" });
    this.chartsEl = h("div", { class: "charts" });
    this.picker = h("details", { class: "picker" });
    this.rangeBar = h("div", { class: "row ranges", role: "group", "aria-label": "time range" });
    this.el = h("div", { class: "chart-panel" }, h("div", { class: "row chart-tools" }, this.picker, this.rangeBar), this.status, this.chartsEl);
    const r = RANGES.find((x) => x[0] === opts.range);
    if (r) {
      this.rangeKey = r[0];
      this.span = r[2];
    }
    this.ro = new ResizeObserver(() => {
      const w = Math.max(240, Math.floor(this.chartsEl.clientWidth));
      if (Math.abs(w - this.width) < 2) return;
      this.width = w;
      for (const c of this.charts.values()) c.plot?.setSize({ width: w, height: HEIGHT });
    });
    this.ro.observe(this.chartsEl);
  }

  async start() {
    mount(this.status, "Loading the twin's history…");
    try {
      const list = await call<{ value: SeriesInfo[] }>("GET", `/history/twins/${encodeURIComponent(this.twin)}/series`);
      this.series = list.value.filter((s) => s.kind !== "lifecycle").sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === "telemetry" ? -1 : 1));
    } catch (e) {
      mount(this.status, h("span", { class: "error" }, `Could not load the history's series: ${errorText(e)}`));
      return;
    }
    if (!this.series.length) {
      mount(this.status, "No history for this twin yet: charts appear once it has sent telemetry or changed a property.");
      return;
    }
    const names = new Set(this.series.map((s) => s.name));
    let chosen = this.opts.initial.filter((n) => names.has(n));
    if (!chosen.length) chosen = this.series.filter((s) => s.kind === "telemetry").slice(0, 3).map((s) => s.name);
    this.width = Math.max(240, Math.floor(this.chartsEl.clientWidth || 600));
    for (const n of chosen.slice(0, MAX_CHARTS)) this.addChart(n);
    this.renderPicker();
    if (!chosen.length) {
      mount(this.status, "History holds no telemetry for this twin; pick a property under Series to chart it.");
    }
    this.unlisten = live.listen((e) => {
      if (e.type !== "microsoft.iot.telemetry" || live.twinOf(e) !== this.twin) return;
      const m = e.subject.match(/\/components\/([^/]+)$/);
      this.onTelemetry(Date.parse(e.time), m ? m[1] : "", e.data);
    });
    if (!chosen.length) return;
    await this.findExtent();
    await this.refetch();
  }

  /** Finds the first and newest readings of the charted series. */
  private async findExtent() {
    const names = [...this.charts.keys()];
    if (!names.length) return;
    const enc = encodeURIComponent(this.twin);
    try {
      const q = new URLSearchParams();
      for (const n of names) q.append("series", n);
      const latest = await call<{ value: { name: string; point: { time: string } | null }[] }>("GET", `/history/twins/${enc}/latest?${q}`);
      const times = latest.value.map((v) => (v.point ? Date.parse(v.point.time) : 0));
      this.edge = Math.max(this.edge, ...times);
      const firsts = await Promise.all(
        names.map((n) =>
          call<{ value: { time: string }[] }>("GET", `/history/twins/${enc}/points`, undefined, { series: n, from: "1970-01-01T00:00:00Z", to: iso(Math.max(this.edge, Date.now()) + 1), maxItems: 1 })
            .then((p) => (p.value[0] ? Date.parse(p.value[0].time) : 0))
            .catch(() => 0),
        ),
      );
      const f = firsts.filter((t) => t > 0);
      this.first = f.length ? Math.min(...f) : 0;
    } catch (e) {
      mount(this.status, h("span", { class: "error" }, `Could not read the newest readings: ${errorText(e)}`));
    }
    if (!this.edge) this.edge = Date.now();
  }

  private place() {
    if (!this.following) return;
    this.to = this.edge + 1;
    this.from = this.span ? this.to - this.span : Math.min(this.first || this.to - 3600e3, this.to - MIN_ZOOM_MS);
  }

  private renderRanges() {
    mount(
      this.rangeBar,
      RANGES.map(([key, label]) =>
        h(
          "button",
          {
            type: "button",
            class: "secondary" + (this.following && key === this.rangeKey ? " active" : ""),
            "aria-pressed": this.following && key === this.rangeKey ? "true" : "false",
            title: key === "all" ? "everything history holds for these series" : `the last ${label} up to the newest reading`,
            onclick: () => this.setRange(key),
          },
          label,
        ),
      ),
    );
  }

  private renderStatus() {
    const parts: (Node | string)[] = [];
    const fromTxt = new Date(this.from).toLocaleString();
    const toTxt = new Date(this.to).toLocaleString();
    if (this.following) parts.push(h("span", { class: "live-dot" }, "● following the newest reading"), ` · ${fromTxt} – ${toTxt}`);
    else parts.push(`Zoomed: ${fromTxt} – ${toTxt} (${dur((this.to - this.from) / 1000)}) `, h("button", { type: "button", class: "link", onclick: () => this.reset() }, "back to live"));
    const ahead = this.edge - Date.now();
    if (Math.abs(ahead) > 120e3) {
      parts.push(
        h(
          "span",
          { class: "notice" },
          ` · the newest reading is stamped ${dur(Math.abs(ahead) / 1000)} ${ahead > 0 ? "ahead of" : "behind"} this computer's clock (source time${ahead > 0 ? ", e.g. an accelerated simulator" : ""})`,
        ),
      );
    }
    if (this.first) parts.push(` · history from ${new Date(this.first).toLocaleString()}`);
    parts.push(h("span", { class: "muted" }, " · drag across a chart to zoom, double-click to return"));
    mount(this.status, parts);
  }

  setRange(key: string) {
    const r = RANGES.find((x) => x[0] === key);
    if (!r) return;
    this.rangeKey = key;
    this.span = r[2];
    this.following = true;
    this.report();
    void this.refetch();
  }

  zoom(a: number, b: number) {
    if (b - a < MIN_ZOOM_MS) {
      const mid = (a + b) / 2;
      a = mid - MIN_ZOOM_MS / 2;
      b = mid + MIN_ZOOM_MS / 2;
    }
    this.following = false;
    this.from = a;
    this.to = b;
    void this.refetch();
  }

  reset() {
    this.following = true;
    void this.refetch();
  }

  private report() {
    this.opts.onState?.({ series: [...this.charts.keys()], range: this.rangeKey });
  }

  /** Fetches every chart's buckets for the current range. */
  async refetch() {
    if (!this.charts.size) {
      this.rangeBar.replaceChildren();
      mount(this.status, "No series charted; pick some under Series.");
      return;
    }
    if (!this.edge) this.edge = Date.now();
    this.place();
    this.renderRanges();
    this.renderStatus();
    this.fetchCtl?.abort();
    const ctl = new AbortController();
    this.fetchCtl = ctl;
    const n = Math.max(10, Math.min(4000, Math.round(this.width)));
    const fromUs = Math.floor(this.from * 1000);
    const toUs = Math.ceil(this.to * 1000);
    const widthMs = Math.ceil((toUs - fromUs) / n) / 1000;
    await Promise.all(
      [...this.charts.values()].map(async (c) => {
        c.note.textContent = "loading…";
        try {
          const r = await call<{ value: Bucket[] }>(
            "GET",
            `/history/twins/${encodeURIComponent(this.twin)}/aggregate`,
            undefined,
            { series: c.name, from: iso(this.from), to: iso(this.to), buckets: n },
            {},
            ctl.signal,
          );
          if (ctl.signal.aborted) return;
          c.set(r.value, widthMs);
        } catch (e) {
          if (ctl.signal.aborted) return;
          c.note.textContent = "";
          c.note.append(h("span", { class: "error" }, `could not load: ${errorText(e)}`));
        }
      }),
    );
  }

  private onTelemetry(t: number, component: string, data: any) {
    if (!Number.isFinite(t)) return;
    const grew = t > this.edge;
    if (grew) this.edge = t;
    if (!this.following) return;
    let touched = false;
    leaves(data, component, (name, v) => {
      const c = this.charts.get(name);
      if (c) {
        c.append(t, v);
        touched = true;
      }
    });
    if (!touched && !grew) return;
    this.place();
    if (!this.pending) {
      this.pending = requestAnimationFrame(() => {
        this.pending = 0;
        for (const c of this.charts.values()) {
          c.trim(this.from);
          c.redraw();
        }
        this.renderStatus();
      });
    }
  }

  addChart(name: string) {
    if (this.charts.has(name) || this.charts.size >= MAX_CHARTS) return;
    const color = COLORS[[...this.charts.keys()].length % COLORS.length];
    const c = new Chart(name, this.opts.units.get(name) ?? "", color, this, this.series.find((s) => s.name === name)?.kind === "property");
    this.charts.set(name, c);
    this.chartsEl.append(c.el);
    c.make(this.width);
  }

  /** Shows `name` too (from outside, e.g. an analytics row). */
  async show(name: string) {
    if (this.charts.has(name)) {
      this.charts.get(name)!.el.scrollIntoView({ behavior: "smooth", block: "nearest" });
      return;
    }
    if (!this.series.some((s) => s.name === name)) return;
    this.addChart(name);
    this.renderPicker();
    this.report();
    await this.findExtent();
    await this.refetch();
  }

  remove(name: string) {
    const c = this.charts.get(name);
    if (!c) return;
    c.destroy();
    c.el.remove();
    this.charts.delete(name);
    this.renderPicker();
    this.report();
    if (!this.charts.size) void this.refetch();
  }

  private renderPicker() {
    const filter = h("input", { type: "search", placeholder: "filter", "aria-label": "filter series" });
    const list = h("div", { class: "picker-list" });
    const draw = () => {
      const f = filter.value.toLowerCase();
      const group = (kind: string, label: string) => {
        const items = this.series.filter((s) => s.kind === kind && s.name.toLowerCase().includes(f));
        if (!items.length) return null;
        return h(
          "fieldset",
          {},
          h("legend", {}, label),
          items.map((s) => {
            const box = h("input", { type: "checkbox", checked: this.charts.has(s.name), disabled: !this.charts.has(s.name) && this.charts.size >= MAX_CHARTS });
            box.addEventListener("change", () => {
              if (box.checked) void this.show(s.name);
              else this.remove(s.name);
            });
            const unit = this.opts.units.get(s.name);
            return h("label", { class: "inline" }, box, " ", s.name, unit ? h("span", { class: "muted" }, ` ${unit}`) : null);
          }),
        );
      };
      mount(list, group("telemetry", "Telemetry"), group("property", "Properties"));
    };
    filter.addEventListener("input", draw);
    draw();
    const open = (this.picker as HTMLDetailsElement).open;
    mount(this.picker, h("summary", {}, `Series (${this.charts.size} of ${this.series.length})`), h("div", { class: "picker-body panel" }, filter, list, h("p", { class: "hint" }, `Up to ${MAX_CHARTS} charts.`)));
    (this.picker as HTMLDetailsElement).open = open;
  }

  destroy() {
    this.fetchCtl?.abort();
    this.unlisten();
    this.ro.disconnect();
    if (this.pending) cancelAnimationFrame(this.pending);
    for (const c of this.charts.values()) c.destroy();
  }
}

/** The chart panel of a twin; `show(name)` adds a series from outside. */
export function telemetryCharts(twin: string, opts: ChartOptions): { el: HTMLElement; show: (name: string) => void; destroy: () => void } {
  const p = new Panel(twin, opts);
  void p.start();
  return { el: p.el, show: (n) => void p.show(n), destroy: () => p.destroy() };
}
