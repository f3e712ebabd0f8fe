// A camera flight: position and orbit target eased from one view to another.

import * as THREE from "three";

/** How long a flight takes. */
const FLIGHT_MS = 800;

interface View {
  position: THREE.Vector3;
  target: THREE.Vector3;
}

export class Flight {
  constructor(
    private from: View,
    private to: View,
    private start: number,
  ) {}

  /** Moves the camera and target to where they are at `now`; true when arrived. */
  step(now: number, position: THREE.Vector3, target: THREE.Vector3): boolean {
    const t = Math.min(1, (now - this.start) / FLIGHT_MS);
    const e = t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2;
    position.lerpVectors(this.from.position, this.to.position, e);
    target.lerpVectors(this.from.target, this.to.target, e);
    return t >= 1;
  }
}
