// The twin explorer (`#/twins`): free-text or ADT query search with paged
// results in a virtualised list, a model browser with twin counts, and a
// side panel that follows a twin's relationships both ways. The search
// lives in the address (`?mode=&q=&model=&sel=`) so it survives a reload
// and can be shared.

import "./views.css";
import type { Twin } from "../api";
import { ago, fmt, h, mount } from "../dom";
import * as live from "../live";
import { countQuery, queryPage, quote, textQuery } from "./adtquery";
import { errorText } from "./errors";
import { models, modelName, type ModelInfo } from "./models";
import { modelTree } from "./modeltree";
import { statusBadge, twinPeek } from "./peek";
import { virtualList } from "./vlist";

const ROW = 34;
const DEBOUNCE_MS = 250;

type Mode = "text" | "adt";

const EXAMPLES: [string, string][] = [
  ["Pumps (and anything extending Pump)", "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:ferrotwin:manufacturing:Pump;1')"],
  ["Machines in fault", "SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL('dtmi:ferrotwin:manufacturing:Machine;1') AND status = 'fault'"],
  ["Remaining life under a day", "SELECT * FROM DIGITALTWINS WHERE rul.value < 86400 AND rul.unit = 's'"],
  ["Anomaly score above 0.8", "SELECT * FROM DIGITALTWINS WHERE anomalyScore > 0.8"],
  ["Machines on line-1", "SELECT M FROM DIGITALTWINS L JOIN M RELATED L.hasMachine WHERE L.$dtId = 'line-1'"],
  ["Id starts with pump", "SELECT * FROM DIGITALTWINS WHERE STARTSWITH($dtId, 'pump')"],
];

function isTwin(v: any): v is Twin {
  return v && typeof v === "object" && typeof v.$dtId === "string" && v.$metadata;
}

/** The twin a result row stands for, if any (a twin, or a one-column projection of one). */
function rowTwin(r: any): Twin | null {
  if (isTwin(r)) return r;
  if (r && typeof r === "object") {
    const vals = Object.values(r);
    if (vals.length === 1 && isTwin(vals[0])) return vals[0];
  }
  return null;
}


/** `#/twins` */
export async function explorerView(root: HTMLElement, _args: string[], params: URLSearchParams): Promise<() => void> {
  let mode: Mode = params.get("mode") === "adt" ? "adt" : "text";
  let text = mode === "text" ? params.get("q") ?? "" : "";
  let adt = mode === "adt" ? params.get("q") ?? "" : "";
  let model = params.get("model") ?? "";
  let selected = params.get("sel") ?? "";
  let all: Map<string, ModelInfo> = new Map();

  let rows: any[] = [];
  let token: string | undefined;
  let loading = false;
  let search: AbortController | null = null;
  let debounce = 0;
  const byId = new Map<string, number>();
  const controllers = new Set<AbortController>();
  const track = () => {
    const c = new AbortController();
    controllers.add(c);
    return c;
  };

  const saveUrl = () => {
    const p = new URLSearchParams();
    if (mode === "adt") p.set("mode", "adt");
    const q = mode === "adt" ? adt : text;
    if (q) p.set("q", q);
    if (model && mode === "text") p.set("model", model);
    if (selected) p.set("sel", selected);
    const s = p.toString();
    history.replaceState(null, "", "#/twins" + (s ? "?" + s : ""));
  };

  // Search form
  const textInput = h("input", {
    type: "search",
    placeholder: "Search twins: id, name or model",
    "aria-label": "free-text search",
    value: text,
    class: "grow",
  });
  const adtInput = h("textarea", { rows: 3, spellcheck: "false", "aria-label": "ADT query", class: "grow mono", placeholder: "SELECT * FROM DIGITALTWINS WHERE ..." });
  adtInput.value = adt;
  const runBtn = h("button", { type: "submit" }, "Run query");
  const modeText = h("button", { type: "button", class: "tab" }, "Free text");
  const modeAdt = h("button", { type: "button", class: "tab" }, "ADT query");
  const modelChip = h("span", { class: "chip-slot" });
  const runs = h("div", { class: "hint mono runs" });
  const examples = h(
    "div",
    { class: "examples" },
    h("span", { class: "hint" }, "Examples: "),
    EXAMPLES.map(([label, q]) =>
      h("button", { type: "button", class: "link example", title: q, onclick: () => { adtInput.value = q; adt = q; start(); } }, label),
    ),
  );
  const textHint = h(
    "p",
    { class: "hint" },
    "Free text looks in the twin id ($dtId) and the name property (case-sensitive, as typed or in lower case), and in model ids and display names (any case; twins of extending models count).",
  );
  const textRow = h("div", { class: "row" }, textInput, modelChip);
  const adtRow = h("div", { class: "row" }, adtInput, runBtn);
  const form = h("form", { class: "search panel" }, h("div", { class: "row tabs" }, modeText, modeAdt), textRow, adtRow, textHint, examples, runs);

  // Results
  const summary = h("div", { class: "summary", role: "status" });
  const headRow = h("div", { class: "vrow head" });
  const loadMore = h("button", { type: "button", class: "secondary", onclick: () => void more() }, "Load more");
  const foot = h("div", { class: "row foot" });

  const list = virtualList(ROW, renderRow, () => {
    if (token && !loading) void more();
  });

  const tree = modelTree((id) => pickModel(id));
  const peek = twinPeek(
    () => all,
    (id) => {
      selected = id;
      saveUrl();
      list.redraw();
    },
  );
  const select = (id: string, fromList: boolean) => peek.show(id, fromList);
  const renderTree = () => tree.render(mode === "text" ? model : null);

  mount(
    root,
    h(
      "div",
      { class: "explorer" },
      h("aside", { class: "panel models" }, h("h3", {}, "Models"), tree.el),
      h("section", { class: "results" }, form, summary, h("div", { class: "vlist-wrap" }, headRow, list.el), foot),
      peek.el,
    ),
  );

  function columnsOf(): string[] {
    const first = rows[0];
    if (!first || rowTwin(first)) return [];
    return Object.keys(first);
  }

  function renderHead() {
    const cols = columnsOf();
    if (rows.length && cols.length) {
      mount(headRow, cols.map((c) => h("span", { class: "cell" }, c)));
      headRow.className = "vrow head proj";
    } else {
      mount(headRow, ["Twin id", "Name", "Model", "Status", "Updated"].map((c) => h("span", { class: "cell" }, c)));
      headRow.className = "vrow head";
    }
  }

  function renderRow(i: number): HTMLElement {
    const r = rows[i];
    const t = rowTwin(r);
    if (t) {
      const el = h(
        "div",
        {
          class: "vrow" + (t.$dtId === selected ? " selected" : ""),
          role: "option",
          "aria-selected": t.$dtId === selected ? "true" : "false",
          onclick: () => select(t.$dtId, true),
          ondblclick: () => { location.hash = `#/twin/${encodeURIComponent(t.$dtId)}`; },
        },
        h("span", { class: "cell id" }, h("a", { href: `#/twin/${encodeURIComponent(t.$dtId)}`, onclick: (e: Event) => e.stopPropagation() }, t.$dtId)),
        h("span", { class: "cell" }, typeof t.name === "string" ? t.name : ""),
        h("span", { class: "cell muted", title: t.$metadata.$model }, modelName(all, t.$metadata.$model)),
        h("span", { class: "cell" }, statusBadge(t)),
        h("span", { class: "cell muted" }, ago(t.$metadata.$lastUpdateTime)),
      );
      return el;
    }
    const cols = columnsOf();
    return h(
      "div",
      { class: "vrow proj" },
      cols.map((c) => {
        const v = r?.[c];
        if (isTwin(v)) {
          return h("span", { class: "cell" }, h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); select(v.$dtId, true); } }, v.$dtId));
        }
        return h("span", { class: "cell mono", title: fmt(v) }, fmt(v));
      }),
    );
  }

  function renderFoot(error?: string) {
    const parts: (Node | string)[] = [];
    if (error) parts.push(h("span", { class: "error" }, error));
    else if (loading) parts.push(h("span", { class: "muted" }, rows.length ? `Loading more… (${rows.length.toLocaleString()} loaded)` : ""));
    else if (token) parts.push(h("span", { class: "muted" }, `${rows.length.toLocaleString()} loaded, more available`), loadMore);
    else if (rows.length) parts.push(h("span", { class: "muted" }, `All ${rows.length.toLocaleString()} loaded`));
    mount(foot, parts);
  }

  function currentQuery(): string {
    return mode === "adt" ? adt.trim() : textQuery(text, model, all);
  }

  function indexRows(from: number) {
    for (let i = from; i < rows.length; i++) {
      const t = rowTwin(rows[i]);
      if (t) byId.set(t.$dtId, i);
    }
  }

  async function start() {
    saveUrl();
    search?.abort();
    rows = [];
    byId.clear();
    token = undefined;
    list.setCount(0);
    list.el.scrollTop = 0;
    renderHead();
    const q = currentQuery();
    runs.textContent = mode === "text" ? `Runs: ${q}` : "";
    if (!q) {
      mount(summary, h("span", { class: "muted" }, "Write a query, or pick an example."));
      renderFoot();
      return;
    }
    const ctl = track();
    search = ctl;
    loading = true;
    mount(summary, h("span", { class: "muted" }, "Searching…"));
    renderFoot();
    const t0 = performance.now();
    const cq = countQuery(q);
    const count = cq ? queryPage(cq, undefined, ctl.signal).then((p) => p.value[0]?.COUNT as number | undefined).catch(() => undefined) : Promise.resolve(undefined);
    try {
      const page = await queryPage(q, undefined, ctl.signal);
      if (ctl.signal.aborted) return;
      rows = page.value;
      token = page.continuationToken ?? undefined;
      indexRows(0);
      loading = false;
      renderHead();
      list.setCount(rows.length);
      const ms = Math.round(performance.now() - t0);
      const n = await count;
      if (ctl.signal.aborted) return;
      const isCount = rows.length === 1 && rows[0] && Object.keys(rows[0]).length === 1 && "COUNT" in rows[0];
      if (isCount) mount(summary, h("span", {}, h("strong", {}, Number(rows[0].COUNT).toLocaleString()), " twins counted"), h("span", { class: "muted" }, ` · ${ms} ms`));
      else if (!rows.length) mount(summary, h("span", { class: "muted" }, mode === "text" && !text.trim() && !model ? "There are no twins yet." : "Nothing matches."));
      else
        mount(
          summary,
          h("span", {}, n !== undefined ? [h("strong", {}, n.toLocaleString()), n === 1 ? " twin matches" : " twins match"] : [h("strong", {}, rows.length.toLocaleString()), token ? " results so far" : " results"]),
          h("span", { class: "muted" }, ` · first page in ${ms} ms`),
        );
      renderFoot();
    } catch (e) {
      if (ctl.signal.aborted) return;
      loading = false;
      mount(summary, h("span", { class: "error" }, `The query failed: ${errorText(e)}`));
      renderFoot();
    } finally {
      controllers.delete(ctl);
    }
  }

  async function more() {
    if (!token || loading || !search) return;
    const ctl = search;
    loading = true;
    renderFoot();
    try {
      const page = await queryPage("", token, ctl.signal);
      if (ctl.signal.aborted) return;
      const from = rows.length;
      rows.push(...page.value);
      token = page.continuationToken ?? undefined;
      indexRows(from);
      loading = false;
      list.setCount(rows.length);
      renderFoot();
    } catch (e) {
      if (ctl.signal.aborted) return;
      loading = false;
      renderFoot(`Loading more failed: ${errorText(e)}`);
    }
  }

  function setMode(m: Mode) {
    mode = m;
    modeText.classList.toggle("active", m === "text");
    modeAdt.classList.toggle("active", m === "adt");
    textRow.hidden = m !== "text";
    textHint.hidden = m !== "text";
    adtRow.hidden = m !== "adt";
    examples.hidden = m !== "adt";
    if (all.size) renderTree();
  }

  modeText.addEventListener("click", () => {
    if (mode === "text") return;
    setMode("text");
    void start();
    textInput.focus();
  });
  modeAdt.addEventListener("click", () => {
    if (mode === "adt") return;
    if (!adtInput.value.trim()) adtInput.value = textQuery(text, model, all);
    adt = adtInput.value;
    setMode("adt");
    void start();
    adtInput.focus();
  });
  textInput.addEventListener("input", () => {
    text = textInput.value;
    clearTimeout(debounce);
    debounce = window.setTimeout(() => void start(), DEBOUNCE_MS);
  });
  adtInput.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    clearTimeout(debounce);
    if (mode === "adt") adt = adtInput.value;
    else text = textInput.value;
    void start();
  });
  adtInput.title = "Ctrl+Enter runs the query";

  list.el.addEventListener("keydown", (e) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp" && e.key !== "Enter") return;
    const i = selected ? byId.get(selected) ?? -1 : -1;
    if (e.key === "Enter") {
      if (selected) location.hash = `#/twin/${encodeURIComponent(selected)}`;
      return;
    }
    e.preventDefault();
    const j = Math.max(0, Math.min(rows.length - 1, i + (e.key === "ArrowDown" ? 1 : -1)));
    const t = rowTwin(rows[j]);
    if (t) {
      select(t.$dtId, true);
      list.reveal(j);
    }
  });

  function renderChip() {
    if (!model) {
      modelChip.replaceChildren();
      return;
    }
    mount(
      modelChip,
      h(
        "span",
        { class: "chip", title: model },
        "Model: ",
        modelName(all, model),
        h("button", { type: "button", class: "link", "aria-label": "clear the model filter", onclick: () => { model = ""; renderChip(); renderTree(); void start(); } }, "×"),
      ),
    );
  }

  function pickModel(id: string) {
    if (mode === "adt") {
      adtInput.value = id ? `SELECT * FROM DIGITALTWINS WHERE IS_OF_MODEL(${quote(id)})` : "SELECT * FROM DIGITALTWINS";
      adt = adtInput.value;
    } else model = id;
    renderChip();
    renderTree();
    void start();
  }

  // Keep shown twins current.
  const unlisten = live.listen((e) => {
    if (e.type !== "Microsoft.DigitalTwins.Twin.Update") return;
    const i = byId.get(e.subject);
    if (i === undefined) return;
    const t = rowTwin(rows[i]);
    if (!t) return;
    live.applyPatch(t, e.data?.patch ?? []);
    t.$metadata.$lastUpdateTime = e.time;
    list.redraw();
  });

  setMode(mode);
  renderChip();
  renderHead();
  try {
    all = await models();
    void tree.load(all);
  } catch (e) {
    tree.fail(`Could not load models: ${errorText(e)}`);
  }
  if (selected) select(selected, true);
  renderChip();
  renderTree();
  void start();
  if (mode === "text") textInput.focus();

  return () => {
    clearTimeout(debounce);
    for (const c of controllers) c.abort();
    unlisten();
    list.destroy();
    tree.destroy();
    peek.destroy();
  };
}
