// How parts look: state colours, X-ray translucency and the highlight glow.
// Variants of a model material are made once per (material, state, x-ray)
// and shared by every machine showing them, so colouring fifty machines
// adds a handful of materials, not fifty.

import * as THREE from "three";

/** A machine's or part's condition, as the colour rules show it. */
export type State = "normal" | "warning" | "alarm" | "anomaly";

/** The colour of each state (the app theme's --ok, --warn, --alarm, --anomaly). */
export const STATE_COLORS: Record<State, string> = {
  normal: "#3fb950",
  warning: "#d29922",
  alarm: "#f85149",
  anomaly: "#bc8cff",
};

/** How strongly a state tints the paint. */
const TINT = 0.45;
/** Opacity of shells in X-ray. */
const SHELL_OPACITY = 0.13;

export class Looks {
  private variants = new Map<string, THREE.Material>();
  private pads = new Map<State, THREE.MeshBasicMaterial>();
  /**
   * The highlight glow on the part's visible surfaces (depth-tested, so
   * overlapping faces do not pile up; X-ray shells write no depth, so
   * internal parts glow through them).
   */
  readonly glow = new THREE.MeshBasicMaterial({
    color: "#ffb627",
    transparent: true,
    opacity: 0.35,
    depthFunc: THREE.LessEqualDepth,
    depthWrite: false,
    blending: THREE.AdditiveBlending,
  });
  /** A faint, slightly larger shell drawn over everything, so a part shows even behind a closed casing. */
  readonly halo = new THREE.MeshBasicMaterial({
    color: "#ffb627",
    transparent: true,
    opacity: 0.3,
    side: THREE.BackSide,
    depthTest: false,
    depthWrite: false,
    blending: THREE.AdditiveBlending,
  });

  /** The material a mesh shows for its base material, state and x-ray role. */
  variant(base: THREE.Material, state: State, xray: "off" | "shell" | "inner"): THREE.Material {
    if (state === "normal" && xray === "off") return base;
    const key = `${base.uuid}|${state}|${xray}`;
    let m = this.variants.get(key);
    if (!m) {
      m = base.clone();
      if (m instanceof THREE.MeshStandardMaterial) {
        if (state !== "normal") {
          const c = new THREE.Color(STATE_COLORS[state]);
          m.color.lerp(c, TINT);
          m.emissive.copy(c).multiplyScalar(0.22);
        }
        if (xray === "shell") {
          m.transparent = true;
          m.opacity = SHELL_OPACITY;
          m.depthWrite = false;
          m.side = THREE.DoubleSide;
        }
      }
      this.variants.set(key, m);
    }
    return m;
  }

  /** The floor pad under a machine, in its state's colour. */
  pad(state: State): THREE.MeshBasicMaterial {
    let m = this.pads.get(state);
    if (!m) {
      m = new THREE.MeshBasicMaterial({ color: STATE_COLORS[state], transparent: true, opacity: state === "normal" ? 0.22 : 0.45, depthWrite: false });
      this.pads.set(state, m);
    }
    return m;
  }

  /** Pulses the glow; `t` in seconds. */
  pulse(t: number): void {
    const k = 0.5 + 0.5 * Math.sin(t * 5);
    this.glow.opacity = 0.25 + 0.35 * k;
    this.halo.opacity = 0.06 + 0.14 * k;
  }

  dispose(): void {
    for (const m of this.variants.values()) m.dispose();
    for (const m of this.pads.values()) m.dispose();
    this.glow.dispose();
    this.halo.dispose();
    this.variants.clear();
    this.pads.clear();
  }
}
