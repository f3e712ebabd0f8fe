// Live value labels: one card per (machine, part) anchored in 3D, one row
// per key. Values may arrive many times a second; the DOM is written at
// most a few times a second, and far cards shrink to their title so a
// plant of fifty machines stays readable. In AR, where DOM cannot follow
// the camera, cards are drawn onto sprites instead.

import * as THREE from "three";
import { CSS2DObject, CSS2DRenderer } from "three/addons/renderers/CSS2DRenderer.js";
import type { State } from "./looks";

/** How often label text reaches the DOM. */
const FLUSH_MS = 250;
/** Beyond this camera distance (metres) a card shows only its title. */
const FAR = 28;

interface Row {
  el: HTMLElement;
  text: string;
  state?: State;
  shown: string;
  shownState?: State;
}

interface Card {
  twinId: string;
  part: string | null;
  el: HTMLElement;
  title: HTMLElement;
  rowsEl: HTMLElement;
  rows: Map<string, Row>;
  obj: CSS2DObject;
  sprite?: THREE.Sprite;
  /** The state of what the card is about, whatever its rows say. */
  state?: State;
  dirty: boolean;
}

const key = (twinId: string, part: string | null) => `${twinId}\u0000${part ?? ""}`;

export class Labels {
  readonly renderer: CSS2DRenderer;
  private cards = new Map<string, Card>();
  private lastFlush = 0;
  private sprites = false;

  constructor(container: HTMLElement) {
    this.renderer = new CSS2DRenderer();
    const el = this.renderer.domElement;
    el.classList.add("ft-labels");
    container.append(el);
  }

  /** Sets one row of the card at (twin, part), creating the card at `anchor`'s `local` point. */
  set(twinId: string, part: string | null, rowKey: string, text: string, state: State | undefined, anchor: THREE.Object3D, local: THREE.Vector3): void {
    let card = this.cards.get(key(twinId, part));
    if (!card) {
      const title = document.createElement("div");
      title.className = "ft-label-title";
      title.textContent = part ? part.replace(/_/g, " ") : twinId;
      const rowsEl = document.createElement("div");
      rowsEl.className = "ft-label-rows";
      const el = document.createElement("div");
      el.className = "ft-label";
      el.dataset.twin = twinId;
      if (part) el.dataset.part = part;
      el.append(title, rowsEl);
      const obj = new CSS2DObject(el);
      obj.position.copy(local);
      obj.center.set(0.5, 1);
      anchor.add(obj);
      card = { twinId, part, el, title, rowsEl, rows: new Map(), obj, dirty: true };
      this.cards.set(key(twinId, part), card);
    }
    let row = card.rows.get(rowKey);
    if (!row) {
      const el = document.createElement("div");
      el.className = "ft-label-row";
      card.rowsEl.append(el);
      row = { el, text, state, shown: "" };
      card.rows.set(rowKey, row);
    }
    row.text = text;
    row.state = state;
    card.dirty = true;
  }

  /** Sets a card's title (the machine's name, say) and the state its border shows at least. */
  title(twinId: string, part: string | null, title: string, state?: State): void {
    const card = this.cards.get(key(twinId, part));
    if (!card) return;
    if (card.title.textContent !== title) card.title.textContent = title;
    card.state = state;
    card.dirty = true;
  }

  /** Removes one row, or the whole card when `rowKey` is null. */
  remove(twinId: string, part: string | null, rowKey: string | null = null): void {
    const card = this.cards.get(key(twinId, part));
    if (!card) return;
    if (rowKey !== null) {
      card.rows.get(rowKey)?.el.remove();
      card.rows.delete(rowKey);
      card.dirty = true;
      if (card.rows.size > 0) return;
    }
    this.drop(card);
  }

  /** Removes every card of a machine. */
  removeTwin(twinId: string): void {
    for (const c of [...this.cards.values()]) if (c.twinId === twinId) this.drop(c);
  }

  private drop(card: Card): void {
    card.obj.removeFromParent();
    card.el.remove();
    this.dropSprite(card);
    this.cards.delete(key(card.twinId, card.part));
  }

  /** Writes changed text to the DOM (throttled) and shrinks far cards. */
  flush(camera: THREE.Camera, now: number, force = false): void {
    if (!force && now - this.lastFlush < FLUSH_MS) return;
    this.lastFlush = now;
    const at = new THREE.Vector3();
    for (const card of this.cards.values()) {
      card.obj.getWorldPosition(at);
      const far = at.distanceTo(camera.position) > FAR;
      card.el.classList.toggle("far", far);
      // From afar only what needs attention keeps a label.
      const calm = !card.el.dataset.state || card.el.dataset.state === "normal";
      card.el.classList.toggle("quiet", far && calm);
      if (!card.dirty) continue;
      card.dirty = false;
      let worst: State | undefined = card.state;
      for (const row of card.rows.values()) {
        if (row.shown !== row.text) {
          row.el.textContent = row.text;
          row.shown = row.text;
        }
        if (row.shownState !== row.state) {
          row.el.className = "ft-label-row" + (row.state ? ` ft-${row.state}` : "");
          row.shownState = row.state;
        }
        if (row.state && rank(row.state) > rank(worst)) worst = row.state;
      }
      card.el.dataset.state = worst ?? "";
      if (this.sprites) this.drawSprite(card);
    }
  }

  /** Whether any label exists. */
  get size(): number {
    return this.cards.size;
  }

  /** AR mode: cards of `twinId` drawn on sprites that live in the 3D scene. */
  useSprites(on: boolean, twinId?: string): void {
    this.sprites = on;
    for (const card of this.cards.values()) {
      card.obj.visible = !on;
      if (on && (!twinId || card.twinId === twinId)) this.drawSprite(card);
      else this.dropSprite(card);
    }
  }

  private drawSprite(card: Card): void {
    const lines = [card.title.textContent ?? "", ...[...card.rows.values()].map((r) => r.text)];
    const scale = 2;
    const canvas = document.createElement("canvas");
    const ctx = canvas.getContext("2d")!;
    ctx.font = `${14 * scale}px system-ui, sans-serif`;
    const w = Math.ceil(Math.max(...lines.map((l) => ctx.measureText(l).width)) + 16 * scale);
    const lh = 19 * scale;
    canvas.width = w;
    canvas.height = lh * lines.length + 10 * scale;
    ctx.fillStyle = "rgba(15,20,25,0.85)";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.font = `${14 * scale}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    lines.forEach((l, i) => {
      ctx.fillStyle = i === 0 ? "#8a99a8" : "#dde5ee";
      ctx.fillText(l, 8 * scale, 5 * scale + i * lh);
    });
    const texture = new THREE.CanvasTexture(canvas);
    texture.colorSpace = THREE.SRGBColorSpace;
    if (!card.sprite) {
      card.sprite = new THREE.Sprite(new THREE.SpriteMaterial({ map: texture, depthTest: false }));
      card.sprite.renderOrder = 1000;
      card.obj.parent?.add(card.sprite);
    } else {
      const m = card.sprite.material;
      m.map?.dispose();
      m.map = texture;
      m.needsUpdate = true;
    }
    // About 4 cm per text line, at the card's anchor, above it.
    const height = 0.04 * lines.length;
    card.sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
    card.sprite.center.set(0.5, 0);
    card.sprite.position.copy(card.obj.position);
  }

  private dropSprite(card: Card): void {
    if (!card.sprite) return;
    card.sprite.removeFromParent();
    card.sprite.material.map?.dispose();
    card.sprite.material.dispose();
    card.sprite = undefined;
  }

  dispose(): void {
    for (const c of [...this.cards.values()]) this.drop(c);
    this.renderer.domElement.remove();
  }
}

function rank(s: State | undefined): number {
  return s ? ["normal", "anomaly", "warning", "alarm"].indexOf(s) : -1;
}
