// Alerts (`#/alerts`): filtered by state, severity and twin, most severe
// and newest first, kept current from `ferrotwin.Alert.*` events, with
// acknowledge and resolve for writers. The table is shared with the twin
// view.

import "./views.css";
import { ApiError, call, post, type Alert } from "../api";
import { can } from "../auth";
import { fmt, h, mount, toast } from "../dom";
import * as live from "../live";
import { confirmDialog } from "./command";
import { errorText } from "./errors";
import { when, whenTitle } from "./when";

/** An alert with its lifecycle stamps. */
export type FullAlert = Alert & { acknowledgedAt?: string; acknowledgedBy?: string; resolvedAt?: string; resolvedBy?: string };

export const SEVERITIES = ["critical", "major", "minor", "warning"] as const;
const STATES = ["open", "raised", "acknowledged", "resolved", "all"] as const;
const SHOWN = 300;

/** Most severe first, then newest. */
export function byUrgency(a: Alert, b: Alert): number {
  const s = SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity);
  return s || Date.parse(b.raisedAt) - Date.parse(a.raisedAt);
}


/** Acknowledge and resolve buttons for writers; `changed` gets the updated alert. */
function actions(a: FullAlert, changed: (a: FullAlert) => void): HTMLElement | null {
  if (!can("writer") || a.state === "resolved") return null;
  const act = async (what: "acknowledge" | "resolve", btn: HTMLButtonElement) => {
    if (what === "resolve") {
      const ok = await confirmDialog(
        `Resolve this alert on ${a.twin}?`,
        [h("p", {}, a.description), h("p", { class: "hint" }, "Resolving closes it for everyone. If its condition holds again, the rule raises a new alert.")],
        "Resolve",
      );
      if (!ok) return;
    }
    btn.disabled = true;
    try {
      changed(await post<FullAlert>(`/alerts/${encodeURIComponent(a.id)}/${what}`));
    } catch (e) {
      toast(`Could not ${what} the alert: ${errorText(e)}`, "error");
      btn.disabled = false;
    }
  };
  const ack = h("button", { type: "button", class: "secondary small" }, "Acknowledge");
  ack.addEventListener("click", () => void act("acknowledge", ack));
  const res = h("button", { type: "button", class: "secondary small" }, "Resolve");
  res.addEventListener("click", () => void act("resolve", res));
  return h("div", { class: "row nowrap" }, a.state === "raised" ? ack : null, res);
}

function stateCell(a: FullAlert): HTMLElement {
  const who =
    a.state === "resolved"
      ? `resolved ${when(a.resolvedAt)} by ${a.resolvedBy === "rule" ? "the rule (condition cleared)" : a.resolvedBy ?? "?"}`
      : a.state === "acknowledged"
        ? `acknowledged ${when(a.acknowledgedAt)} by ${a.acknowledgedBy ?? "?"}`
        : "not yet acknowledged";
  return h("span", { class: `badge st-${a.state}`, title: who }, a.state);
}

/** A table of alerts; `twinColumn` false in a twin's own view. */
export function alertsTable(list: FullAlert[], changed: (a: FullAlert) => void, twinColumn = true, fresh: Set<string> = new Set()): HTMLElement {
  return h(
    "table",
    { class: "alerts" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "Severity"), h("th", {}, "State"), twinColumn ? h("th", {}, "Twin") : null, h("th", {}, "Alert"), h("th", {}, "Raised"), h("th", {}, "Last seen"), h("th", {}, "Links"), can("writer") ? h("th", {}, "") : null),
    ),
    h(
      "tbody",
      {},
      list.map((a) => {
        const enc = encodeURIComponent(a.twin);
        const detail = [
          a.signal ? `${a.signal}${a.value !== undefined ? ` = ${fmt(a.value)}` : ""}` : a.value !== undefined ? `value ${fmt(a.value)}` : "",
          a.explanation ? `${a.explanation.feature}: expected ${fmt(a.explanation.expected)}, observed ${fmt(a.explanation.observed)}` : "",
          a.component ? `suspected: ${a.component}` : "",
        ].filter(Boolean);
        return h(
          "tr",
          { class: (fresh.has(a.id) ? "flash " : "") + (a.state === "resolved" ? "dim" : "") },
          h("td", {}, h("span", { class: `badge sev-${a.severity}` }, a.severity)),
          h("td", {}, stateCell(a)),
          twinColumn ? h("td", {}, h("a", { href: `#/twin/${enc}` }, a.twin)) : null,
          h("td", {}, h("div", {}, a.description), h("div", { class: "hint" }, [`rule ${a.rule}`, ...detail].join(" · "))),
          h("td", { title: whenTitle(a.raisedAt) }, when(a.raisedAt)),
          h("td", { title: whenTitle(a.lastSeenAt) }, when(a.lastSeenAt), a.count > 1 ? h("span", { class: "muted" }, ` · ${a.count}×`) : null),
          h(
            "td",
            { class: "links" },
            h("a", { href: `#/scene?twin=${enc}`, title: a.part ? `3D view, part ${a.part}` : "3D view" }, "3D"),
            a.workOrder ? [" · ", h("a", { href: `#/workorder/${encodeURIComponent(a.workOrder)}` }, "work order")] : null,
          ),
          can("writer") ? h("td", {}, actions(a, changed)) : null,
        );
      }),
    ),
  );
}

/** `#/alerts` */
export async function alertsView(root: HTMLElement, _args: string[], params: URLSearchParams): Promise<() => void> {
  let state = (STATES as readonly string[]).includes(params.get("state") ?? "") ? params.get("state")! : "open";
  const severities = new Set((params.get("severity") ?? "").split(",").filter((s) => (SEVERITIES as readonly string[]).includes(s)));
  let twin = params.get("twin") ?? "";
  let limit = SHOWN;
  let list: FullAlert[] = [];
  const fresh = new Set<string>();
  let ctl: AbortController | null = null;

  const stateSel = h("select", { "aria-label": "state" }, STATES.map((s) => h("option", { value: s, selected: s === state }, s === "open" ? "open (raised or acknowledged)" : s)));
  const twinInput = h("input", { type: "search", placeholder: "twin id (exact)", value: twin, "aria-label": "twin id" });
  const sevBoxes = SEVERITIES.map((s) => {
    const box = h("input", { type: "checkbox", checked: severities.has(s) });
    box.addEventListener("change", () => {
      if (box.checked) severities.add(s);
      else severities.delete(s);
      save();
      render();
    });
    return h("label", { class: "inline" }, box, " ", h("span", { class: `badge sev-${s}` }, s));
  });
  const summary = h("div", { class: "row summary", role: "status" });
  const body = h("div", {});

  const save = () => {
    const p = new URLSearchParams();
    if (state !== "open") p.set("state", state);
    if (severities.size) p.set("severity", [...severities].join(","));
    if (twin) p.set("twin", twin);
    const s = p.toString();
    history.replaceState(null, "", "#/alerts" + (s ? "?" + s : ""));
  };

  const matches = (a: FullAlert) =>
    (!twin || a.twin === twin) &&
    (state === "all" || (state === "open" ? a.state !== "resolved" : a.state === state));

  const changed = (a: FullAlert) => {
    const i = list.findIndex((x) => x.id === a.id);
    if (matches(a)) {
      if (i >= 0) list[i] = a;
      else list.push(a);
    } else if (i >= 0) list.splice(i, 1);
    render();
  };

  function render() {
    const shown = list.filter((a) => !severities.size || severities.has(a.severity)).sort(byUrgency);
    const bySev = SEVERITIES.map((s) => [s, list.filter((a) => a.severity === s).length] as const).filter(([, n]) => n);
    mount(
      summary,
      h("strong", {}, `${shown.length} alert${shown.length === 1 ? "" : "s"}`),
      bySev.map(([s, n]) => h("span", { class: `badge sev-${s}` }, `${n} ${s}`)),
      h("span", { class: "muted" }, "· updated live"),
    );
    if (!shown.length) {
      mount(body, h("p", { class: "muted empty" }, state === "open" ? "No open alerts. Alerts appear here as rules raise them." : "No alerts match these filters."));
      return;
    }
    mount(
      body,
      alertsTable(shown.slice(0, limit), changed, true, fresh),
      shown.length > limit
        ? h("div", { class: "row" }, h("span", { class: "muted" }, `Showing ${limit} of ${shown.length}.`), h("button", { type: "button", class: "secondary", onclick: () => { limit += SHOWN; render(); } }, "Show more"))
        : null,
    );
  }

  async function load() {
    save();
    ctl?.abort();
    const mine = new AbortController();
    ctl = mine;
    limit = SHOWN;
    mount(body, h("p", { class: "muted" }, "Loading alerts…"));
    try {
      const q: Record<string, string> = {};
      if (state !== "all") q.state = state;
      if (twin) q.twin = twin;
      const r = await call<{ value: FullAlert[] }>("GET", "/alerts", undefined, q, {}, mine.signal);
      if (mine.signal.aborted) return;
      list = r.value;
      render();
    } catch (e) {
      if (mine.signal.aborted) return;
      mount(body, h("p", { class: "error" }, e instanceof ApiError && e.code === "AnalyticsOff" ? `Analytics is turned off on this server, so there are no alerts. (${e.message})` : `Could not load alerts: ${errorText(e)}`));
    }
  }

  stateSel.addEventListener("change", () => {
    state = stateSel.value;
    void load();
  });
  let debounce = 0;
  twinInput.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(() => {
      twin = twinInput.value.trim();
      void load();
    }, 300);
  });

  const unlisten = live.listen((e) => {
    if (!e.type.startsWith("ferrotwin.Alert.")) return;
    const a = e.data as FullAlert;
    if (!a?.id) return;
    if (e.type === "ferrotwin.Alert.Raised") {
      fresh.add(a.id);
      setTimeout(() => fresh.delete(a.id), 3000);
    }
    changed(a);
  });

  mount(
    root,
    h(
      "div",
      { class: "page" },
      h("h1", {}, "Alerts"),
      h("div", { class: "row filters panel" }, h("label", { class: "inline" }, "State ", stateSel), h("span", { class: "row" }, sevBoxes), h("label", { class: "inline" }, "Twin ", twinInput)),
      summary,
      body,
    ),
  );
  await load();
  return () => {
    ctl?.abort();
    clearTimeout(debounce);
    unlisten();
  };
}
