// Markers placed in the scene by people: a pointer (where someone is
// pointing now), a pin (a spot worth coming back to) and an arrow (look
// here, from this side). Each is a small group of meshes with an optional
// label; the viewer parents it to a machine when it belongs to one.

import * as THREE from "three";
import { CSS2DObject } from "three/addons/renderers/CSS2DRenderer.js";

export type MarkerKind = "pointer" | "pin" | "arrow";

/** What `Viewer.addMarker` takes. */
export interface MarkerOptions {
  /** The machine it stays attached to, if any. */
  twinId?: string;
  /** Where it points, in world coordinates. */
  position: THREE.Vector3;
  color: string;
  kind: MarkerKind;
  label?: string;
  /** For arrows: the direction it points in (world); downwards if not given. */
  direction?: THREE.Vector3;
}

const UP = new THREE.Vector3(0, 1, 0);

/** Builds a marker whose tip is at the group's origin. */
export function buildMarker(o: MarkerOptions, withLabel: boolean): THREE.Group {
  const g = new THREE.Group();
  g.name = `marker:${o.kind}`;
  const mat = new THREE.MeshBasicMaterial({ color: o.color, depthTest: false, transparent: true, opacity: 0.95 });
  const add = (geo: THREE.BufferGeometry, at?: THREE.Vector3) => {
    const m = new THREE.Mesh(geo, mat);
    if (at) m.position.copy(at);
    m.renderOrder = 900;
    m.userData.noPick = true;
    g.add(m);
    return m;
  };
  let top = 0.1;
  if (o.kind === "pointer") {
    add(new THREE.SphereGeometry(0.03, 12, 8));
    const ring = add(new THREE.RingGeometry(0.05, 0.065, 24));
    ring.userData.faceCamera = true;
    top = 0.08;
  } else if (o.kind === "pin") {
    add(new THREE.ConeGeometry(0.02, 0.18, 10).rotateX(Math.PI), new THREE.Vector3(0, 0.09, 0));
    add(new THREE.SphereGeometry(0.05, 14, 10), new THREE.Vector3(0, 0.21, 0));
    top = 0.28;
  } else {
    const dir = (o.direction ?? new THREE.Vector3(0, -1, 0)).clone().normalize();
    const shaft = new THREE.CylinderGeometry(0.015, 0.015, 0.3, 10).translate(0, 0.25, 0);
    const head = new THREE.ConeGeometry(0.045, 0.1, 12).rotateX(Math.PI).translate(0, 0.05, 0);
    const arrow = new THREE.Group();
    arrow.add(add(shaft), add(head));
    // The arrow is built pointing down; turn it to point along `dir`.
    arrow.quaternion.setFromUnitVectors(new THREE.Vector3(0, -1, 0), dir);
    g.add(arrow);
    top = 0.42;
    g.userData.direction = dir;
  }
  if (o.label && withLabel) {
    const el = document.createElement("div");
    el.className = "ft-marker-label";
    el.style.borderColor = o.color;
    el.textContent = o.label;
    const obj = new CSS2DObject(el);
    obj.position.copy(UP).multiplyScalar(top);
    obj.center.set(0.5, 1);
    g.add(obj);
  }
  return g;
}

/** Frees a marker's GPU resources and its label element. */
export function disposeMarker(g: THREE.Object3D): void {
  const mats = new Set<THREE.Material>();
  g.traverse((o) => {
    if (o instanceof THREE.Mesh) {
      o.geometry.dispose();
      mats.add(o.material as THREE.Material);
    }
    if (o instanceof CSS2DObject) o.element.remove();
  });
  for (const m of mats) m.dispose();
  g.removeFromParent();
}
