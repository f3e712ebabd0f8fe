// A two-spool high-bypass turbofan (CFM56 class, 1.55 m fan) on its
// transport stand: fan and booster (LPC), nine-stage HPC, annular
// combustor, one-stage HPT, four-stage LPT, core nozzle and plug, inside
// the core cowl and the nacelle. Engine axis along +x (inlet at -x),
// origin on the floor under the engine, metres.
//
// Parts: stand, fan, lpc, hpc, combustor, hpt, lpt, nozzle, core (core
// cowl, shell), casing (nacelle and fan case, shell).

import * as THREE from "three";
import { box, cyl, material, part, repeat, revolve } from "./shapes.mjs";

const H = 1.35;

const nacelle = material("nacelle-paint", "#d9dcdf", 0.25, 0.45);
const cowl = material("core-cowl", "#9ca3aa", 0.6, 0.4);
const titanium = material("titanium", "#aab0b7", 0.9, 0.3, { doubleSided: true });
const spinner = material("spinner", "#2a2c30", 0.4, 0.35);
const compressor = material("compressor-steel", "#8e99a6", 0.9, 0.32, { doubleSided: true });
const hot = material("combustor-alloy", "#8d765e", 0.8, 0.45);
const nickel = material("turbine-nickel", "#a3917e", 0.85, 0.38, { doubleSided: true });
const exhaust = material("exhaust-alloy", "#7a716a", 0.8, 0.5, { doubleSided: true });
const yellow = material("stand-yellow", "#e1b21f", 0.2, 0.55);
const rubber = material("rubber", "#1d1f22", 0.0, 0.8);

/** A ring of `n` flat blades at `x`, hub to tip, staggered and twisted. */
function bladeRow(n, x, hub, tip, chord, stagger, twist = 0) {
  return repeat(n, (i) => {
    const g = new THREE.PlaneGeometry(chord, tip - hub, 1, twist ? 4 : 1);
    const p = g.attributes.position;
    for (let k = 0; k < p.count; k++) {
      const s = (p.getY(k) + (tip - hub) / 2) / (tip - hub);
      const a = stagger + twist * s;
      const cx = p.getX(k);
      p.setXYZ(k, cx * Math.cos(a), p.getY(k) + (hub + tip) / 2, cx * Math.sin(a));
    }
    g.computeVertexNormals();
    g.rotateX((i / n) * Math.PI * 2);
    return g.translate(x, H, 0);
  });
}

function stand() {
  const post = (x, z, top) => box(0.08, top - 0.18, 0.08, [x, 0.18 + (top - 0.18) / 2, z]);
  return part("stand", [
    [
      yellow,
      [
        box(2.2, 0.1, 0.1, [0, 0.13, 0.55]),
        box(2.2, 0.1, 0.1, [0, 0.13, -0.55]),
        box(0.1, 0.1, 1.2, [-0.95, 0.13, 0]),
        box(0.1, 0.1, 1.2, [0.95, 0.13, 0]),
        post(-0.75, 0.38, 0.52), post(-0.75, -0.38, 0.52), box(0.1, 0.06, 0.86, [-0.75, 0.36, 0]),
        post(0.45, 0.28, 0.96), post(0.45, -0.28, 0.96), box(0.1, 0.06, 0.66, [0.45, 0.84, 0]),
        box(1.2, 0.06, 0.06, [-0.15, 0.21, 0.33]), box(1.2, 0.06, 0.06, [-0.15, 0.21, -0.33]),
      ],
    ],
    [rubber, [[-1, 1].flatMap((sx) => [-1, 1].map((sz) => cyl(0.07, 0.07, 0.05, [sx * 1.0, 0.07, sz * 0.55], "z", 14)))]],
  ]);
}

function casing() {
  const outer = [[0.845, -1.37], [0.885, -1.34], [0.915, -1.24], [0.93, -1.0], [0.93, -0.5], [0.905, -0.1], [0.85, 0.18], [0.775, 0.38]];
  const inner = [[0.758, 0.37], [0.785, 0.1], [0.797, -0.2], [0.797, -0.88], [0.802, -1.1], [0.808, -1.25], [0.82, -1.34]];
  const ogv = repeat(14, (i) => {
    const g = box(0.09, 0.35, 0.012, [0, 0.62, 0], [0, 0.35, 0]);
    g.rotateX((i / 14) * Math.PI * 2);
    return g.translate(-0.5, H, 0);
  });
  return part(
    "casing",
    [
      [
        nacelle,
        [
          revolve(outer, [0, H, 0], "x", 36, true),
          revolve(inner, [0, H, 0], "x", 36, true),
          revolve([[0.775, 0.38], [0.758, 0.37]], [0, H, 0], "x", 36),
          revolve([[0.82, -1.34], [0.845, -1.37]], [0, H, 0], "x", 36),
        ],
      ],
      [cowl, [ogv]],
    ],
    true,
  );
}

function fan() {
  const blades = repeat(22, (i) => {
    // A wide-chord blade: flat, twisted from root to tip.
    const g = new THREE.PlaneGeometry(0.2, 0.5, 1, 5);
    const p = g.attributes.position;
    for (let k = 0; k < p.count; k++) {
      const s = (p.getY(k) + 0.25) / 0.5;
      const a = 0.55 + 0.55 * s;
      const cx = p.getX(k);
      p.setXYZ(k, cx * Math.cos(a), p.getY(k) + 0.275 + 0.25, cx * Math.sin(a));
    }
    g.computeVertexNormals();
    g.rotateX((i / 22) * Math.PI * 2);
    return g.translate(-0.93, H, 0);
  });
  return part("fan", [
    [titanium, [blades, revolve([[0.27, -0.86], [0.285, -0.95], [0.285, -0.99]].reverse(), [0, H, 0], "x", 32)]],
    [spinner, [revolve([[0, -1.14], [0.07, -1.11], [0.16, -1.05], [0.23, -0.99], [0.27, -0.93], [0.28, -0.86]], [0, H, 0], "x", 32, true)]],
  ]);
}

function lpc() {
  return part("lpc", [
    [
      compressor,
      [
        revolve([[0.28, -0.86], [0.3, -0.8], [0.3, -0.58], [0.26, -0.5]], [0, H, 0], "x", 32),
        bladeRow(26, -0.78, 0.3, 0.405, 0.045, 0.6),
        bladeRow(26, -0.7, 0.3, 0.39, 0.04, 0.6),
        bladeRow(26, -0.62, 0.3, 0.37, 0.035, 0.6),
      ],
    ],
  ]);
}

function hpc() {
  const stages = Array.from({ length: 9 }, (_, i) => {
    const x = -0.42 + i * 0.055;
    const hub = 0.22 + 0.025 * (i / 8);
    const tip = 0.33 - 0.065 * (i / 8);
    return bladeRow(24, x, hub, tip, 0.035 - 0.0015 * i, 0.7);
  });
  return part("hpc", [[compressor, [revolve([[0.215, -0.46], [0.222, -0.42], [0.25, 0.04], [0.24, 0.08]], [0, H, 0], "x", 32), stages]]]);
}

function combustor() {
  const nozzles = repeat(16, (i) => {
    const g = cyl(0.012, 0.012, 0.06, [0.1, 0.305, 0], "x", 6, true);
    g.rotateX((i / 16) * Math.PI * 2);
    return g.translate(0, H, 0);
  });
  return part("combustor", [
    [
      hot,
      [
        revolve([[0.27, 0.08], [0.33, 0.08], [0.355, 0.12], [0.355, 0.3], [0.335, 0.37], [0.255, 0.37], [0.24, 0.3], [0.24, 0.12], [0.27, 0.08]], [0, H, 0], "x", 32),
        nozzles,
      ],
    ],
  ]);
}

function hpt() {
  return part("hpt", [
    [
      nickel,
      [
        revolve([[0.08, 0.39], [0.215, 0.39], [0.215, 0.45], [0.08, 0.45], [0.08, 0.39]], [0, H, 0], "x", 32),
        bladeRow(36, 0.395, 0.24, 0.34, 0.03, -0.6),
        bladeRow(44, 0.43, 0.215, 0.34, 0.028, 0.7),
      ],
    ],
  ]);
}

function lpt() {
  const stages = Array.from({ length: 4 }, (_, i) => bladeRow(40, 0.52 + i * 0.08, 0.235, 0.36 + 0.016 * i, 0.03, 0.7));
  return part("lpt", [[nickel, [revolve([[0.2, 0.48], [0.235, 0.5], [0.235, 0.8], [0.2, 0.84]], [0, H, 0], "x", 32), stages]]]);
}

function nozzle() {
  return part("nozzle", [
    [
      exhaust,
      [
        revolve([[0.43, 0.86], [0.395, 1.05], [0.36, 1.2]], [0, H, 0], "x", 40, true),
        revolve([[0.235, 0.84], [0.22, 0.95], [0.17, 1.15], [0.08, 1.36], [0, 1.45]], [0, H, 0], "x", 32, true),
      ],
    ],
  ]);
}

function core() {
  const outer = [[0.43, -0.84], [0.47, -0.66], [0.48, -0.3], [0.47, 0.2], [0.455, 0.6], [0.44, 0.86]];
  const inner = [[0.42, 0.86], [0.415, 0.6], [0.4, 0.46], [0.37, 0.38], [0.37, 0.1], [0.3, 0.04], [0.34, -0.44], [0.4, -0.6], [0.415, -0.84]];
  return part(
    "core",
    [
      [
        cowl,
        [
          revolve(outer, [0, H, 0], "x", 32, true),
          revolve(inner, [0, H, 0], "x", 32, true),
          revolve([[0.44, 0.86], [0.42, 0.86]], [0, H, 0], "x", 32),
          revolve([[0.415, -0.84], [0.43, -0.84]], [0, H, 0], "x", 32),
        ],
      ],
    ],
    true,
  );
}

/** The turbofan's parts. */
export function turbofan() {
  return {
    kind: "turbofan",
    description: "two-spool high-bypass turbofan engine on a transport stand",
    parts: [stand(), fan(), lpc(), hpc(), combustor(), hpt(), lpt(), nozzle(), core(), casing()],
  };
}
