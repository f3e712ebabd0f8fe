// `#/workorder/{id}`: AR-guided maintenance for one work order. The
// machine in 3D beside its procedure; each step's safety warnings come
// first, then what to do, tools and torques; the step's part is
// highlighted and the camera flies to it. Writers check steps off (who and
// when are recorded on the order) and assign, start, complete or cancel
// it; readers see it read-only. Changes by others arrive live.

import { CollabLayer } from "../collab/layer";
import "../scene/scene.css";
import * as THREE from "three";
import { ApiError, get, post, type Step, type WorkOrder } from "../api";
import { can, identity } from "../auth";
import { ago, fmt, h, mount, toast } from "../dom";
import * as live from "../live";
import { href } from "../router";
import { KEY_SIGNALS } from "../scene/catalog";
import { kindOfModel } from "../scene/plant";
import { Viewer } from "../scene/viewer";

const STATE_TEXT: Record<WorkOrder["state"], string> = {
  open: "open",
  assigned: "assigned",
  inProgress: "in progress",
  done: "done",
  cancelled: "cancelled",
};

const errorText = (e: unknown) => (e instanceof ApiError ? `${e.message} (${e.status} ${e.code})` : e instanceof Error ? e.message : String(e));
const partName = (p: string) => p.replace(/_/g, " ");

export async function workorderView(root: HTMLElement, args: string[]): Promise<() => void> {
  const id = args[0];
  if (!id) {
    mount(root, h("p", { class: "error" }, "No work order given: the address should be #/workorder/{id}."), h("a", { href: href("/workorders") }, "All work orders"));
    return () => {};
  }
  mount(root, h("p", { class: "muted" }, "Loading the work order…"));
  let order: WorkOrder;
  try {
    order = await get<WorkOrder>(`/workorders/${encodeURIComponent(id)}`);
  } catch (e) {
    mount(
      root,
      h("h1", {}, "Work order"),
      h("p", { class: "error" }, e instanceof ApiError && e.status === 404 ? `There is no work order '${id}'.` : `Could not load work order '${id}': ${errorText(e)}`),
      h("a", { href: href("/workorders") }, "All work orders"),
    );
    return () => {};
  }

  const writer = can("writer");
  const stage = h("div", { class: "wo-stage" });
  const host = h("div", {});
  host.style.cssText = "position:absolute;inset:0";
  const side = h("div", { class: "wo-side" });
  mount(root, h("div", { class: "wo-page" }, stage, side));
  stage.append(host);

  let viewer: Viewer | null = null;
  let viewerError: string | null = null;
  try {
    viewer = new Viewer(host);
  } catch (e) {
    viewerError = errorText(e);
  }
  // The technician and a remote expert on the same order share the twin's room.
  const collab = viewer ? new CollabLayer(viewer, order.twin) : null;
  if (collab && viewer) {
    stage.append(h("div", { class: "scene-collab" }, collab.panel));
    viewer.onPick((hit) => {
      if (collab.placing()) void collab.place(hit);
    });
  }
  const xray = h("input", { type: "checkbox" });
  const bar = h("div", { class: "wo-3d-bar" });
  const arNote = h("div", { class: "wo-ar-note" });
  stage.append(bar, arNote);

  let selected = firstOpen(order);
  let busy = false;
  const notes = new Map<number, string>();
  const stepErrors = new Map<number, string>();
  let orderError: string | null = null;
  let closed = false;
  let values: Record<string, unknown> = {};
  let kind: string | null = null;
  let arOk = false;

  function partOf(i: number): string | null {
    return order.steps[i]?.part ?? order.part ?? null;
  }

  function show3d(fly: boolean): void {
    if (!viewer || !viewer.machines().includes(order.twin)) return;
    const part = partOf(selected);
    viewer.clearHighlight();
    viewer.clearLabel(order.twin);
    const info = viewer.machineInfo(order.twin);
    const known = part && info?.parts.includes(part) ? part : null;
    viewer.highlight(order.twin, known);
    const step = order.steps[selected];
    if (step) viewer.setLabel(order.twin, known, "step", `Step ${selected + 1}: ${step.title}`, step.warnings.length ? "warning" : undefined);
    if (known) viewer.setLabelTitle(order.twin, known, partName(known));
    paintValues();
    // An internal part is only visible with the shells made translucent.
    if (known && viewer.isInternal(order.twin, known) && !xray.checked) {
      xray.checked = true;
      viewer.setXray(true);
    }
    if (fly) viewer.focus(order.twin, known);
  }

  function paintValues(): void {
    if (!viewer || !kind) return;
    for (const k of KEY_SIGNALS[kind] ?? []) {
      const v = values[k.name];
      if (typeof v !== "number") continue;
      viewer.setLabel(order.twin, null, k.name, `${k.label} ${fmt(k.percent ? v * 100 : v)}${k.percent ? " %" : k.unit ? " " + k.unit : ""}`);
    }
    viewer.setLabelTitle(order.twin, null, order.twin);
  }

  function guidance(): HTMLElement {
    const step = order.steps[selected];
    if (!step) return h("div", {}, order.title);
    return h(
      "div",
      {},
      step.warnings.length ? h("div", { class: "wo-warn" }, h("strong", {}, "⚠ SAFETY"), h("ul", {}, step.warnings.map((w) => h("li", {}, w)))) : null,
      h("b", {}, `Step ${selected + 1} of ${order.steps.length}: ${step.title}`),
      h("div", {}, step.instructions),
    );
  }

  async function setup3d(): Promise<void> {
    if (!viewer) {
      mount(arNote, h("span", { class: "error" }, viewerError ?? "3D unavailable"));
      return;
    }
    try {
      kind = await kindOfModel(order.model);
    } catch (e) {
      mount(arNote, h("span", { class: "error" }, `Could not read the model ${order.model}: ${errorText(e)}`));
      return;
    }
    if (closed) return;
    if (!kind) {
      mount(arNote, `There is no 3D model for ${order.model}, so the procedure is shown without it.`);
      return;
    }
    try {
      await viewer.addMachine(order.twin, kind, new THREE.Vector3(0, 0, 0));
    } catch (e) {
      mount(arNote, h("span", { class: "error" }, errorText(e)));
      return;
    }
    if (closed) return;
    try {
      const twin = await get<Record<string, unknown>>(`/digitaltwins/${encodeURIComponent(order.twin)}`);
      values = { ...twin };
      const latest = await post<{ value: { name: string; point: { value: unknown } | null }[] }>("/history/latest", {
        series: (KEY_SIGNALS[kind] ?? []).map((k) => ({ twinId: order.twin, name: k.name })),
      });
      for (const v of latest.value) if (v.point) values[v.name] = v.point.value;
    } catch {
      // The labels fill in as telemetry arrives.
    }
    viewer.frameAll();
    show3d(true);
    arOk = await Viewer.arSupported();
    if (closed) return;
    xray.addEventListener("change", () => viewer!.setXray(xray.checked));
    mount(
      bar,
      h("label", { class: "inline", title: "make casings translucent to see the parts inside" }, xray, "X-ray"),
      h("button", { class: "secondary", onclick: () => show3d(true) }, "Show step part"),
      h("button", { class: "secondary", onclick: () => viewer!.focus(order.twin) }, "Whole machine"),
      arOk ? h("button", { onclick: () => void startAR() }, "AR") : null,
    );
    mount(
      arNote,
      arOk
        ? "AR: point the device at the floor or a bench, tap to place the machine at real size; the step's part stays highlighted."
        : "AR needs a WebXR device (an AR-capable phone or headset browser). This 3D view carries the same guidance: the current step's part is highlighted and the camera flies to it.",
    );
  }

  async function startAR(): Promise<void> {
    try {
      await viewer!.enterAR({ twinId: order.twin, guidance: guidance() });
    } catch (e) {
      toast(`AR did not start: ${errorText(e)}`, "error");
    }
  }

  async function act(path: string, body: unknown, onError?: (m: string) => void): Promise<void> {
    busy = true;
    render();
    try {
      order = await post<WorkOrder>(`/workorders/${encodeURIComponent(order.id)}${path}`, body);
      orderError = null;
    } catch (e) {
      const m = e instanceof ApiError && e.status === 409 ? `Refused: ${e.message}` : e instanceof ApiError && e.status === 403 ? `Your role may not change work orders: ${e.message}` : `Failed: ${errorText(e)}`;
      if (onError) onError(m);
      else orderError = m;
      toast(m, "error");
      // A conflict means this page was behind: show the order as it now is.
      if (e instanceof ApiError && e.status === 409) await refresh();
    } finally {
      busy = false;
      render();
    }
  }

  async function check(i: number, done: boolean): Promise<void> {
    stepErrors.delete(i);
    const note = notes.get(i)?.trim();
    await act(`/steps/${i + 1}`, { done, ...(note ? { note } : {}) }, (m) => stepErrors.set(i, m));
    if (!stepErrors.has(i) && done && order.steps[i]?.done) {
      notes.delete(i);
      const next = firstOpen(order);
      if (next !== selected) select(next);
    }
  }

  function select(i: number): void {
    selected = i;
    render();
    show3d(true);
  }

  function render(): void {
    const open = order.state !== "done" && order.state !== "cancelled";
    const doneCount = order.steps.filter((s) => s.done).length;
    const left = order.steps.map((s, i) => (s.done ? null : i + 1)).filter((n) => n !== null);
    const me = identity()?.name;
    const assignee = h("input", { placeholder: "assignee (default: you)", title: me ? `leave empty to assign to ${me}` : "", size: 22, disabled: busy });
    const actions = !writer
      ? h("p", { class: "muted" }, `Read-only: your role (${identity()?.role ?? "unknown"}) cannot change work orders.`)
      : !open
        ? h("p", { class: "muted" }, `This work order is ${STATE_TEXT[order.state]} and can no longer change.`)
        : h(
            "div",
            { class: "wo-actions" },
            assignee,
            h("button", { class: "secondary", disabled: busy, onclick: () => void act("/assign", assignee.value.trim() ? { assignee: assignee.value.trim() } : {}) }, "Assign"),
            order.state !== "inProgress" ? h("button", { class: "secondary", disabled: busy, onclick: () => void act("/start", {}) }, "Start") : null,
            h(
              "button",
              { disabled: busy || left.length > 0, title: left.length ? `steps ${left.join(", ")} still to do` : "every step is done", onclick: () => void act("/complete", {}) },
              "Complete",
            ),
            h(
              "button",
              {
                class: "danger",
                disabled: busy,
                onclick: () => {
                  const reason = prompt("Why is this work order cancelled?");
                  if (reason !== null) void act("/cancel", { reason });
                },
              },
              "Cancel order",
            ),
          );
    mount(
      side,
      h(
        "div",
        { class: "wo-head panel" },
        h("div", { class: "hint" }, h("a", { href: href("/workorders") }, "Work orders"), ` / ${order.id}`),
        h("h1", {}, order.title),
        h(
          "div",
          { class: "wo-meta" },
          h("span", { class: `badge${order.state === "done" ? " state-normal" : order.state === "cancelled" ? "" : order.state === "inProgress" ? " state-warning" : ""}` }, STATE_TEXT[order.state]),
          h("span", {}, "asset ", h("a", { href: href(`/twin/${encodeURIComponent(order.twin)}`) }, h("b", {}, order.twin))),
          order.part ? h("span", {}, "part ", h("b", {}, partName(order.part))) : null,
          h("span", {}, "priority ", h("b", {}, `P${order.priority}`)),
          h("span", { title: order.due }, "due ", h("b", {}, ago(order.due))),
          h("span", {}, "assignee ", h("b", {}, order.assignee ?? "nobody")),
          order.rul ? h("span", { title: `${order.rul.method}, ~80 % interval ${fmt(order.rul.lower)}–${fmt(order.rul.upper)} ${order.rul.unit}` }, "RUL ", h("b", {}, `${fmt(order.rul.value)} ${order.rul.unit}`)) : null,
          order.alert ? h("span", { title: `alert ${order.alert}` }, "raised by ", h("a", { href: href("/alerts") }, "an alert")) : null,
        ),
        h("div", { class: "wo-progress", title: `${doneCount} of ${order.steps.length} steps done` }, h("div", { style: `width:${order.steps.length ? (100 * doneCount) / order.steps.length : 0}%` })),
        h("div", { class: "hint" }, `${doneCount} of ${order.steps.length} steps done`),
        actions,
        orderError ? h("p", { class: "error", role: "alert" }, orderError) : null,
      ),
      order.steps.length === 0 ? h("p", { class: "muted" }, "This work order has no procedure steps.") : h("ol", { class: "wo-steps" }, order.steps.map((s, i) => stepCard(s, i, open))),
      h(
        "details",
        { class: "panel wo-history" },
        h("summary", {}, `History (${order.history.length})`),
        h("ul", {}, order.history.map((e) => h("li", {}, h("span", { class: "muted", title: e.at }, new Date(e.at).toLocaleString()), ` ${e.by}: ${e.action}`, e.detail ? ` — ${e.detail}` : ""))),
      ),
    );
  }

  function stepCard(s: Step, i: number, open: boolean): HTMLElement {
    const current = i === selected;
    const note = h("textarea", { placeholder: "note (optional): readings, findings, parts used", disabled: busy }, notes.get(i) ?? "");
    note.addEventListener("input", () => notes.set(i, note.value));
    return h(
      "li",
      { class: `wo-step${s.done ? " done" : ""}${current ? " current" : ""}`, "data-step": i + 1 },
      h(
        "header",
        { onclick: () => select(i), title: "show this step" },
        h("span", { class: "num" }, s.done ? "✓" : i + 1),
        h("span", { class: "title" }, s.title),
        s.warnings.length ? h("span", { class: "badge sev-critical", title: "safety warnings" }, "⚠") : null,
        s.part ? h("span", { class: "badge" }, partName(s.part)) : null,
      ),
      current
        ? h(
            "div",
            { class: "body" },
            s.warnings.length ? h("div", { class: "wo-warn", role: "note" }, h("strong", {}, "⚠ SAFETY — read before you start"), h("ul", {}, s.warnings.map((w) => h("li", {}, w)))) : null,
            h("div", { class: "instr" }, s.instructions),
            s.tools.length ? h("div", {}, h("h3", {}, "Tools"), h("div", { class: "tools" }, s.tools.map((t) => h("span", { class: "badge" }, t)))) : null,
            s.torque.length
              ? h(
                  "div",
                  {},
                  h("h3", {}, "Torque"),
                  h("table", {}, h("tr", {}, h("th", {}, "Fastener"), h("th", {}, "Torque")), s.torque.map((t) => h("tr", {}, h("td", {}, t.fastener), h("td", {}, h("b", {}, `${fmt(t.value)} ${t.unit}`))))),
                )
              : null,
            s.done ? h("div", { class: "done-by" }, `✓ done by ${s.doneBy ?? "someone"}`, s.doneAt ? h("span", { title: s.doneAt }, `, ${ago(s.doneAt)}`) : null, s.note ? h("div", { class: "muted" }, `Note: ${s.note}`) : null) : null,
            writer && open && !s.done ? note : null,
            writer && open
              ? h(
                  "div",
                  { class: "row" },
                  s.done
                    ? h("button", { class: "secondary", disabled: busy, onclick: () => void check(i, false) }, "Reopen step")
                    : h("button", { disabled: busy, onclick: () => void check(i, true) }, `Mark step ${i + 1} done`),
                )
              : null,
            stepErrors.has(i) ? h("p", { class: "error", role: "alert" }, stepErrors.get(i)!) : null,
          )
        : s.done
          ? h("div", { class: "body" }, h("div", { class: "done-by" }, `✓ ${s.doneBy ?? "someone"}`, s.doneAt ? `, ${ago(s.doneAt)}` : ""))
          : null,
    );
  }

  async function refresh(): Promise<void> {
    try {
      order = await get<WorkOrder>(`/workorders/${encodeURIComponent(order.id)}`);
      if (selected >= order.steps.length) selected = firstOpen(order);
    } catch {
      // The error already shown says what failed; the page keeps what it had.
    }
  }

  // Updates missed while the live stream was down are read back when it returns.
  let wasUp = true;
  const unstate = live.onState((up) => {
    if (up && !wasUp) void refresh().then(() => !closed && render());
    wasUp = up;
  });

  const unlisten = live.listen((e) => {
    if (e.type === "ferrotwin.WorkOrder.Updated" && e.data?.id === order.id) {
      const wasPart = partOf(selected);
      order = e.data as WorkOrder;
      if (selected >= order.steps.length) selected = firstOpen(order);
      render();
      if (partOf(selected) !== wasPart) show3d(true);
    } else if (e.type === "microsoft.iot.telemetry" && e.subject === order.twin && e.data && typeof e.data === "object") {
      values = { ...values, ...e.data };
      paintValues();
    }
  });

  render();
  void setup3d();

  return () => {
    closed = true;
    unlisten();
    unstate();
    collab?.dispose();
    viewer?.dispose();
  };
}

/** The first step not done (or the last step when all are). */
function firstOpen(o: WorkOrder): number {
  const i = o.steps.findIndex((s) => !s.done);
  return i < 0 ? Math.max(0, o.steps.length - 1) : i;
}
