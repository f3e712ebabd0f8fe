// The 3D viewer every 3D view builds on: machines (glTF models cloned per
// twin) on a floor grid, live labels anchored to parts, state colours,
// highlights that show through shells, X-ray, camera flights, picking and
// hovering, markers, and AR. It renders only when something changed (or
// while something moves), and not at all while hidden.

import * as THREE from "three";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { RoomEnvironment } from "three/addons/environments/RoomEnvironment.js";
import { CSS2DObject } from "three/addons/renderers/CSS2DRenderer.js";
import { arSupported, startAR } from "./ar";
import { Flight } from "./flight";
import { Labels } from "./labels";
import { Looks, type State } from "./looks";
import { buildMarker, disposeMarker, type MarkerOptions } from "./markers";
import { model, releaseModels, type Model } from "./models";

export type { State } from "./looks";
export type { MarkerOptions } from "./markers";

/** What a click or hover found. */
export interface Hit {
  twinId: string;
  /** The part under the pointer, or null when the model has no part there. */
  part: string | null;
  /** The point on the surface, world coordinates. */
  point: THREE.Vector3;
}

interface PartMesh {
  mesh: THREE.Mesh;
  part: string | null;
  shell: boolean;
  base: THREE.Material;
}

interface Machine {
  twinId: string;
  kind: string;
  model: Model;
  /** Placed in the world; holds the model clone, the pad, labels and markers. */
  root: THREE.Group;
  body: THREE.Object3D;
  lod: THREE.LOD;
  parts: Map<string, THREE.Object3D>;
  meshes: PartMesh[];
  state: State;
  partStates: Map<string, State>;
  pad: THREE.Mesh | null;
  /** Highlight glows, halos and beacons. */
  glows: THREE.Object3D[];
}

/** Machines switch to their one-mesh form beyond this many metres… */
const FAR_MIN = 20;
/** …or this many times their size, whichever is further. */
const FAR_PER_METRE = 7;
/** Hover reports at most this often. */
const HOVER_MS = 60;
/** The highlight pulse redraws at most this often. */
const PULSE_MS = 80;
/** A click is a press and release this close together (px). */
const CLICK_SLOP = 5;

export class Viewer {
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera: THREE.PerspectiveCamera;
  readonly controls: OrbitControls;

  private readonly container: HTMLElement;
  private readonly labels: Labels | null;
  private readonly looks = new Looks();
  private readonly list = new Map<string, Machine>();
  private readonly loading = new Map<string, number>();
  private readonly highlights: { twinId: string; part: string | null }[] = [];
  private readonly markerObjs = new Map<string, THREE.Group>();
  private readonly pickers = new Set<(h: Hit) => void>();
  private readonly hoverers = new Set<(h: Hit | null) => void>();
  private readonly padGeometries = new Map<string, THREE.BufferGeometry>();
  private readonly floor: THREE.Mesh;
  private grid: THREE.GridHelper;
  private gridSize = 0;
  private readonly envMap: THREE.Texture;
  private xray = false;
  private dirty = true;
  private continuous = 0;
  private frames = 0;
  private flight: Flight | null = null;
  private raf = 0;
  private visible = true;
  private inAR = false;
  private lastPulse = 0;
  private hoverEvent: PointerEvent | null = null;
  private lastHover = 0;
  private hovered: string | null = null;
  private down: { x: number; y: number } | null = null;
  private loadSeq = 0;
  private disposed = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(container: HTMLElement, opts: { labels?: boolean } = {}) {
    this.container = container;
    container.classList.add("ft-viewer");
    try {
      this.renderer = new THREE.WebGLRenderer({ antialias: true, alpha: true, powerPreference: "high-performance" });
    } catch (e) {
      throw new Error(`the 3D view needs WebGL, which this browser could not start (${e instanceof Error ? e.message : e})`);
    }
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.renderer.toneMapping = THREE.ACESFilmicToneMapping;
    this.renderer.domElement.classList.add("ft-canvas");
    container.append(this.renderer.domElement);
    this.labels = opts.labels === false ? null : new Labels(container);

    this.camera = new THREE.PerspectiveCamera(45, 1, 0.05, 600);
    this.camera.position.set(7, 6, 9);
    this.controls = new OrbitControls(this.camera, this.renderer.domElement);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.maxPolarAngle = Math.PI * 0.495;
    this.controls.minDistance = 0.3;
    this.controls.maxDistance = 300;
    this.controls.target.set(0, 0.6, 0);
    this.controls.addEventListener("start", () => (this.flight = null));

    this.scene.background = new THREE.Color("#0f1419");
    const pmrem = new THREE.PMREMGenerator(this.renderer);
    this.envMap = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
    pmrem.dispose();
    this.scene.environment = this.envMap;
    this.scene.environmentIntensity = 0.8;
    this.scene.add(new THREE.HemisphereLight("#dfe9f5", "#2a3036", 1.1));
    const sun = new THREE.DirectionalLight("#ffffff", 1.6);
    sun.position.set(6, 12, 8);
    this.scene.add(sun);

    this.floor = new THREE.Mesh(new THREE.PlaneGeometry(1, 1).rotateX(-Math.PI / 2), new THREE.MeshStandardMaterial({ color: "#161d25", roughness: 0.95, metalness: 0 }));
    this.floor.position.y = -0.002;
    this.floor.userData.noPick = true;
    this.scene.add(this.floor);
    this.grid = this.makeGrid(20);

    this.listen();
    this.resize();
    this.raf = requestAnimationFrame(this.tick);
  }

  /** Adds (or moves) the machine of a twin; `kind` names its model file. */
  async addMachine(twinId: string, kind: string, position: THREE.Vector3, rotationY = 0): Promise<void> {
    const have = this.list.get(twinId);
    if (have && have.kind === kind) {
      have.root.position.copy(position);
      have.root.rotation.set(0, rotationY, 0);
      this.changed(true);
      return;
    }
    const seq = ++this.loadSeq;
    this.loading.set(twinId, seq);
    const m = await model(kind);
    // Removed, replaced or disposed while the model loaded.
    if (this.disposed || this.loading.get(twinId) !== seq) return;
    this.loading.delete(twinId);
    if (this.list.has(twinId)) this.removeMachine(twinId);
    this.list.set(twinId, this.build(twinId, m, position, rotationY));
    for (const h of this.highlights) if (h.twinId === twinId) this.glow(h.twinId, h.part);
    this.changed(true);
  }

  private build(twinId: string, m: Model, position: THREE.Vector3, rotationY: number): Machine {
    const root = new THREE.Group();
    root.name = `machine:${twinId}`;
    root.userData.twinId = twinId;
    root.position.copy(position);
    root.rotation.y = rotationY;
    const body = m.root.clone(true);
    // Near: every part; far: the model merged into one mesh (picking still tests the parts).
    const lod = new THREE.LOD();
    lod.addLevel(body, 0);
    const far = new THREE.Mesh(m.far.geometry, m.far.material);
    far.userData.noPick = true;
    lod.addLevel(far, Math.max(FAR_MIN, m.size.length() * FAR_PER_METRE), 0.1);
    lod.autoUpdate = !this.xray;
    root.add(lod);
    const parts = new Map<string, THREE.Object3D>();
    const meshes: PartMesh[] = [];
    const shells = new Set(m.shells);
    body.traverse((o) => {
      if (typeof o.userData.part === "string") parts.set(o.userData.part, o);
      if (o instanceof THREE.Mesh) {
        let p: THREE.Object3D | null = o;
        while (p && typeof p.userData.part !== "string") p = p.parent;
        const part = (p?.userData.part as string | undefined) ?? null;
        meshes.push({ mesh: o, part, shell: part !== null && shells.has(part), base: o.material as THREE.Material });
      }
    });
    meshes.push({ mesh: far, part: null, shell: false, base: far.material as THREE.Material });
    let pad: THREE.Mesh | null = null;
    // Only machines standing on the floor get a state pad (not sensors on a machine).
    if (position.y < 0.05) {
      let g = this.padGeometries.get(m.kind);
      if (!g) {
        g = new THREE.PlaneGeometry(m.size.x + 0.5, m.size.z + 0.5).rotateX(-Math.PI / 2);
        this.padGeometries.set(m.kind, g);
      }
      const centre = new THREE.Box3().setFromObject(m.root).getCenter(new THREE.Vector3());
      pad = new THREE.Mesh(g, this.looks.pad("normal"));
      pad.position.set(centre.x, 0.004, centre.z);
      pad.userData.noPick = true;
      pad.renderOrder = -1;
      root.add(pad);
    }
    const machine: Machine = { twinId, kind: m.kind, model: m, root, body, lod, parts, meshes, state: "normal", partStates: new Map(), pad, glows: [] };
    this.scene.add(root);
    this.applyLooks(machine);
    return machine;
  }

  /** Removes a twin's machine with its labels, highlights and attached markers. */
  removeMachine(twinId: string): void {
    this.loading.delete(twinId);
    const m = this.list.get(twinId);
    if (!m) return;
    this.labels?.removeTwin(twinId);
    for (const g of m.glows) g.removeFromParent();
    for (const [id, g] of this.markerObjs) if (g.parent === m.root) this.removeMarker(id);
    m.root.removeFromParent();
    this.list.delete(twinId);
    this.changed();
  }

  /** The twins with a machine in the scene. */
  machines(): string[] {
    return [...this.list.keys()];
  }

  /** The model kind and part names of a twin's machine. */
  machineInfo(twinId: string): { kind: string; parts: string[]; shells: string[]; size: THREE.Vector3 } | null {
    const m = this.list.get(twinId);
    return m ? { kind: m.kind, parts: m.model.parts, shells: m.model.shells, size: m.model.size.clone() } : null;
  }

  /** Whether a part sits inside one of its machine's shells, so only X-ray shows it. */
  isInternal(twinId: string, part: string): boolean {
    const m = this.list.get(twinId);
    if (!m || m.model.shells.includes(part)) return false;
    const c = this.partBox(twinId, part)?.getCenter(new THREE.Vector3());
    return !!c && m.model.shells.some((s) => this.partBox(twinId, s)?.containsPoint(c));
  }

  /** The world bounding box of a machine or one of its parts. */
  partBox(twinId: string, part: string | null = null): THREE.Box3 | null {
    const m = this.list.get(twinId);
    if (!m) return null;
    const obj = part ? m.parts.get(part) : m.body;
    m.root.updateMatrixWorld(true);
    return obj ? new THREE.Box3().setFromObject(obj) : null;
  }

  /** Colours a machine (part null) or one part by state. */
  setPartState(twinId: string, part: string | null, state: State): void {
    const m = this.list.get(twinId);
    if (!m) return;
    if (part === null) m.state = state;
    else if (state === "normal") m.partStates.delete(part);
    else m.partStates.set(part, state);
    this.applyLooks(m);
    this.changed();
  }

  private applyLooks(m: Machine): void {
    let worst = m.state;
    for (const s of m.partStates.values()) if (severity(s) > severity(worst)) worst = s;
    for (const pm of m.meshes) {
      // The far mesh has no parts, so it shows the machine's worst state.
      const state = pm.part ? m.partStates.get(pm.part) || m.state : pm.mesh === m.lod.levels[1]?.object ? worst : m.state;
      pm.mesh.material = this.looks.variant(pm.base, state, !this.xray ? "off" : pm.shell ? "shell" : "inner");
    }
    if (m.pad) m.pad.material = this.looks.pad(worst);
    // X-ray is for looking inside, so it keeps every machine in full detail.
    m.lod.autoUpdate = !this.xray;
    if (this.xray) m.lod.levels.forEach((l, i) => (l.object.visible = i === 0));
  }

  /** X-ray: shells turn translucent (and let clicks through) so the parts inside show. */
  setXray(on: boolean): void {
    this.xray = on;
    this.container.toggleAttribute("data-xray", on);
    for (const m of this.list.values()) this.applyLooks(m);
    this.changed();
  }

  /** Whether X-ray is on. */
  get xrayOn(): boolean {
    return this.xray;
  }

  /** Highlights a part (or a whole machine): it pulses and shows through shells. */
  highlight(twinId: string, part: string | null): void {
    if (this.highlights.some((h) => h.twinId === twinId && h.part === part)) return;
    this.highlights.push({ twinId, part });
    this.glow(twinId, part);
    this.reflectHighlights();
    this.changed();
  }

  private glow(twinId: string, part: string | null): void {
    const m = this.list.get(twinId);
    if (!m) return;
    if (this.labels) {
      // A beacon that stays a few pixels wide however far away the part is.
      const el = document.createElement("div");
      el.className = "ft-beacon";
      const beacon = new CSS2DObject(el);
      const box = this.partBox(twinId, part);
      if (box) beacon.position.copy(m.root.worldToLocal(box.getCenter(new THREE.Vector3())));
      m.root.add(beacon);
      m.glows.push(beacon);
    }
    const size = this.partBox(twinId, part)?.getSize(new THREE.Vector3()).length() ?? 1;
    // The halo is a rim of about a centimetre and a half, whatever the part's size.
    const rim = 1 + Math.min(0.15, 0.03 / Math.max(size, 0.01));
    for (const pm of m.meshes) {
      if (part !== null && pm.part !== part) continue;
      for (const [mat, scale] of [[this.looks.glow, 1], [this.looks.halo, rim]] as const) {
        const g = new THREE.Mesh(pm.mesh.geometry, mat);
        g.renderOrder = 999;
        g.userData.noPick = true;
        // Parts are centred on their node, so scaling grows the halo around the part.
        g.scale.setScalar(scale);
        pm.mesh.add(g);
        m.glows.push(g);
      }
    }
  }

  /** Removes one highlight. */
  unhighlight(twinId: string, part: string | null): void {
    const i = this.highlights.findIndex((h) => h.twinId === twinId && h.part === part);
    if (i < 0) return;
    this.highlights.splice(i, 1);
    const m = this.list.get(twinId);
    if (m) {
      for (const g of m.glows) g.removeFromParent();
      m.glows = [];
      for (const h of this.highlights) if (h.twinId === twinId) this.glow(twinId, h.part);
    }
    this.reflectHighlights();
    this.changed();
  }

  /** Removes every highlight. */
  clearHighlight(): void {
    this.highlights.length = 0;
    for (const m of this.list.values()) {
      for (const g of m.glows) g.removeFromParent();
      m.glows = [];
    }
    this.reflectHighlights();
    this.changed();
  }

  /** What is highlighted. */
  highlighted(): { twinId: string; part: string | null }[] {
    return this.highlights.map((h) => ({ ...h }));
  }

  private reflectHighlights(): void {
    const v = this.highlights.map((h) => `${h.twinId}:${h.part ?? ""}`).join(" ");
    if (v) this.container.setAttribute("data-highlight", v);
    else this.container.removeAttribute("data-highlight");
  }

  /** Sets a live value on the label card of a machine (part null) or part. */
  setLabel(twinId: string, part: string | null, key: string, text: string, state?: State): void {
    const m = this.list.get(twinId);
    if (!m || !this.labels) return;
    this.labels.set(twinId, part, key, text, state, m.root, this.anchor(m, part));
  }

  /** Titles a label card (by default the twin id, or the part name); `state` colours its border. */
  setLabelTitle(twinId: string, part: string | null, title: string, state?: State): void {
    this.labels?.title(twinId, part, title, state);
  }

  /** Removes a label row, a card (key null) or every card of a twin (part undefined). */
  clearLabel(twinId: string, part?: string | null, key: string | null = null): void {
    if (part === undefined) this.labels?.removeTwin(twinId);
    else this.labels?.remove(twinId, part, key);
  }

  /** Where a card sits, in machine coordinates: above the part, or above the machine. */
  private anchor(m: Machine, part: string | null): THREE.Vector3 {
    m.root.updateMatrixWorld(true);
    const obj = part ? m.parts.get(part) : m.body;
    const box = new THREE.Box3().setFromObject(obj ?? m.body);
    const top = new THREE.Vector3((box.min.x + box.max.x) / 2, box.max.y + (part ? 0.02 : 0.15), (box.min.z + box.max.z) / 2);
    return m.root.worldToLocal(top);
  }

  /** Flies the camera to a machine or one of its parts. */
  focus(twinId: string, part?: string | null): void {
    const box = this.partBox(twinId, part ?? null);
    if (!box || box.isEmpty()) return;
    // A small part is shown with some of its machine around it.
    this.flyTo([box], true, part ? 0.5 : 0.15, part ? 1.6 : 1.1);
  }

  /** Frames every machine. */
  frameAll(): void {
    const boxes = [...this.list.keys()].map((id) => this.partBox(id)!).filter((b) => !b.isEmpty());
    if (boxes.length) this.flyTo(boxes, false);
  }

  private flyTo(boxes: THREE.Box3[], animate = true, minRadius = 0.15, margin = 1.1): void {
    const centre = boxes.reduce((u, b) => u.union(b), new THREE.Box3()).getCenter(new THREE.Vector3());
    const dir = this.camera.position.clone().sub(this.controls.target).normalize();
    if (dir.y < 0.35) dir.setY(0.35).normalize();
    // The distance at which every corner of the box is inside the view.
    const right = new THREE.Vector3().crossVectors(new THREE.Vector3(0, 1, 0), dir).normalize();
    const up = new THREE.Vector3().crossVectors(dir, right);
    const tanV = Math.tan(THREE.MathUtils.degToRad(this.camera.fov) / 2);
    const tanH = tanV * this.camera.aspect;
    let fit = minRadius / Math.min(tanV, tanH);
    // Each machine's own corners, not the plant's: those can be empty floor.
    for (const box of boxes)
      for (const x of [box.min.x, box.max.x])
        for (const y of [box.min.y, box.max.y])
          for (const z of [box.min.z, box.max.z]) {
            const p = new THREE.Vector3(x, y, z).sub(centre);
            const depth = p.dot(dir);
            fit = Math.max(fit, depth + Math.abs(p.dot(right)) / tanH, depth + Math.abs(p.dot(up)) / tanV);
          }
    const to = { position: centre.clone().addScaledVector(dir, fit * margin), target: centre };
    if (!animate) {
      this.camera.position.copy(to.position);
      this.controls.target.copy(to.target);
      this.controls.update();
      this.changed();
      return;
    }
    this.flight = new Flight({ position: this.camera.position.clone(), target: this.controls.target.clone() }, to, performance.now());
    this.changed();
  }

  /** A world point in a machine's own coordinates (stays valid when the machine moves). */
  toLocal(twinId: string, world: THREE.Vector3): THREE.Vector3 {
    const m = this.list.get(twinId);
    if (!m) return world.clone();
    m.root.updateMatrixWorld(true);
    return m.root.worldToLocal(world.clone());
  }

  /** A machine-local point in world coordinates. */
  toWorld(twinId: string, local: THREE.Vector3): THREE.Vector3 {
    const m = this.list.get(twinId);
    if (!m) return local.clone();
    m.root.updateMatrixWorld(true);
    return m.root.localToWorld(local.clone());
  }

  /** Adds (or replaces) a marker; with `twinId` it moves with that machine. */
  addMarker(id: string, o: MarkerOptions): void {
    this.removeMarker(id);
    const m = o.twinId ? this.list.get(o.twinId) : undefined;
    let dir = o.direction;
    if (m && dir) {
      m.root.updateMatrixWorld(true);
      dir = dir.clone().applyQuaternion(m.root.getWorldQuaternion(new THREE.Quaternion()).invert());
    }
    const g = buildMarker({ ...o, direction: dir }, this.labels !== null);
    g.userData.markerId = id;
    if (m) {
      g.position.copy(this.toLocal(m.twinId, o.position));
      m.root.add(g);
    } else {
      g.position.copy(o.position);
      this.scene.add(g);
    }
    this.markerObjs.set(id, g);
    this.changed();
  }

  /** Removes a marker. */
  removeMarker(id: string): void {
    const g = this.markerObjs.get(id);
    if (!g) return;
    disposeMarker(g);
    this.markerObjs.delete(id);
    this.changed();
  }

  /** Calls `cb` when a machine is clicked; returns the unsubscribe function. */
  onPick(cb: (hit: Hit) => void): () => void {
    this.pickers.add(cb);
    return () => this.pickers.delete(cb);
  }

  /** Calls `cb` as the pointer moves over machines (null when it leaves them); throttled. */
  onHover(cb: (hit: Hit | null) => void): () => void {
    this.hoverers.add(cb);
    return () => this.hoverers.delete(cb);
  }

  /** What is under a point of the canvas (client coordinates). */
  pick(clientX: number, clientY: number): Hit | null {
    const r = this.renderer.domElement.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    const ray = new THREE.Raycaster();
    ray.setFromCamera(ndc, this.camera);
    const bodies = [...this.list.values()].filter((m) => m.root.visible).map((m) => m.body);
    for (const x of ray.intersectObjects(bodies, true)) {
      const o = x.object;
      if (o.userData.noPick || !(o instanceof THREE.Mesh)) continue;
      let machine: THREE.Object3D | null = o;
      let part: string | null = null;
      while (machine && machine.userData.twinId === undefined) {
        if (part === null && typeof machine.userData.part === "string") part = machine.userData.part;
        machine = machine.parent;
      }
      if (!machine) continue;
      const m = this.list.get(machine.userData.twinId as string);
      if (this.xray && part && m?.model.shells.includes(part)) continue;
      return { twinId: machine.userData.twinId as string, part, point: x.point.clone() };
    }
    return null;
  }

  private listen(): void {
    const el = this.renderer.domElement;
    const on = <K extends keyof HTMLElementEventMap>(t: EventTarget, type: K, f: (e: HTMLElementEventMap[K]) => void) => {
      t.addEventListener(type, f as EventListener);
      this.cleanups.push(() => t.removeEventListener(type, f as EventListener));
    };
    on(el, "pointerdown", (e) => (this.down = { x: e.clientX, y: e.clientY }));
    on(el, "pointerup", (e) => {
      const d = this.down;
      this.down = null;
      if (!d || Math.hypot(e.clientX - d.x, e.clientY - d.y) > CLICK_SLOP || this.pickers.size === 0) return;
      const hit = this.pick(e.clientX, e.clientY);
      if (hit) for (const cb of this.pickers) cb(hit);
    });
    on(el, "pointermove", (e) => (this.hoverEvent = e));
    on(el, "pointerleave", () => {
      this.hoverEvent = null;
      this.setHover(null);
    });
    const ro = new ResizeObserver(() => this.resize());
    ro.observe(this.container);
    this.cleanups.push(() => ro.disconnect());
    const io = new IntersectionObserver((entries) => this.setVisible(entries[entries.length - 1].isIntersecting && !document.hidden));
    io.observe(this.container);
    this.cleanups.push(() => io.disconnect());
    const onVisibility = () => this.setVisible(!document.hidden);
    document.addEventListener("visibilitychange", onVisibility);
    this.cleanups.push(() => document.removeEventListener("visibilitychange", onVisibility));
  }

  private setHover(hit: Hit | null): void {
    const key = hit ? `${hit.twinId}:${hit.part}` : null;
    this.renderer.domElement.style.cursor = hit && this.pickers.size ? "pointer" : "";
    if (hit === null && this.hovered === null) return;
    this.hovered = key;
    for (const cb of this.hoverers) cb(hit);
  }

  /** Asks for a redraw. */
  changed(layout = false): void {
    this.dirty = true;
    if (layout) this.fitFloor();
  }

  private setVisible(v: boolean): void {
    if (v === this.visible) return;
    this.visible = v;
    cancelAnimationFrame(this.raf);
    if (v && !this.disposed && !this.inAR) {
      this.dirty = true;
      this.raf = requestAnimationFrame(this.tick);
    }
  }

  private resize(): void {
    const w = Math.max(1, this.container.clientWidth);
    const h = Math.max(1, this.container.clientHeight);
    if (this.inAR) return;
    this.renderer.setSize(w, h);
    this.labels?.renderer.setSize(w, h);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  private tick = (now: number): void => {
    if (this.disposed || this.inAR) return;
    this.raf = requestAnimationFrame(this.tick);
    if (!this.visible) return;
    if (this.flight) {
      const done = this.flight.step(now, this.camera.position, this.controls.target);
      if (done) this.flight = null;
      this.dirty = true;
    }
    if (this.controls.update()) this.dirty = true;
    this.frame(now);
    if (this.hoverEvent && this.hoverers.size + this.pickers.size > 0 && now - this.lastHover > HOVER_MS) {
      this.lastHover = now;
      const e = this.hoverEvent;
      this.hoverEvent = null;
      this.setHover(this.pick(e.clientX, e.clientY));
    }
    if (this.dirty || this.continuous > 0) {
      this.dirty = false;
      this.render();
    }
  };

  /** Work done every frame, in the page or in AR. */
  private frame(now: number): void {
    if (this.highlights.length && now - this.lastPulse > PULSE_MS) {
      this.lastPulse = now;
      this.looks.pulse(now / 1000);
      this.dirty = true;
    }
    const cam = this.inAR ? this.renderer.xr.getCamera() : this.camera;
    this.labels?.flush(cam, now);
    for (const g of this.markerObjs.values()) {
      g.traverse((o) => {
        if (!o.userData.faceCamera) return;
        const parent = o.parent!.getWorldQuaternion(new THREE.Quaternion()).invert();
        o.quaternion.copy(parent.multiply(cam.quaternion));
      });
    }
  }

  private render(): void {
    this.frames++;
    this.renderer.render(this.scene, this.camera);
    this.labels?.renderer.render(this.scene, this.camera);
  }

  private makeGrid(size: number): THREE.GridHelper {
    const g = new THREE.GridHelper(size, size, "#3a4654", "#232d37");
    g.userData.noPick = true;
    this.scene.add(g);
    this.floor.scale.set(size * 1.6, 1, size * 1.6);
    this.gridSize = size;
    return g;
  }

  /** Grows or shrinks the floor to the machines on it. */
  private fitFloor(): void {
    const box = new THREE.Box3();
    for (const m of this.list.values()) {
      m.root.updateMatrixWorld(true);
      box.expandByObject(m.body);
    }
    if (box.isEmpty()) return;
    const extent = Math.max(Math.abs(box.min.x), Math.abs(box.max.x), Math.abs(box.min.z), Math.abs(box.max.z));
    const size = Math.max(10, 2 * Math.ceil(extent + 4));
    if (size === this.gridSize) return;
    this.grid.removeFromParent();
    this.grid.dispose();
    this.grid = this.makeGrid(size);
  }

  /** Renders continuously for `ms` and reports the frame rate and the cost of one frame. */
  measureFps(ms: number): Promise<{ fps: number; frames: number; drawCalls: number; triangles: number }> {
    this.continuous++;
    const start = performance.now();
    const frames0 = this.frames;
    return new Promise((resolve) =>
      setTimeout(() => {
        this.continuous--;
        const frames = this.frames - frames0;
        const secs = (performance.now() - start) / 1000;
        const info = this.renderer.info.render;
        resolve({ fps: Math.round((frames / secs) * 10) / 10, frames, drawCalls: info.calls, triangles: info.triangles });
      }, ms),
    );
  }

  /** Whether this device can show AR (WebXR immersive-ar). */
  static async arSupported(): Promise<boolean> {
    return arSupported();
  }

  /**
   * Starts AR: tap a detected surface to place the machine at real size.
   * `twinId` defaults to the highlighted machine, else the first;
   * `guidance` is shown in the AR overlay (the current step, say).
   */
  async enterAR(opts: { twinId?: string; guidance?: HTMLElement } = {}): Promise<void> {
    const id = opts.twinId ?? this.highlights[0]?.twinId ?? this.machines()[0];
    const m = id ? this.list.get(id) : undefined;
    if (!m) throw new Error("there is no machine in the scene to place in AR");
    await startAR(
      {
        renderer: this.renderer,
        scene: this.scene,
        camera: this.camera,
        arMode: (on, target) => this.arMode(on, target),
        frame: (now) => this.frame(now),
      },
      m.root,
      opts.guidance,
    );
  }

  private arMode(on: boolean, target: THREE.Object3D): void {
    this.inAR = on;
    this.floor.visible = !on;
    this.grid.visible = !on;
    for (const m of this.list.values()) {
      if (m.root !== target) m.root.visible = !on;
      if (m.pad) m.pad.visible = !on;
    }
    this.labels?.useSprites(on, target.userData.twinId as string);
    if (!on && !this.disposed) {
      this.resize();
      this.raf = requestAnimationFrame(this.tick);
    }
  }

  /** Stops rendering and frees the GPU resources and DOM of the viewer. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    cancelAnimationFrame(this.raf);
    void this.renderer.xr.getSession()?.end();
    for (const c of this.cleanups) c();
    for (const id of [...this.markerObjs.keys()]) this.removeMarker(id);
    for (const id of this.machines()) this.removeMachine(id);
    this.controls.dispose();
    this.labels?.dispose();
    this.looks.dispose();
    for (const g of this.padGeometries.values()) g.dispose();
    this.grid.dispose();
    this.floor.geometry.dispose();
    (this.floor.material as THREE.Material).dispose();
    this.envMap.dispose();
    void releaseModels();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
    this.renderer.domElement.remove();
    this.container.classList.remove("ft-viewer");
    this.container.removeAttribute("data-highlight");
    this.container.removeAttribute("data-xray");
  }
}

function severity(s: State): number {
  return ["normal", "anomaly", "warning", "alarm"].indexOf(s);
}
