// Collaboration on a 3D view: other people's pointers as coloured markers
// with their names, the twin's annotations as pins and arrows on the
// machine, a presence list, and the tools to pin a note, a point or an
// arrow (writers only). Positions travel in machine coordinates, so a pin
// stays on its part wherever each viewer has placed the machine.

import * as THREE from "three";
import { can } from "../auth";
import { ago, h, mount, toast } from "../dom";
import type { Viewer } from "../scene/viewer";
import { type Annotation, type Participant, Room } from "./room";
import "./collab.css";

type Mode = "off" | "point" | "arrow";

/** The collaboration layer of one view, for one twin's room. */
export class CollabLayer {
  readonly panel: HTMLElement;
  private room: Room;
  private mode: Mode = "off";
  private markers = new Set<string>();
  private peopleEl = h("ul", { class: "people", "aria-label": "people here" });
  private notesEl = h("ol", { class: "notes", "aria-label": "annotations" });
  private statusEl = h("span", { class: "muted" }, "joining…");
  private text = h("input", { type: "text", name: "annotation", placeholder: "What should others see?", maxlength: 2000, "aria-label": "annotation text" });
  private modeButtons: HTMLButtonElement[] = [];
  private stopHover: () => void;

  constructor(
    private viewer: Viewer,
    readonly twin: string,
  ) {
    this.room = new Room(twin, {
      people: (list, me) => this.showPeople(list, me),
      pointer: (who, p) => this.showPointer(who, p),
      annotations: (list) => this.showNotes(list),
      connection: (up) => (this.statusEl.textContent = up ? "" : "reconnecting…"),
    });
    this.stopHover = this.hover();
    this.panel = h(
      "section",
      { class: "collab panel", "data-twin": twin },
      h("h3", {}, "Here now ", this.statusEl),
      this.peopleEl,
      h("h3", {}, "Annotations"),
      this.notesEl,
      can("writer") ? this.tools() : h("p", { class: "hint" }, "Your role can see annotations but not pin them."),
    );
  }

  /** Whether the next click on the model places an annotation (the view should not navigate). */
  placing(): boolean {
    return this.mode !== "off";
  }

  /** Places an annotation at a picked point, when placing. */
  async place(hit: { twinId: string; part: string | null; point: THREE.Vector3 }): Promise<void> {
    if (this.mode === "off") return;
    const kind = this.mode;
    const local = this.viewer.toLocal(hit.twinId, hit.point);
    const text = this.text.value.trim();
    this.setMode("off");
    try {
      await this.room.pin({
        kind,
        text,
        part: hit.part ?? undefined,
        position: [local.x, local.y, local.z],
        // An arrow points down onto the spot, the way people point at a part.
        direction: kind === "arrow" ? [0, -1, 0] : undefined,
        color: this.room.self()?.color,
      });
      this.text.value = "";
    } catch (e) {
      toast(`The annotation was not pinned: ${e instanceof Error ? e.message : e}`, "error");
    }
  }

  /** Leaves the room and removes what this layer drew. */
  dispose(): void {
    this.stopHover();
    this.room.close();
    for (const id of this.markers) this.viewer.removeMarker(id);
    this.markers.clear();
  }

  private tools(): HTMLElement {
    const mk = (mode: Mode, label: string) => {
      const b = h("button", { type: "button", class: "secondary", "data-mode": mode }, label) as HTMLButtonElement;
      b.addEventListener("click", () => this.setMode(this.mode === mode ? "off" : mode));
      this.modeButtons.push(b);
      return b;
    };
    const note = h("button", { type: "button", class: "secondary" }, "Add note");
    note.addEventListener("click", async () => {
      const text = this.text.value.trim();
      if (!text) {
        toast("Type the note first.", "error");
        return;
      }
      try {
        await this.room.pin({ kind: "text", text, color: this.room.self()?.color });
        this.text.value = "";
      } catch (e) {
        toast(`The note was not saved: ${e instanceof Error ? e.message : e}`, "error");
      }
    });
    return h("div", { class: "tools" }, this.text, h("div", { class: "row" }, mk("point", "Pin a point"), mk("arrow", "Place an arrow"), note), h("p", { class: "hint" }, "Pin or arrow: type the text, press the button, then click the part."));
  }

  private setMode(m: Mode): void {
    this.mode = m;
    for (const b of this.modeButtons) b.classList.toggle("active", b.dataset.mode === m);
    this.viewer.renderer.domElement.style.cursor = m === "off" ? "" : "crosshair";
  }

  private hover(): () => void {
    return this.viewer.onHover((hit) => {
      if (!hit) {
        this.room.point(null);
        return;
      }
      const p = this.viewer.toLocal(hit.twinId, hit.point);
      this.room.point({ target: hit.twinId, position: [p.x, p.y, p.z], part: hit.part ?? undefined });
    });
  }

  private showPeople(list: Participant[], me: Participant | null): void {
    const item = (p: Participant, you: boolean) =>
      h("li", { "data-session": p.session }, h("span", { class: "dot", style: `background:${p.color}` }), `${p.name}${you ? " (you)" : ""}`, h("span", { class: "muted" }, ` · ${p.role}`));
    mount(this.peopleEl, me ? item(me, true) : null, list.map((p) => item(p, false)));
    const here = new Set(list.map((p) => "ptr-" + p.session));
    for (const id of [...this.markers]) {
      if (id.startsWith("ptr-") && !here.has(id)) {
        this.viewer.removeMarker(id);
        this.markers.delete(id);
      }
    }
  }

  private showPointer(who: Participant, p: { target: string; position: [number, number, number] } | null): void {
    const id = "ptr-" + who.session;
    if (!p || !this.viewer.machines().includes(p.target)) {
      this.viewer.removeMarker(id);
      this.markers.delete(id);
      return;
    }
    const world = this.viewer.toWorld(p.target, new THREE.Vector3(...p.position));
    this.viewer.addMarker(id, { twinId: p.target, position: world, color: who.color, kind: "pointer", label: who.name });
    this.markers.add(id);
  }

  private showNotes(list: Annotation[]): void {
    for (const id of [...this.markers]) {
      if (id.startsWith("ann-")) {
        this.viewer.removeMarker(id);
        this.markers.delete(id);
      }
    }
    for (const a of list) {
      if (!a.position || !this.viewer.machines().includes(a.twin)) continue;
      const id = "ann-" + a.id;
      this.viewer.addMarker(id, {
        twinId: a.twin,
        position: this.viewer.toWorld(a.twin, new THREE.Vector3(...a.position)),
        color: a.color,
        kind: a.kind === "arrow" ? "arrow" : "pin",
        label: a.text || undefined,
        direction: a.direction ? new THREE.Vector3(...a.direction) : undefined,
      });
      this.markers.add(id);
    }
    const writer = can("writer");
    mount(
      this.notesEl,
      list.length === 0 ? h("li", { class: "muted" }, "None yet.") : null,
      list.map((a) =>
        h(
          "li",
          { "data-annotation": a.id },
          h("span", { class: "dot", style: `background:${a.color}` }),
          h("span", { class: "text" }, a.text || `(${a.kind})`),
          a.part ? h("span", { class: "badge" }, a.part) : null,
          h("span", { class: "muted" }, ` ${a.author}, ${ago(a.createdAt)}`),
          writer
            ? h("button", {
                type: "button",
                class: "link",
                title: "remove",
                onclick: () => this.room.unpin(a.id).catch((e) => toast(`Not removed: ${e.message}`, "error")),
              }, "✕")
            : null,
        ),
      ),
    );
  }
}
