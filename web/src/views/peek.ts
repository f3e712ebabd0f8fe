// The explorer's side panel: one twin, its key properties, and its
// relationships both ways. Clicking a related twin follows the
// relationship; the trail of twins followed leads back.

import { ApiError, call, type Page, type Twin } from "../api";
import { fmt, h, mount } from "../dom";
import { errorText } from "./errors";
import { modelName, type ModelInfo } from "./models";

const PROPS_SHOWN = 12;


/** A twin's status property as a badge. */
export function statusBadge(t: Twin): HTMLElement | string {
  const s = t.status;
  if (typeof s !== "string") return "";
  const cls = s === "fault" ? "state-alarm" : s === "maintenance" ? "state-warning" : s === "running" ? "state-normal" : "";
  return h("span", { class: `badge ${cls}` }, s);
}

function relPage(path: string, signal: AbortSignal): Promise<Page<any>> {
  return call<Page<any>>("GET", path, undefined, {}, {}, signal);
}

/** The panel; `shown(id)` hears which twin it shows, so the list and address can follow. */
export function twinPeek(models: () => Map<string, ModelInfo>, shown: (id: string) => void) {
  const el = h("aside", { class: "panel peek" });
  let trail: string[] = [];
  let ctl: AbortController | null = null;

  const relList = (title: string, items: any[], next: string | null | undefined, outgoing: boolean, signal: AbortSignal): HTMLElement => {
    const ul = h("ul", { class: "rels" });
    const add = (rs: any[]) => {
      for (const r of rs) {
        const other = outgoing ? r.$targetId : r.$sourceId;
        const props = Object.entries(r).filter(([k]) => !k.startsWith("$"));
        ul.append(
          h(
            "li",
            {},
            h("span", { class: "rel-name" }, r.$relationshipName),
            outgoing ? " → " : " ← ",
            h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); show(other, false); } }, other),
            props.length ? h("span", { class: "muted" }, " (" + props.map(([k, v]) => `${k}: ${fmt(v)}`).join(", ") + ")") : null,
          ),
        );
      }
    };
    add(items);
    const box = h("div", {}, h("h3", {}, title), items.length ? ul : h("p", { class: "muted" }, "None."));
    let link = next;
    const moreBtn = h("button", { type: "button", class: "link" }, "more…");
    moreBtn.addEventListener("click", async () => {
      if (!link) return;
      moreBtn.disabled = true;
      try {
        // nextLink is absolute and names the server's host; keep our origin.
        const u = new URL(link, location.origin);
        const p = await relPage(u.pathname + u.search, signal);
        add(p.value);
        link = p.nextLink;
        if (!link) moreBtn.remove();
      } catch (e) {
        if (!signal.aborted) box.append(h("p", { class: "error" }, errorText(e)));
      } finally {
        moreBtn.disabled = false;
      }
    });
    if (link) box.append(moreBtn);
    return box;
  };

  const load = async (id: string) => {
    ctl?.abort();
    const mine = new AbortController();
    ctl = mine;
    const crumbs =
      trail.length > 1
        ? h(
            "nav",
            { class: "trail", "aria-label": "relationships followed" },
            trail.flatMap((t, i) => [i ? h("span", { class: "muted" }, " › ") : null, t === id ? h("strong", {}, t) : h("a", { href: "#", onclick: (e: Event) => { e.preventDefault(); show(t, false); } }, t)]),
          )
        : null;
    mount(el, crumbs, h("p", { class: "muted" }, `Loading ${id}…`));
    try {
      const enc = encodeURIComponent(id);
      const [twin, out, inc] = await Promise.all([
        call<Twin>("GET", `/digitaltwins/${enc}`, undefined, {}, {}, mine.signal),
        relPage(`/digitaltwins/${enc}/relationships`, mine.signal),
        relPage(`/digitaltwins/${enc}/incomingrelationships`, mine.signal),
      ]);
      if (mine.signal.aborted) return;
      const props = Object.entries(twin).filter(([k, v]) => !k.startsWith("$") && (typeof v !== "object" || v === null));
      mount(
        el,
        crumbs,
        h("h2", { class: "peek-id" }, twin.$dtId),
        h("div", { class: "row" }, h("span", { class: "muted", title: twin.$metadata.$model }, modelName(models(), twin.$metadata.$model)), statusBadge(twin)),
        h("div", { class: "row" }, h("a", { class: "button", href: `#/twin/${enc}` }, "Open twin"), h("a", { href: `#/scene?twin=${enc}` }, "3D view")),
        props.length ? h("dl", { class: "kv" }, props.slice(0, PROPS_SHOWN).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, fmt(v))])) : null,
        relList("Relationships", out.value, out.nextLink, true, mine.signal),
        relList("Incoming", inc.value, inc.nextLink, false, mine.signal),
      );
    } catch (e) {
      if (mine.signal.aborted) return;
      mount(el, crumbs, h("p", { class: "error" }, e instanceof ApiError && e.status === 404 ? `There is no twin '${id}' (it may have been deleted).` : `Could not load ${id}: ${errorText(e)}`));
    }
  };

  /** Shows `id`: a fresh trail when picked from the list, else one step further along it (or back). */
  const show = (id: string, fromList: boolean) => {
    if (fromList) trail = [id];
    else if (trail[trail.length - 1] !== id) {
      const at = trail.indexOf(id);
      trail = at >= 0 ? trail.slice(0, at + 1) : [...trail, id];
    }
    shown(id);
    void load(id);
  };

  mount(el, h("p", { class: "muted" }, "Select a twin to see its relationships. Click a related twin to follow the relationship; ↑/↓ move through the list, Enter opens the twin."));
  return { el, show, destroy: () => ctl?.abort() };
}
