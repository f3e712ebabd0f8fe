// An end-suction centrifugal pump (DN100/DN80 back-pull-out design) driven
// through a jaw coupling by a 7.5 kW IEC 132 induction motor, both on a
// fabricated baseplate. Shaft along +x (motor at -x, suction at +x), origin
// on the floor under the baseplate's centre, metres.
//
// Parts: baseplate, motor, coupling, shaft, bearing_frame (shell),
// bearing_de (drive end, coupling side, the 6309), bearing_nde, seal,
// impeller, casing (volute, shell), suction_flange, discharge_flange.

import * as THREE from "three";
import { bolts, box, cyl, extrude, material, part, repeat, revolve, sphere, sweep, torus } from "./shapes.mjs";

const AXIS = 0.4;
const X0 = 0.3;
const R0 = 0.108;
const RS = [0.024, 0.055];
const WRAP_END = -Math.PI / 2;
const WRAP = 2 * Math.PI - 0.45;

const blue = material("pump-blue", "#1f57a5", 0.3, 0.55);
const slate = material("motor-paint", "#56687a", 0.3, 0.5);
const dark = material("baseplate-paint", "#33383e", 0.4, 0.6);
const steel = material("steel", "#b8bec6", 0.9, 0.3);
const chrome = material("bearing-steel", "#d8dde3", 1.0, 0.18);
const bronze = material("bronze", "#b08d57", 0.9, 0.35);
const carbon = material("seal-carbon", "#2a2a2c", 0.2, 0.4);
const urethane = material("polyurethane", "#e8782a", 0.0, 0.6);

function baseplate() {
  return part("baseplate", [
    [
      dark,
      [
        box(1.56, 0.02, 0.56, [-0.17, 0.11, 0]),
        box(1.56, 0.1, 0.06, [-0.17, 0.05, 0.25]),
        box(1.56, 0.1, 0.06, [-0.17, 0.05, -0.25]),
        box(0.06, 0.1, 0.44, [-0.92, 0.05, 0]),
        box(0.06, 0.1, 0.44, [0.58, 0.05, 0]),
        box(0.46, 0.146, 0.27, [-0.57, 0.193, 0]),
        bolts(1, 0, 0.016, 0.02, [-0.85, 0.13, 0.22], "y"),
        bolts(1, 0, 0.016, 0.02, [-0.85, 0.13, -0.22], "y"),
        bolts(1, 0, 0.016, 0.02, [0.5, 0.13, 0.22], "y"),
        bolts(1, 0, 0.016, 0.02, [0.5, 0.13, -0.22], "y"),
      ],
    ],
  ]);
}

function motor() {
  const len = 0.44;
  const cx = -0.565;
  const r = 0.125;
  const fins = repeat(22, (i) => {
    const a = (i / 22) * Math.PI * 2;
    // No fins where the feet meet the body.
    if (Math.abs(Math.sin(a) + 1) < 0.35) return null;
    const g = box(len - 0.02, 0.024, 0.005, [0, r + 0.01, 0]);
    g.rotateX(a);
    return g.translate(cx, AXIS, 0);
  });
  return part("motor", [
    [
      slate,
      [
        cyl(r, r, len, [cx, AXIS, 0], "x", 24),
        fins,
        revolve([[0.125, -0.345], [0.12, -0.335], [0.075, -0.335], [0.06, -0.32], [0, -0.32]], [0, AXIS, 0], "x", 24),
        revolve([[0, -0.94], [0.04, -0.94], [0.125, -0.935], [0.138, -0.915], [0.138, -0.79], [0.12, -0.79]], [0, AXIS, 0], "x", 24),
        box(0.17, 0.1, 0.15, [-0.55, AXIS + r + 0.045, 0]),
        box(0.19, 0.015, 0.17, [-0.55, AXIS + r + 0.1, 0]),
        cyl(0.014, 0.014, 0.04, [-0.55, AXIS + r + 0.04, 0.09], "z", 8),
        torus(0.022, 0.006, [-0.74, AXIS + r + 0.02, 0], "z", 6, 12),
        box(0.07, 0.05, 0.26, [-0.73, AXIS - 0.107, 0]),
        box(0.07, 0.05, 0.26, [-0.40, AXIS - 0.107, 0]),
      ],
    ],
    [steel, [cyl(0.019, 0.019, 0.1, [-0.31, AXIS, 0], "x", 16)]],
  ]);
}

function coupling() {
  const jaws = repeat(6, (i) => {
    const a = (i / 6) * Math.PI * 2;
    return box(0.016, 0.022, 0.018, [-0.252, AXIS + Math.cos(a) * 0.032, Math.sin(a) * 0.032], [a, 0, 0]);
  });
  return part("coupling", [
    [steel, [cyl(0.048, 0.048, 0.04, [-0.28, AXIS, 0], "x", 20), cyl(0.048, 0.048, 0.04, [-0.225, AXIS, 0], "x", 20)]],
    [urethane, [cyl(0.046, 0.046, 0.015, [-0.2525, AXIS, 0], "x", 20), jaws]],
  ]);
}

function shaft() {
  return part("shaft", [
    [
      steel,
      [
        revolve(
          [[0, -0.245], [0.019, -0.245], [0.019, -0.15], [0.0225, -0.15], [0.0225, 0.18], [0.017, 0.18], [0.017, X0 + 0.035], [0.012, X0 + 0.045], [0, X0 + 0.045]],
          [0, AXIS, 0],
          "x",
          12,
        ),
        cyl(0.022, 0.022, 0.018, [X0 + 0.035, AXIS, 0], "x", 6),
      ],
    ],
  ]);
}

function bearingFrame() {
  const foot = box(0.12, AXIS - 0.07 - 0.12, 0.16, [-0.04, (AXIS - 0.07 + 0.12) / 2, 0]);
  return part(
    "bearing_frame",
    [
      [
        blue,
        [
          revolve(
            [[0.03, -0.15], [0.06, -0.15], [0.06, -0.145], [0.078, -0.14], [0.078, -0.08], [0.07, -0.06], [0.07, 0.1], [0.078, 0.115], [0.078, 0.17], [0.112, 0.2], [0.12, 0.2], [0.12, 0.215]],
            [0, AXIS, 0],
            "x",
            24,
          ),
          foot,
          cyl(0.012, 0.012, 0.02, [0.02, AXIS - 0.02, 0.072], "z", 10),
          cyl(0.01, 0.01, 0.04, [0.02, AXIS + 0.085, 0], "y", 8),
        ],
      ],
    ],
    true,
  );
}

function bearing(name, x) {
  const w = 0.025;
  const ring = (r1, r2) => revolve([[r1, x - w / 2], [r2, x - w / 2], [r2, x + w / 2], [r1, x + w / 2], [r1, x - w / 2]], [0, AXIS, 0], "x", 16);
  const balls = repeat(8, (i) => {
    const a = (i / 8) * Math.PI * 2;
    return sphere(0.0085, [x, AXIS + Math.cos(a) * 0.036, Math.sin(a) * 0.036], 6, 4);
  });
  return part(name, [[chrome, [ring(0.041, 0.05), ring(0.0225, 0.031), balls]]]);
}

function seal() {
  const x = X0 - 0.085;
  return part("seal", [
    [carbon, [revolve([[0.021, x - 0.025], [0.04, x - 0.025], [0.04, x + 0.01], [0.032, x + 0.01], [0.032, x + 0.02], [0.021, x + 0.02], [0.021, x - 0.025]], [0, AXIS, 0], "x", 16)]],
    [steel, [revolve([[0.024, x - 0.045], [0.05, x - 0.045], [0.05, x - 0.03], [0.024, x - 0.03], [0.024, x - 0.045]], [0, AXIS, 0], "x", 16)]],
  ]);
}

function impeller() {
  const vane = (k) => {
    // Backward-curved vane: a log-spiral strip from the eye to the tip.
    const n = 5;
    const pts = [];
    const side = [];
    for (let i = 0; i <= n; i++) {
      const r = 0.034 + (0.097 - 0.034) * (i / n);
      const phi = -1.15 * Math.log(r / 0.034) + (k / 6) * Math.PI * 2;
      const d = 0.0025 / r;
      pts.push([Math.cos(phi - d) * r, Math.sin(phi - d) * r]);
      side.push([Math.cos(phi + d) * r, Math.sin(phi + d) * r]);
    }
    return extrude([...pts, ...side.reverse()], 0.026, [X0 - 0.004, AXIS, 0], [0, Math.PI / 2, 0]);
  };
  return part("impeller", [
    [
      bronze,
      [
        revolve([[0, X0 - 0.024], [0.1, X0 - 0.024], [0.1, X0 - 0.017], [0.03, X0 - 0.017]], [0, AXIS, 0], "x", 24),
        revolve([[0.1, X0 + 0.009], [0.1, X0 + 0.015], [0.05, X0 + 0.03], [0.05, X0 + 0.045], [0.043, X0 + 0.045], [0.043, X0 + 0.024], [0.1, X0 + 0.009]], [0, AXIS, 0], "x", 24),
        cyl(0.03, 0.03, 0.04, [X0 - 0.01, AXIS, 0], "x", 12),
        repeat(6, vane),
      ],
    ],
  ]);
}

/** The volute: a scroll whose section grows around the impeller into the discharge nozzle. */
function casing() {
  const ex = new THREE.Vector3(1, 0, 0);
  const section = (t) => RS[0] + (RS[1] - RS[0]) * t;
  const scroll = sweep((t) => {
    const th = WRAP_END - WRAP * (1 - t);
    const rs = section(t);
    const u = new THREE.Vector3(0, Math.cos(th), Math.sin(th));
    return { c: new THREE.Vector3(X0, AXIS, 0).addScaledVector(u, R0 + rs), u, v: ex, r: rs };
  }, 36, 12);
  const zOut = -(R0 + RS[1]);
  const top = AXIS + 0.3;
  const nozzle = sweep((t) => ({
    c: new THREE.Vector3(X0, AXIS + (top - AXIS) * t, zOut),
    u: new THREE.Vector3(0, 0, 1),
    v: new THREE.Vector3(-1, 0, 0),
    r: RS[1] + (0.047 - RS[1]) * t,
  }), 3, 12, false);
  return part(
    "casing",
    [
      [
        blue,
        [
          scroll,
          nozzle,
          revolve(
            [[0.06, X0 - 0.125], [0.06, X0 - 0.06], [R0 + 0.03, X0 - 0.05], [R0 + 0.03, X0 - 0.03], [R0 + 0.01, X0 - 0.03], [R0 + 0.01, X0 + 0.03], [0.07, X0 + 0.04], [0.06, X0 + 0.06], [0.06, X0 + 0.2]],
            [0, AXIS, 0],
            "x",
            24,
          ),
          bolts(10, R0 + 0.02, 0.009, 0.012, [X0 - 0.056, AXIS, 0], "x"),
          box(0.1, AXIS - R0 - 0.03 - 0.12, 0.3, [X0, (AXIS - R0 - 0.03 + 0.12) / 2 + 0.004, 0]),
          box(0.18, 0.02, 0.32, [X0, 0.13, 0]),
        ],
      ],
    ],
    true,
  );
}

function flange(name, at, axis, r, thick, boltR) {
  return part(name, [
    [
      blue,
      [
        cyl(r, r, thick, at, axis, 24),
        bolts(8, boltR, 0.011, thick + 0.02, at, axis),
      ],
    ],
  ]);
}

/** The pump's parts. */
export function pump() {
  return {
    kind: "pump",
    description: "end-suction centrifugal pump with induction motor on a baseplate",
    parts: [
      baseplate(),
      motor(),
      coupling(),
      shaft(),
      bearingFrame(),
      bearing("bearing_de", -0.11),
      bearing("bearing_nde", 0.135),
      seal(),
      impeller(),
      casing(),
      flange("suction_flange", [X0 + 0.21, AXIS, 0], "x", 0.11, 0.022, 0.09),
      flange("discharge_flange", [X0, AXIS + 0.31, -(R0 + RS[1])], "y", 0.1, 0.022, 0.08),
    ],
  };
}
