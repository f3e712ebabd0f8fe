// The explorer's model browser: models as a tree by `extends`, each with
// the number of twins of it or of models extending it (`SELECT COUNT()`
// with IS_OF_MODEL, a few queries at a time).

import { h, mount } from "../dom";
import { queryPage, quote } from "./adtquery";
import { errorText } from "./errors";
import { modelName, parentIds, type ModelInfo } from "./models";

const COUNT_CONCURRENCY = 4;

/** Runs `jobs` with at most `n` at a time. */
async function pool(jobs: (() => Promise<void>)[], n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
}

/** The tree; `pick("")` means all twins. `render(active)` marks the model in use (null: none). */
export function modelTree(pick: (id: string) => void) {
  const el = h("div", { class: "model-tree" }, h("p", { class: "muted" }, "Loading models…"));
  const counts = new Map<string, number | string>();
  let all = new Map<string, ModelInfo>();
  let active: string | null = "";
  const ctl = new AbortController();

  const count = (id: string) => {
    const n = counts.get(id);
    return n === undefined ? "…" : typeof n === "number" ? n.toLocaleString() : "?";
  };

  const render = (now: string | null = active) => {
    active = now;
    if (!all.size) {
      mount(el, h("p", { class: "muted" }, "No models on the platform yet."));
      return;
    }
    const children = new Map<string, string[]>();
    const roots: string[] = [];
    for (const m of all.values()) {
      const ps = parentIds(m.doc).filter((p) => all.has(p));
      if (ps.length) children.set(ps[0], [...(children.get(ps[0]) ?? []), m.id]);
      else roots.push(m.id);
    }
    const byName = (a: string, b: string) => modelName(all, a).localeCompare(modelName(all, b));
    const item = (id: string, depth: number): HTMLElement[] => {
      const m = all.get(id)!;
      const n = counts.get(id);
      const button = h(
        "button",
        {
          type: "button",
          class: "model" + (active === id ? " active" : ""),
          style: `padding-left:${8 + depth * 14}px`,
          title: `${id}${m.description ? "\n" + m.description : ""}\nTwins of this model or of models extending it.${typeof n === "string" ? "\nCounting failed: " + n : ""}`,
          onclick: () => pick(id),
        },
        h("span", { class: "grow" }, m.displayName, m.decommissioned ? h("span", { class: "muted" }, " (decommissioned)") : null),
        h("span", { class: "count" }, count(id)),
      );
      return [button, ...(children.get(id) ?? []).sort(byName).flatMap((c) => item(c, depth + 1))];
    };
    mount(
      el,
      h("button", { type: "button", class: "model" + (active === "" ? " active" : ""), onclick: () => pick("") }, h("span", { class: "grow" }, "All twins"), h("span", { class: "count" }, count(""))),
      roots.sort(byName).flatMap((r) => item(r, 0)),
      h("p", { class: "hint" }, "Counts include twins of extending models."),
    );
  };

  /** Shows `models` and counts their twins. */
  const load = async (models: Map<string, ModelInfo>) => {
    all = models;
    render();
    const jobs = ["", ...all.keys()].map((id) => async () => {
      if (ctl.signal.aborted) return;
      const q = id ? `SELECT COUNT() FROM DIGITALTWINS WHERE IS_OF_MODEL(${quote(id)})` : "SELECT COUNT() FROM DIGITALTWINS";
      try {
        const p = await queryPage(q, undefined, ctl.signal);
        counts.set(id, Number(p.value[0]?.COUNT ?? 0));
      } catch (e) {
        if (ctl.signal.aborted) return;
        counts.set(id, errorText(e));
      }
      render();
    });
    await pool(jobs, COUNT_CONCURRENCY);
  };

  const fail = (message: string) => mount(el, h("p", { class: "error" }, message));
  return { el, render, load, fail, destroy: () => ctl.abort() };
}
