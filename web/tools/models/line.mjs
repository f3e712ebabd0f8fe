// A production line: a 12 m belt conveyor on aluminium-profile legs with a
// gear-motor drive at the head end, and five workstations (gantry, process
// head, stack light) spaced along it. Conveyor along +x (flow towards +x),
// origin on the floor under its middle, metres.
//
// Parts: frame, belt, rollers, drive, station_1 … station_5 (station_n is
// the simulator's station n-1).

import { box, cyl, material, part, repeat } from "./shapes.mjs";

const L = 12;
const TOP = 0.86;
const STATIONS = 5;
const PITCH = 2.4;

const profile = material("aluminium-profile", "#aab1b8", 0.7, 0.4);
const belt = material("belt-rubber", "#27302c", 0.0, 0.85);
const steel = material("steel", "#b8bec6", 0.9, 0.3);
const drivePaint = material("drive-paint", "#3c5a7a", 0.3, 0.5);
const stationPaint = material("station-paint", "#d7dbde", 0.2, 0.5);
const guard = material("guard-orange", "#e07b22", 0.2, 0.55);
const lamp = material("stack-light", "#3fb950", 0.1, 0.3, { emissive: "#15401b" });
const product = material("workpiece", "#8aa4bf", 0.6, 0.4);

function frame() {
  const legs = repeat(9, (i) => {
    const x = -L / 2 + 0.2 + i * ((L - 0.4) / 8);
    return [box(0.06, TOP - 0.14, 0.06, [x, (TOP - 0.14) / 2, 0.44]), box(0.06, TOP - 0.14, 0.06, [x, (TOP - 0.14) / 2, -0.44]), box(0.04, 0.04, 0.86, [x, 0.22, 0])];
  });
  return part("frame", [[profile, [box(L, 0.16, 0.05, [0, TOP - 0.09, 0.445]), box(L, 0.16, 0.05, [0, TOP - 0.09, -0.445]), legs]]]);
}

function beltPart() {
  return part("belt", [
    [
      belt,
      [
        box(L - 0.2, 0.012, 0.8, [0, TOP, 0]),
        box(L - 0.2, 0.01, 0.78, [0, TOP - 0.2, 0]),
        cyl(0.106, 0.106, 0.8, [L / 2 - 0.1, TOP - 0.1, 0], "z", 20),
        cyl(0.106, 0.106, 0.8, [-L / 2 + 0.1, TOP - 0.1, 0], "z", 20),
      ],
    ],
  ]);
}

function rollers() {
  const carry = repeat(22, (i) => cyl(0.03, 0.03, 0.8, [-L / 2 + 0.6 + i * 0.5, TOP - 0.037, 0], "z", 8, true));
  const ret = repeat(6, (i) => cyl(0.03, 0.03, 0.8, [-L / 2 + 1.2 + i * 1.9, TOP - 0.24, 0], "z", 8));
  return part("rollers", [[steel, [carry, ret, cyl(0.025, 0.025, 0.98, [L / 2 - 0.1, TOP - 0.1, 0], "z", 10), cyl(0.025, 0.025, 0.98, [-L / 2 + 0.1, TOP - 0.1, 0], "z", 10)]]]);
}

function drive() {
  const x = L / 2 - 0.1;
  return part("drive", [
    [
      drivePaint,
      [
        box(0.24, 0.26, 0.18, [x, TOP - 0.1, -0.6]),
        cyl(0.085, 0.085, 0.34, [x - 0.28, TOP - 0.1, -0.6], "x", 20),
        cyl(0.09, 0.07, 0.06, [x - 0.48, TOP - 0.1, -0.6], "x", 20),
        box(0.1, 0.07, 0.1, [x - 0.26, TOP - 0.1 + 0.11, -0.6]),
      ],
    ],
  ]);
}

function station(n) {
  const x = (n - (STATIONS + 1) / 2) * PITCH;
  const postH = 2.0;
  return part(`station_${n}`, [
    [
      stationPaint,
      [
        box(0.09, postH, 0.09, [x, postH / 2, 0.62]),
        box(0.09, postH, 0.09, [x, postH / 2, -0.62]),
        box(0.14, 0.14, 1.36, [x, postH + 0.07, 0]),
        box(0.34, 0.34, 0.32, [x, 1.55, 0]),
        box(0.3, 0.02, 0.3, [x, 0.012, 0.62]),
        box(0.3, 0.02, 0.3, [x, 0.012, -0.62]),
        box(0.28, 0.36, 0.12, [x + 0.12, 1.25, 0.72]),
      ],
    ],
    [guard, [cyl(0.035, 0.02, 0.2, [x, 1.28, 0], "y", 12), box(0.5, 0.04, 0.04, [x, TOP + 0.07, 0.38]), box(0.5, 0.04, 0.04, [x, TOP + 0.07, -0.38])]],
    [lamp, [cyl(0.035, 0.035, 0.18, [x, postH + 0.23, -0.62], "y", 12)]],
    [product, [box(0.3, 0.12, 0.24, [x, TOP + 0.066, 0]), box(0.26, 0.02, 0.3, [x, TOP + 0.01, 0])]],
  ]);
}

/** The line's parts. */
export function line() {
  return {
    kind: "line",
    description: "belt conveyor line with five workstations",
    parts: [frame(), beltPart(), rollers(), drive(), ...Array.from({ length: STATIONS }, (_, i) => station(i + 1))],
  };
}
