// Work orders (`#/workorders`): filtered by state and twin, most urgent
// first, kept current from `ferrotwin.WorkOrder.*` events; writers create
// one from a procedure template. Each order opens as `#/workorder/{id}`.
// The table and the RUL text are shared with the twin view.

import "./views.css";
import { ApiError, call, type WorkOrder } from "../api";
import { can } from "../auth";
import { ago, dur, fmt, h, mount, toast } from "../dom";
import * as live from "../live";
import { quote } from "./adtquery";
import { errorText } from "./errors";
import { models, modelName } from "./models";
import { when, whenTitle } from "./when";

const STATES = ["open", "assigned", "inProgress", "done", "cancelled", "all"] as const;
const STATE_LABEL: Record<string, string> = { open: "open", assigned: "assigned", inProgress: "in progress", done: "done", cancelled: "cancelled" };
/** Priority 1–4 and the due date the platform gives each (docs/analytics.md). */
const PRIORITY: Record<number, string> = { 1: "urgent, due in 1 day", 2: "high, due in 3 days", 3: "normal, due in 14 days", 4: "low, due in 30 days" };

interface Template {
  id: string;
  model: string;
  component: string;
  part?: string;
  title: string;
  steps: unknown[];
}


/** An RUL estimate in words: seconds as a duration, else value and unit. */
export function rulText(r: { value: number; lower: number; upper: number; unit: string } | null | undefined): string {
  if (!r || !Number.isFinite(r.value)) return "–";
  if (r.unit === "s") return `${dur(r.value)} (${dur(r.lower)} – ${dur(r.upper)})`;
  return `${fmt(r.value)} ${r.unit} (${fmt(r.lower)} – ${fmt(r.upper)})`;
}

/** Whether an order is still to be done. */
export function isOpen(o: WorkOrder): boolean {
  return o.state !== "done" && o.state !== "cancelled";
}

/** Open first, then by priority and due date. */
export function byPriority(a: WorkOrder, b: WorkOrder): number {
  return Number(isOpen(b)) - Number(isOpen(a)) || a.priority - b.priority || Date.parse(a.due) - Date.parse(b.due);
}

/** Steps done of all, as a bar. */
function progress(o: WorkOrder): HTMLElement {
  const done = o.steps.filter((s) => s.done).length;
  const all = o.steps.length;
  return h(
    "span",
    { class: "progress", title: `${done} of ${all} steps done` },
    h("span", { class: "bar" }, h("span", { style: `width:${all ? (100 * done) / all : 0}%` })),
    ` ${done}/${all}`,
  );
}

function dueCell(o: WorkOrder): HTMLElement {
  const late = isOpen(o) && Date.parse(o.due) < Date.now();
  return h("span", { class: late ? "error" : "", title: new Date(o.due).toLocaleString() }, late ? `overdue ${ago(o.due).replace(" ago", "")}` : ago(o.due));
}

/** A table of work orders; `twinColumn` false in a twin's own view. */
export function ordersTable(list: WorkOrder[], twinColumn = true, fresh: Set<string> = new Set()): HTMLElement {
  return h(
    "table",
    { class: "orders" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "Priority"), h("th", {}, "Work order"), twinColumn ? h("th", {}, "Twin") : null, h("th", {}, "State"), h("th", {}, "Assignee"), h("th", {}, "Due"), h("th", {}, "RUL at creation"), h("th", {}, "Progress"), h("th", {}, "Updated")),
    ),
    h(
      "tbody",
      {},
      list.map((o) =>
        h(
          "tr",
          { class: (fresh.has(o.id) ? "flash " : "") + (isOpen(o) ? "" : "dim") },
          h("td", {}, h("span", { class: `badge prio-${o.priority}`, title: PRIORITY[o.priority] ?? "" }, `P${o.priority}`)),
          h("td", {}, h("a", { href: `#/workorder/${encodeURIComponent(o.id)}` }, o.title), o.component ? h("div", { class: "hint" }, `component: ${o.component}${o.alert ? " · from an alert" : ""}`) : null),
          twinColumn ? h("td", {}, h("a", { href: `#/twin/${encodeURIComponent(o.twin)}` }, o.twin)) : null,
          h("td", {}, h("span", { class: `badge wo-${o.state}` }, STATE_LABEL[o.state] ?? o.state)),
          h("td", {}, o.assignee ?? h("span", { class: "muted" }, "–")),
          h("td", {}, dueCell(o)),
          h("td", { title: o.rul ? `method ${o.rul.method}` : "" }, rulText(o.rul)),
          h("td", {}, progress(o)),
          h("td", { title: whenTitle(o.updatedAt) }, when(o.updatedAt)),
        ),
      ),
    ),
  );
}

/** The form that creates an order from a template; `done` gets the new order. */
async function createForm(prefillTwin: string, done: (o: WorkOrder) => void, close: () => void): Promise<HTMLElement> {
  const box = h("div", { class: "panel create" }, h("div", { class: "row head" }, h("h2", {}, "New work order"), h("button", { type: "button", class: "link", onclick: close }, "Close")));
  let templates: Template[];
  try {
    templates = (await call<{ value: Template[] }>("GET", "/analytics/templates")).value;
  } catch (e) {
    box.append(h("p", { class: "error" }, `Could not load procedure templates: ${errorText(e)}`));
    return box;
  }
  if (!templates.length) {
    box.append(h("p", { class: "muted" }, "There are no procedure templates; an administrator adds them under /analytics/templates."));
    return box;
  }
  const all = await models().catch(() => null);
  const tplSel = h(
    "select",
    { required: true },
    templates.map((t) => h("option", { value: t.id }, `${t.title} — ${modelName(all, t.model)}, ${t.steps.length} steps`)),
  );
  const twinInput = h("input", { type: "text", required: true, list: "wo-twins", value: prefillTwin, placeholder: "twin id", autocomplete: "off" });
  const suggestions = h("datalist", { id: "wo-twins" });
  const prio = h("select", {}, [1, 2, 3, 4].map((p) => h("option", { value: String(p), selected: p === 3 }, `P${p}: ${PRIORITY[p]}`)));
  const msg = h("div", { role: "status" });
  const submit = h("button", { type: "submit" }, "Create work order");
  let ctl: AbortController | null = null;
  const suggest = async () => {
    const t = templates.find((x) => x.id === tplSel.value);
    if (!t) return;
    ctl?.abort();
    const mine = new AbortController();
    ctl = mine;
    const typed = twinInput.value.trim();
    const q = `SELECT TOP(30) * FROM DIGITALTWINS WHERE IS_OF_MODEL(${quote(t.model)})` + (typed ? ` AND STARTSWITH($dtId, ${quote(typed)})` : "");
    try {
      const r = await call<{ value: { $dtId: string; name?: string }[] }>("POST", "/query", { query: q }, {}, {}, mine.signal);
      mount(suggestions, r.value.map((x) => h("option", { value: x.$dtId }, typeof x.name === "string" ? x.name : "")));
    } catch {
      // Suggestions are a convenience; the POST says what is wrong with the twin.
    }
  };
  let debounce = 0;
  twinInput.addEventListener("input", () => {
    clearTimeout(debounce);
    debounce = window.setTimeout(() => void suggest(), 200);
  });
  tplSel.addEventListener("change", () => void suggest());
  void suggest();
  const form = h(
    "form",
    { class: "grid create-grid" },
    h("label", {}, "Procedure template", tplSel),
    h("label", {}, "Twin", twinInput, suggestions, h("span", { class: "hint" }, "Suggestions are twins of the template's model.")),
    h("label", {}, "Priority", prio),
    h("div", { class: "row" }, submit),
    msg,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    mount(msg, h("span", { class: "muted" }, "Creating…"));
    try {
      const o = await call<WorkOrder>("POST", "/workorders", { twin: twinInput.value.trim(), template: tplSel.value, priority: Number(prio.value) });
      mount(msg, h("span", { class: "ok" }, "Created ", h("a", { href: `#/workorder/${encodeURIComponent(o.id)}` }, o.title), `, due ${new Date(o.due).toLocaleDateString()}.`));
      done(o);
    } catch (err) {
      mount(msg, h("span", { class: "error" }, `Not created: ${errorText(err)}`));
    } finally {
      submit.disabled = false;
    }
  });
  box.append(form);
  return box;
}

/** `#/workorders` */
export async function workordersView(root: HTMLElement, _args: string[], params: URLSearchParams): Promise<() => void> {
  let state = (STATES as readonly string[]).includes(params.get("state") ?? "") ? params.get("state")! : "open";
  let twin = params.get("twin") ?? "";
  const createFor = params.get("create");
  let list: WorkOrder[] = [];
  const fresh = new Set<string>();
  let ctl: AbortController | null = null;

  const stateSel = h("select", { "aria-label": "state" }, STATES.map((s) => h("option", { value: s, selected: s === state }, s === "open" ? "open (not done or cancelled)" : STATE_LABEL[s] ?? s)));
  const twinInput = h("input", { type: "search", placeholder: "twin id (exact)", value: twin, "aria-label": "twin id" });
  const summary = h("div", { class: "row summary", role: "status" });
  const body = h("div", {});
  const createSlot = h("div", {});

  const save = () => {
    const p = new URLSearchParams();
    if (state !== "open") p.set("state", state);
    if (twin) p.set("twin", twin);
    const s = p.toString();
    history.replaceState(null, "", "#/workorders" + (s ? "?" + s : ""));
  };
  const matches = (o: WorkOrder) => (!twin || o.twin === twin) && (state === "all" || (state === "open" ? isOpen(o) : o.state === state));

  const upsert = (o: WorkOrder) => {
    const i = list.findIndex((x) => x.id === o.id);
    if (matches(o)) {
      if (i >= 0) list[i] = o;
      else list.push(o);
    } else if (i >= 0) list.splice(i, 1);
    render();
  };

  function render() {
    list.sort(byPriority);
    const overdue = list.filter((o) => isOpen(o) && Date.parse(o.due) < Date.now()).length;
    mount(
      summary,
      h("strong", {}, `${list.length} work order${list.length === 1 ? "" : "s"}`),
      overdue ? h("span", { class: "error" }, `${overdue} overdue`) : null,
      h("span", { class: "muted" }, "· updated live"),
    );
    if (!list.length) {
      mount(body, h("p", { class: "muted empty" }, state === "open" ? "No open work orders. Rules raise them with alerts, or a writer creates one from a template." : "No work orders match these filters."));
      return;
    }
    mount(body, ordersTable(list, true, fresh));
  }

  async function load() {
    save();
    ctl?.abort();
    const mine = new AbortController();
    ctl = mine;
    mount(body, h("p", { class: "muted" }, "Loading work orders…"));
    try {
      const q: Record<string, string> = {};
      if (state !== "all") q.state = state;
      if (twin) q.twin = twin;
      const r = await call<{ value: WorkOrder[] }>("GET", "/workorders", undefined, q, {}, mine.signal);
      if (mine.signal.aborted) return;
      list = r.value;
      render();
    } catch (e) {
      if (mine.signal.aborted) return;
      mount(body, h("p", { class: "error" }, e instanceof ApiError && e.code === "AnalyticsOff" ? `Analytics is turned off on this server, so there are no work orders. (${e.message})` : `Could not load work orders: ${errorText(e)}`));
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

  const openCreate = async (prefill: string) => {
    mount(createSlot, h("p", { class: "muted" }, "Loading templates…"));
    const form = await createForm(prefill, (o) => {
      fresh.add(o.id);
      setTimeout(() => fresh.delete(o.id), 3000);
      upsert(o);
      toast(`Work order created for ${o.twin}`);
    }, () => createSlot.replaceChildren());
    mount(createSlot, form);
  };
  const newBtn = can("writer") ? h("button", { type: "button", onclick: () => void openCreate(twin) }, "New work order…") : null;

  const unlisten = live.listen((e) => {
    if (!e.type.startsWith("ferrotwin.WorkOrder.")) return;
    const o = e.data as WorkOrder;
    if (!o?.id) return;
    if (e.type === "ferrotwin.WorkOrder.Created") {
      fresh.add(o.id);
      setTimeout(() => fresh.delete(o.id), 3000);
    }
    upsert(o);
  });

  mount(
    root,
    h(
      "div",
      { class: "page" },
      h("div", { class: "row" }, h("h1", { class: "grow" }, "Work orders"), newBtn),
      createSlot,
      h("div", { class: "row filters panel" }, h("label", { class: "inline" }, "State ", stateSel), h("label", { class: "inline" }, "Twin ", twinInput)),
      summary,
      body,
    ),
  );
  if (createFor !== null && can("writer")) void openCreate(createFor);
  await load();
  return () => {
    ctl?.abort();
    clearTimeout(debounce);
    unlisten();
  };
}
