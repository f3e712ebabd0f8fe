// Lays the plant out on the floor: each site a block, each line a conveyor
// with its machines alternating on both sides facing it, machines in no
// line in rows after the lines. Pure: the same plant gives the same layout.

import * as THREE from "three";
import type { Plant } from "./plant";

/** Where a machine goes. */
export interface Placement {
  twinId: string;
  kind: string;
  position: THREE.Vector3;
  rotationY: number;
}

/** A model's footprint: its bounding box in its own coordinates. */
export type Footprints = Map<string, THREE.Box3>;

/** Clearance between the conveyor and the machines beside it, and between machines (m). */
const GAP = 1.2;
/** Aisle between line blocks and between sites (m). */
const AISLE = 3.5;
const LOOSE_PER_ROW = 6;

/** The position that puts a model's footprint centre at (x, z), turned by `rot`. */
function centred(box: THREE.Box3, x: number, z: number, rot: number): THREE.Vector3 {
  const c = box.getCenter(new THREE.Vector3()).setY(0).applyAxisAngle(new THREE.Vector3(0, 1, 0), rot);
  return new THREE.Vector3(x - c.x, 0, z - c.z);
}

export function layout(plant: Plant, footprints: Footprints): Placement[] {
  const out: Placement[] = [];
  const size = (kind: string) => footprints.get(kind)?.getSize(new THREE.Vector3()) ?? new THREE.Vector3(2, 2, 2);
  const kindOf = (id: string) => plant.machines.get(id)!.kind;
  let z = 0;
  for (const site of plant.sites) {
    for (const line of site.lines) {
      const conveyor = line.drawn ? size("line") : new THREE.Vector3(0, 0, 0.8);
      const depth = Math.max(1, ...line.machines.map((id) => size(kindOf(id)).z));
      const pitch = Math.max(2, ...line.machines.map((id) => size(kindOf(id)).x)) + GAP;
      const sides = [line.machines.filter((_, i) => i % 2 === 0), line.machines.filter((_, i) => i % 2 === 1)];
      const offset = conveyor.z / 2 + GAP + depth / 2;
      const zLine = z + offset + depth / 2;
      if (line.drawn) out.push({ twinId: line.id, kind: "line", position: centred(footprints.get("line")!, 0, zLine, 0), rotationY: 0 });
      sides.forEach((ids, side) => {
        const run = ids.length * pitch;
        ids.forEach((id, i) => {
          const x = -run / 2 + pitch / 2 + i * pitch;
          // Machines face the aisles, where operators work: the far side turned round.
          const rot = side === 0 ? 0 : Math.PI;
          const zc = zLine + (side === 0 ? offset : -offset);
          const kind = kindOf(id);
          out.push({ twinId: id, kind, position: centred(footprints.get(kind) ?? new THREE.Box3(), x, zc, rot), rotationY: rot });
        });
      });
      z = zLine + offset + depth / 2 + AISLE;
    }
    if (site.loose.length) {
      const pitchX = Math.max(2, ...site.loose.map((id) => size(kindOf(id)).x)) + GAP;
      const pitchZ = Math.max(2, ...site.loose.map((id) => size(kindOf(id)).z)) + GAP;
      const cols = Math.min(LOOSE_PER_ROW, site.loose.length);
      site.loose.forEach((id, i) => {
        const col = i % LOOSE_PER_ROW;
        const row = Math.floor(i / LOOSE_PER_ROW);
        const kind = kindOf(id);
        out.push({ twinId: id, kind, position: centred(footprints.get(kind) ?? new THREE.Box3(), (col - (cols - 1) / 2) * pitchX, z + pitchZ / 2 + row * pitchZ, 0), rotationY: 0 });
      });
      z += Math.ceil(site.loose.length / LOOSE_PER_ROW) * pitchZ + AISLE;
    }
    z += AISLE;
  }
  // Centre the whole plant on the origin, where the camera looks first.
  const mid = z / 2;
  for (const p of out) p.position.z -= mid;
  return out;
}
