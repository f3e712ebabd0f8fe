// One twin (`#/twin/{id}`): its properties kept live from Twin.Update
// events (changed values flash), its analytics (anomaly score, health,
// RUL), alerts, work orders, relationships, telemetry charts and DTDL
// commands. Charted series and range live in the address
// (`?series=a,b&range=1h`).

import "./views.css";
import { ApiError, call, type Page, type Twin, type WorkOrder } from "../api";
import { can } from "../auth";
import { ago, fmt, h, mount } from "../dom";
import * as live from "../live";
import { quote } from "./adtquery";
import { alertsTable, byUrgency, type FullAlert } from "./alerts";
import { telemetryCharts } from "./chart";
import { commandsPanel } from "./command";
import { errorText } from "./errors";
import { flatModel, models, modelName, schemaText, type Content, type FlatModel } from "./models";
import { byPriority, isOpen, ordersTable, rulText } from "./workorders";

const ANALYTICS_POLL_MS = 10_000;
const CLOSED_SHOWN = 5;

interface SeriesStatus {
  score: number;
  evidence: number;
  explanation: { feature: string; expected: number; observed: number } | null;
  peak: number;
  peakAt: string | null;
  value: number;
  at: string;
}

interface TwinStatus {
  anomalyScore: number;
  series: Record<string, SeriesStatus>;
  rul: { value: number; lower: number; upper: number; unit: string; health: number; method: string } | null;
}


/** The condition the header shows: worst of the twin's status, open alerts and anomaly score. */
function condition(twin: Twin, alerts: FullAlert[], score: number | undefined): { cls: string; label: string; why: string } {
  const open = alerts.filter((a) => a.state !== "resolved").sort(byUrgency);
  if (twin.status === "fault") return { cls: "state-alarm", label: "fault", why: "the twin's status is fault" };
  const worst = open[0];
  if (worst && (worst.severity === "critical" || worst.severity === "major")) return { cls: "state-alarm", label: "alarm", why: `open ${worst.severity} alert: ${worst.description}` };
  if (worst) return { cls: "state-warning", label: "warning", why: `open ${worst.severity} alert: ${worst.description}` };
  if (score !== undefined && score >= 0.8) return { cls: "state-anomaly", label: "anomaly", why: `anomaly score ${fmt(score)}` };
  return { cls: "state-normal", label: "normal", why: "no open alerts, anomaly score below 0.8" };
}

/** A bar from 0 to 1. */
function meter(v: number, cls: string): HTMLElement {
  const p = Math.max(0, Math.min(1, v));
  return h("span", { class: "meter" }, h("span", { class: cls, style: `width:${p * 100}%` }));
}

/** `#/twin/{id}` */
export async function twinView(root: HTMLElement, args: string[], params: URLSearchParams): Promise<() => void> {
  const id = args[0] ?? "";
  const enc = encodeURIComponent(id);
  const cleanups: (() => void)[] = [];
  const ctl = new AbortController();
  cleanups.push(() => ctl.abort());
  if (!id) {
    mount(root, h("p", { class: "error" }, "No twin id in the address."), h("a", { href: "#/twins" }, "Find a twin"));
    return () => {};
  }
  mount(root, h("p", { class: "muted" }, `Loading ${id}…`));

  let twin: Twin;
  try {
    twin = await call<Twin>("GET", `/digitaltwins/${enc}`, undefined, {}, {}, ctl.signal);
  } catch (e) {
    mount(
      root,
      h("div", { class: "page" }, h("p", { class: "error" }, e instanceof ApiError && e.status === 404 ? `There is no twin '${id}'.` : `Could not load twin '${id}': ${errorText(e)}`), h("a", { href: "#/twins" }, "Find a twin")),
    );
    return () => ctl.abort();
  }

  const all = await models().catch(() => null);
  let flat: FlatModel | null = null;
  const components: { name: string; model: FlatModel }[] = [];
  let modelError = "";
  try {
    flat = await flatModel(twin.$metadata.$model);
    for (const c of flat.contents.filter((x) => x.kind === "Component" && x.interface)) {
      components.push({ name: c.name, model: await flatModel(c.interface!) });
    }
  } catch (e) {
    modelError = `Could not read the model ${twin.$metadata.$model}: ${errorText(e)}`;
  }

  let alerts: FullAlert[] = [];
  let orders: WorkOrder[] = [];
  let status: TwinStatus | null = null;
  let statusError = "";
  let deleted = false;
  const changed = new Set<string>();

  // Header
  const condBadge = h("span", { class: "badge" });
  const statusBadge = h("span", {});
  const updated = h("span", { class: "muted" });
  const banner = h("div", {});
  const header = h(
    "div",
    { class: "twin-head" },
    h(
      "div",
      { class: "row" },
      h("h1", { class: "mono" }, id),
      typeof twin.name === "string" ? h("span", { class: "twin-name" }, twin.name) : null,
      condBadge,
      statusBadge,
    ),
    h(
      "div",
      { class: "row" },
      h("a", { href: `#/twins?model=${encodeURIComponent(twin.$metadata.$model)}`, title: `${twin.$metadata.$model}: list twins of this model` }, flat?.displayName ?? modelName(all, twin.$metadata.$model)),
      h("span", { class: "muted mono small" }, twin.$metadata.$model),
      updated,
      h("span", { class: "grow" }),
      h("a", { class: "button", href: `#/scene?twin=${enc}` }, "3D view"),
      h("a", { class: "button secondary", href: `#/twins?sel=${enc}` }, "Explore relationships"),
    ),
    banner,
  );

  const renderHeader = () => {
    const c = condition(twin, alerts, status && Object.keys(status.series).length ? status.anomalyScore : typeof twin.anomalyScore === "number" ? twin.anomalyScore : undefined);
    condBadge.className = `badge ${c.cls}`;
    condBadge.textContent = c.label;
    condBadge.title = c.why;
    const s = twin.status;
    mount(statusBadge, typeof s === "string" ? h("span", { class: "badge", title: "the twin's status property" }, `status: ${s}`) : null);
    updated.textContent = `updated ${ago(twin.$metadata.$lastUpdateTime)}`;
    if (deleted) mount(banner, h("p", { class: "error" }, "This twin was deleted while you were looking at it; what you see is its last state."));
  };

  // Properties
  const propsBox = h("div", {});
  const declared = new Map<string, Content>();
  for (const c of flat?.contents ?? []) if (c.kind === "Property") declared.set(c.name, c);
  const compNames = new Set(components.map((c) => c.name));

  const propRows = (doc: Record<string, any>, meta: Record<string, any>, defs: Map<string, Content>, prefix: string, depth: number): HTMLElement[] => {
    const keys = new Set<string>([...Object.keys(doc).filter((k) => !k.startsWith("$")), ...defs.keys()]);
    const rows: HTMLElement[] = [];
    for (const k of [...keys].sort((a, b) => a.localeCompare(b))) {
      if (depth === 0 && compNames.has(k)) continue;
      const path = prefix ? `${prefix}/${k}` : k;
      const def = defs.get(k);
      const v = doc[k];
      const when = meta?.[k]?.lastUpdateTime;
      const flash = [...changed].some((c) => c === path || c.startsWith(path + "/") || path.startsWith(c + "/"));
      const label = h(
        "td",
        { style: `padding-left:${8 + depth * 16}px`, title: [def?.description, def ? schemaText(def.schema) : "not declared by the model"].filter(Boolean).join("\n") },
        def?.displayName ?? k,
        def?.writable ? h("span", { class: "muted small", title: "writable" }, " ✎") : null,
      );
      if (v && typeof v === "object" && !Array.isArray(v)) {
        rows.push(h("tr", { class: flash ? "flash" : "", "data-path": path }, label, h("td", { class: "muted" }, ""), h("td", { class: "muted small" }, when ? ago(when) : "")));
        const sub = def && typeof def.schema === "object" && def.schema["@type"] === "Object" ? new Map((def.schema.fields ?? []).map((f) => [f.name, { kind: "Property", name: f.name, displayName: f.displayName, description: f.description, definedIn: "", schema: f.schema, unit: f.unit } as Content])) : new Map<string, Content>();
        rows.push(...propRows(v, {}, sub, path, depth + 1));
        continue;
      }
      const unit = def?.unit;
      rows.push(
        h(
          "tr",
          { class: (flash ? "flash" : "") + (v === undefined ? " unset" : ""), "data-path": path },
          label,
          h("td", { class: "val" }, v === undefined ? h("span", { class: "muted" }, "not set") : [fmt(v), unit ? h("span", { class: "muted" }, ` ${unit}`) : null]),
          h("td", { class: "muted small", title: when ? new Date(when).toLocaleString() : "" }, when ? ago(when) : ""),
        ),
      );
    }
    return rows;
  };

  const renderProps = () => {
    const own = propRows(twin, twin.$metadata, declared, "", 0);
    const compTables = components.flatMap((c) => {
      const doc = twin[c.name];
      const defs = new Map(c.model.contents.filter((x) => x.kind === "Property").map((x) => [x.name, x]));
      return [
        h("h3", {}, `${c.name} `, h("span", { class: "muted" }, `(${c.model.displayName})`)),
        doc && typeof doc === "object" ? h("table", { class: "props" }, h("tbody", {}, propRows(doc, doc.$metadata ?? {}, defs, c.name, 0))) : h("p", { class: "muted" }, "Not set."),
      ];
    });
    mount(propsBox, modelError ? h("p", { class: "error" }, modelError) : null, h("table", { class: "props" }, h("tbody", {}, own)), compTables);
  };

  // Analytics
  const analyticsBox = h("div", {});
  let charts: ReturnType<typeof telemetryCharts> | null = null;
  const renderAnalytics = () => {
    if (statusError) {
      mount(analyticsBox, h("p", { class: statusError.startsWith("AnalyticsOff") ? "muted" : "error" }, statusError));
      return;
    }
    // Analytics answers 0 for a twin it does not watch; that is no score, not a good one.
    const watched = status && Object.keys(status.series).length > 0;
    const score = watched ? status!.anomalyScore : typeof twin.anomalyScore === "number" ? twin.anomalyScore : undefined;
    const rul = status?.rul ?? (twin.rul && typeof twin.rul === "object" ? twin.rul : null);
    const health = status?.rul?.health ?? (typeof twin.health === "number" ? twin.health : undefined);
    const series = Object.entries(status?.series ?? {}).sort((a, b) => b[1].evidence - a[1].evidence || b[1].score - a[1].score);
    mount(
      analyticsBox,
      h(
        "div",
        { class: "kpis" },
        h("div", { class: "kpi", title: "the highest current anomaly score over the twin's telemetry, 0 to 1" }, h("div", { class: "hint" }, "Anomaly score"), h("div", { class: "big" }, score === undefined ? "–" : fmt(score, 2)), score === undefined ? null : meter(score, score >= 0.8 ? "bad" : score >= 0.5 ? "warn" : "good")),
        h("div", { class: "kpi", title: "1 new to 0 failed" }, h("div", { class: "hint" }, "Health"), h("div", { class: "big" }, health === undefined ? "–" : `${Math.round(health * 100)} %`), health === undefined ? null : meter(health, health < 0.3 ? "bad" : health < 0.6 ? "warn" : "good")),
        h(
          "div",
          { class: "kpi wide", title: rul ? `method ${rul.method}; ~80 % interval; in the readings' own (source) time` : "no RUL estimate for this twin" },
          h("div", { class: "hint" }, "Remaining useful life", status?.rul ? "" : rul ? " (twin property)" : ""),
          h("div", { class: "big" }, rul ? rulText(rul).split(" (")[0] : "–"),
          rul ? h("div", { class: "hint" }, `interval ${rulText(rul).split(" (")[1]?.replace(")", "") ?? ""} · ${rul.method}`) : h("div", { class: "hint" }, "Not estimated for this twin."),
        ),
      ),
      series.length
        ? h(
            "table",
            { class: "series" },
            h("thead", {}, h("tr", {}, h("th", {}, "Signal (why)"), h("th", {}, "Value"), h("th", {}, "Score"), h("th", { title: "recent evidence: the score's slowly decaying maximum" }, "Evidence"))),
            h(
              "tbody",
              {},
              series.slice(0, 8).map(([name, s]) =>
                h(
                  "tr",
                  {},
                  h(
                    "td",
                    {},
                    h("a", { href: "#", title: "chart it", onclick: (e: Event) => { e.preventDefault(); charts?.show(name); } }, name),
                    s.explanation ? h("div", { class: "hint" }, `${s.explanation.feature}: expected ${fmt(s.explanation.expected)}, saw ${fmt(s.explanation.observed)}`) : null,
                  ),
                  h("td", { title: new Date(s.at).toLocaleString() }, fmt(s.value)),
                  h("td", {}, meter(s.score, s.score >= 0.8 ? "bad" : s.score >= 0.5 ? "warn" : "good"), ` ${fmt(s.score, 2)}`),
                  h("td", { title: s.peakAt ? `peak ${fmt(s.peak, 2)} at ${new Date(s.peakAt).toLocaleString()}` : "" }, fmt(s.evidence, 2)),
                ),
              ),
            ),
          )
        : status
          ? h("p", { class: "muted" }, "Analytics has not scored any of this twin's telemetry yet.")
          : null,
      series.length > 8 ? h("p", { class: "hint" }, `${series.length - 8} more signals scored lower.`) : null,
    );
  };
  const loadStatus = async () => {
    try {
      status = await call<TwinStatus>("GET", `/analytics/twins/${enc}`, undefined, {}, {}, ctl.signal);
      statusError = "";
    } catch (e) {
      if (ctl.signal.aborted) return;
      statusError = e instanceof ApiError && e.code === "AnalyticsOff" ? `AnalyticsOff: analytics is turned off on this server.` : `Could not load analytics: ${errorText(e)}`;
    }
    renderAnalytics();
    renderHeader();
  };

  // Alerts and work orders
  const alertsBox = h("div", {});
  const ordersBox = h("div", {});
  const upsertAlert = (a: FullAlert) => {
    const i = alerts.findIndex((x) => x.id === a.id);
    if (i >= 0) alerts[i] = a;
    else alerts.push(a);
    renderAlerts();
    renderHeader();
  };
  const renderAlerts = () => {
    const open = alerts.filter((a) => a.state !== "resolved").sort(byUrgency);
    const closed = alerts.filter((a) => a.state === "resolved").sort((a, b) => Date.parse(b.raisedAt) - Date.parse(a.raisedAt));
    mount(
      alertsBox,
      open.length ? alertsTable(open, upsertAlert, false) : h("p", { class: "muted" }, "No open alerts."),
      closed.length ? h("details", {}, h("summary", { class: "muted" }, `Recently resolved (${Math.min(closed.length, CLOSED_SHOWN)} of ${closed.length})`), alertsTable(closed.slice(0, CLOSED_SHOWN), upsertAlert, false)) : null,
      h("a", { href: `#/alerts?twin=${enc}&state=all` }, "All of this twin's alerts"),
    );
  };
  const renderOrders = () => {
    const open = orders.filter(isOpen).sort(byPriority);
    const closed = orders.filter((o) => !isOpen(o)).sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
    mount(
      ordersBox,
      open.length ? ordersTable(open, false) : h("p", { class: "muted" }, "No open work orders."),
      closed.length ? h("details", {}, h("summary", { class: "muted" }, `Recently closed (${Math.min(closed.length, CLOSED_SHOWN)} of ${closed.length})`), ordersTable(closed.slice(0, CLOSED_SHOWN), false)) : null,
      h("div", { class: "row" }, h("a", { href: `#/workorders?twin=${enc}&state=all` }, "All of this twin's work orders"), can("writer") ? h("a", { href: `#/workorders?twin=${enc}&create=${enc}` }, "New work order…") : null),
    );
  };
  const loadLists = async () => {
    const [a, o] = await Promise.allSettled([
      call<{ value: FullAlert[] }>("GET", "/alerts", undefined, { twin: id }, {}, ctl.signal),
      call<{ value: WorkOrder[] }>("GET", "/workorders", undefined, { twin: id }, {}, ctl.signal),
    ]);
    if (ctl.signal.aborted) return;
    if (a.status === "fulfilled") {
      alerts = a.value.value;
      renderAlerts();
    } else mount(alertsBox, h("p", { class: "error" }, `Could not load alerts: ${errorText(a.reason)}`));
    if (o.status === "fulfilled") {
      orders = o.value.value;
      renderOrders();
    } else mount(ordersBox, h("p", { class: "error" }, `Could not load work orders: ${errorText(o.reason)}`));
    renderHeader();
  };

  // Relationships
  const relsBox = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const units = new Map<string, string>();
  const loadRels = async () => {
    try {
      const [out, inc] = await Promise.all([
        call<Page<any>>("GET", `/digitaltwins/${enc}/relationships`, undefined, {}, {}, ctl.signal),
        call<Page<any>>("GET", `/digitaltwins/${enc}/incomingrelationships`, undefined, {}, {}, ctl.signal),
      ]);
      const item = (r: any, outgoing: boolean) => {
        const other = outgoing ? r.$targetId : r.$sourceId;
        const props = Object.entries(r).filter(([k]) => !k.startsWith("$"));
        return h(
          "li",
          {},
          h("span", { class: "rel-name" }, r.$relationshipName),
          outgoing ? " → " : " ← ",
          h("a", { href: `#/twin/${encodeURIComponent(other)}` }, other),
          props.length ? h("span", { class: "muted" }, ` (${props.map(([k, v]) => `${k}: ${fmt(v)}`).join(", ")})`) : null,
        );
      };
      mount(
        relsBox,
        h("h3", {}, "Outgoing"),
        out.value.length ? h("ul", { class: "rels" }, out.value.map((r) => item(r, true))) : h("p", { class: "muted" }, "None."),
        out.nextLink ? h("a", { href: `#/twins?sel=${enc}` }, "More in the explorer…") : null,
        h("h3", {}, "Incoming"),
        inc.value.length ? h("ul", { class: "rels" }, inc.value.map((r) => item(r, false))) : h("p", { class: "muted" }, "None."),
        inc.nextLink ? h("a", { href: `#/twins?sel=${enc}` }, "More in the explorer…") : null,
      );
    } catch (e) {
      if (!ctl.signal.aborted) mount(relsBox, h("p", { class: "error" }, `Could not load relationships: ${errorText(e)}`));
    }
  };
  // Units come from the DTDL, else from the twin's sensor twins (quantity + unit).
  for (const c of flat?.contents ?? []) if ((c.kind === "Telemetry" || c.kind === "Property") && c.unit) units.set(c.name, c.unit);
  try {
    const r = await call<Page<any>>("POST", "/query", { query: `SELECT S FROM DIGITALTWINS T JOIN S RELATED T.hasSensor WHERE T.$dtId = ${quote(id)}` }, {}, {}, ctl.signal);
    for (const row of r.value) {
      const s = row.S;
      if (s && typeof s.quantity === "string" && typeof s.unit === "string" && !units.has(s.quantity)) units.set(s.quantity, s.unit);
    }
  } catch {
    // A model without hasSensor makes this query fail; charts then go without units.
  }

  // Charts, in the address so a reload keeps them.
  const initial = (params.get("series") ?? "").split(",").filter(Boolean);
  // First the telemetry analytics finds most suspicious, else the model's first telemetry.
  const telemetry = [
    ...(flat?.contents ?? []).filter((c) => c.kind === "Telemetry").map((c) => c.name),
    ...components.flatMap((c) => c.model.contents.filter((x) => x.kind === "Telemetry").map((x) => `${c.name}/${x.name}`)),
  ];
  const firstCharts = async () => {
    if (initial.length) return initial;
    try {
      const s = await call<TwinStatus>("GET", `/analytics/twins/${enc}`, undefined, {}, {}, ctl.signal);
      const hot = Object.entries(s.series).filter(([n, x]) => x.evidence > 0 && telemetry.includes(n)).sort((a, b) => b[1].evidence - a[1].evidence).map(([n]) => n);
      return [...new Set([...hot, ...telemetry])].slice(0, 3);
    } catch {
      return telemetry.slice(0, 3);
    }
  };
  charts = telemetryCharts(id, {
    units,
    initial: await firstCharts(),
    range: params.get("range") ?? undefined,
    onState: (s) => {
      const p = new URLSearchParams();
      if (s.series.length) p.set("series", s.series.join(","));
      p.set("range", s.range);
      history.replaceState(null, "", `#/twin/${enc}?${p}`);
    },
  });
  cleanups.push(() => charts?.destroy());

  const commands = flat ? commandsPanel(id, flat, components) : h("p", { class: "muted" }, "The model could not be read, so its commands are unknown.");

  const section = (title: string, ...body: (Node | null)[]) => h("section", { class: "panel" }, h("h2", {}, title), ...body);
  mount(
    root,
    h(
      "div",
      { class: "twin page" },
      header,
      h(
        "div",
        { class: "twin-grid" },
        h("div", { class: "col" }, section("Telemetry", charts.el), section("Alerts", alertsBox), section("Work orders", ordersBox)),
        h("div", { class: "col side" }, section("Analytics", analyticsBox), section("Properties", propsBox), section("Commands", commands), section("Relationships", relsBox)),
      ),
    ),
  );
  renderHeader();
  renderProps();
  renderAnalytics();
  mount(alertsBox, h("p", { class: "muted" }, "Loading…"));
  mount(ordersBox, h("p", { class: "muted" }, "Loading…"));
  void loadLists();
  void loadRels();
  void loadStatus();
  const poll = window.setInterval(() => void loadStatus(), ANALYTICS_POLL_MS);
  cleanups.push(() => clearInterval(poll));
  const tick = window.setInterval(renderHeader, 15_000);
  cleanups.push(() => clearInterval(tick));

  let flashTimer = 0;
  cleanups.push(
    live.listen((e) => {
      if (live.twinOf(e) !== id) return;
      switch (e.type) {
        case "Microsoft.DigitalTwins.Twin.Update": {
          const patch: { op: string; path: string }[] = e.data?.patch ?? [];
          live.applyPatch(twin, patch);
          twin.$metadata.$lastUpdateTime = e.time;
          for (const p of patch) {
            const name = p.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~")).join("/");
            if (!name || name.startsWith("$")) continue;
            changed.add(name);
            const top = name.split("/")[0];
            twin.$metadata[top] = { ...(twin.$metadata[top] ?? {}), lastUpdateTime: e.time };
          }
          renderProps();
          renderHeader();
          if (!status) renderAnalytics();
          clearTimeout(flashTimer);
          flashTimer = window.setTimeout(() => changed.clear(), 1600);
          break;
        }
        case "Microsoft.DigitalTwins.Twin.Delete":
          deleted = true;
          renderHeader();
          break;
        case "ferrotwin.Alert.Raised":
        case "ferrotwin.Alert.Updated":
        case "ferrotwin.Alert.Resolved":
          if (e.data?.id) upsertAlert(e.data);
          break;
        case "ferrotwin.WorkOrder.Created":
        case "ferrotwin.WorkOrder.Updated": {
          const o = e.data as WorkOrder;
          if (!o?.id) break;
          const i = orders.findIndex((x) => x.id === o.id);
          if (i >= 0) orders[i] = o;
          else orders.push(o);
          renderOrders();
          break;
        }
        case "Microsoft.DigitalTwins.Relationship.Create":
        case "Microsoft.DigitalTwins.Relationship.Delete":
          void loadRels();
          break;
      }
    }),
  );
  cleanups.push(() => clearTimeout(flashTimer));

  return () => {
    for (const c of cleanups) c();
  };
}
