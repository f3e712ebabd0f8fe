// A vertical machining centre: cast bed with saddle and table, a column
// carrying the spindle head, the cutting tool over a workpiece in a vise,
// all inside a sheet-metal enclosure with sliding glass doors; the coolant
// tank and electrical cabinet outside, the operator panel on the front.
// Origin on the floor under the centre, front towards +z, metres.
//
// Parts: frame (bed), column, table (saddle, table, vise, workpiece),
// spindle (head, motor, cartridge), tool (holder and end mill),
// coolant_tank, control_cabinet, control_panel, enclosure (shell).

import { box, cyl, material, part, repeat } from "./shapes.mjs";

const panel = material("enclosure-paint", "#d5d9dd", 0.2, 0.55);
const trim = material("trim-dark", "#3a3f45", 0.3, 0.5);
const glass = material("window-glass", "#9fc4d8", 0.0, 0.05, { opacity: 0.28 });
const cast = material("cast-grey", "#4f575f", 0.35, 0.65);
const accent = material("accent-blue", "#1f57a5", 0.3, 0.45);
const steel = material("steel", "#b8bec6", 0.9, 0.3);
const alu = material("aluminium", "#cfd4d8", 0.95, 0.25);
const carbide = material("carbide", "#8c8f93", 0.85, 0.35);
const gold = material("tin-coating", "#c9a13a", 0.9, 0.3);
const tankPaint = material("tank-paint", "#2f6f8f", 0.3, 0.5);
const cabinetPaint = material("cabinet-paint", "#c5c9cc", 0.2, 0.5);
const screen = material("screen", "#0d2a3c", 0.0, 0.15, { emissive: "#0a3a55" });

function enclosure() {
  const t = 0.03;
  const W = 2.3;
  const D = 1.9;
  const top = 2.4;
  const doorY = [0.9, 2.05];
  const h = doorY[1] - doorY[0];
  const door = (x0) => [
    box(0.75, 0.06, 0.02, [x0, doorY[0] + 0.03, D / 2 + 0.025]),
    box(0.75, 0.06, 0.02, [x0, doorY[1] - 0.03, D / 2 + 0.025]),
    box(0.06, h, 0.02, [x0 - 0.345, (doorY[0] + doorY[1]) / 2, D / 2 + 0.025]),
    box(0.06, h, 0.02, [x0 + 0.345, (doorY[0] + doorY[1]) / 2, D / 2 + 0.025]),
    box(0.025, 0.3, 0.03, [x0 + (x0 < 0 ? 0.3 : -0.3), 1.45, D / 2 + 0.05]),
  ];
  return part(
    "enclosure",
    [
      [
        panel,
        [
          box(t, top - 0.1, D, [-W / 2 + t / 2, 0.1 + (top - 0.1) / 2, 0]),
          box(t, top - 0.1, D, [W / 2 - t / 2, 0.1 + (top - 0.1) / 2, 0]),
          box(W, top - 0.1, t, [0, 0.1 + (top - 0.1) / 2, -D / 2 + t / 2]),
          box(W, t, D, [0, top - t / 2, 0]),
          box(W, doorY[0] - 0.1, t, [0, 0.1 + (doorY[0] - 0.1) / 2, D / 2 - t / 2]),
          box(W, top - doorY[1], t, [0, doorY[1] + (top - doorY[1]) / 2, D / 2 - t / 2]),
          box(0.4, h, t, [-0.95, (doorY[0] + doorY[1]) / 2, D / 2 - t / 2]),
          box(0.4, h, t, [0.95, (doorY[0] + doorY[1]) / 2, D / 2 - t / 2]),
        ],
      ],
      [
        trim,
        [
          box(W + 0.02, 0.1, D + 0.02, [0, 0.05, 0]),
          box(W + 0.02, 0.05, 0.05, [0, doorY[1] + 0.04, D / 2 + 0.02]),
          door(-0.375),
          door(0.375),
          cyl(0.035, 0.035, 0.3, [0.95, top + 0.15, -0.7], "y", 12),
        ],
      ],
      [accent, [box(W + 0.01, 0.12, 0.012, [0, top - 0.16, D / 2 + 0.002]), box(0.012, 0.12, D + 0.01, [-W / 2 - 0.002, top - 0.16, 0]), box(0.012, 0.12, D + 0.01, [W / 2 + 0.002, top - 0.16, 0])]],
      [glass, [box(0.63, h - 0.12, 0.008, [-0.375, (doorY[0] + doorY[1]) / 2, D / 2 + 0.025]), box(0.63, h - 0.12, 0.008, [0.375, (doorY[0] + doorY[1]) / 2, D / 2 + 0.025])]],
    ],
    true,
  );
}

function frame() {
  return part("frame", [[cast, [box(1.8, 0.62, 1.3, [0, 0.41, -0.15]), box(1.9, 0.06, 1.45, [0, 0.13, -0.1])]]]);
}

function column() {
  return part("column", [
    [cast, [box(0.72, 1.6, 0.55, [0, 0.72 + 0.8, -0.6]), box(0.9, 0.08, 0.7, [0, 0.76, -0.6])]],
    [steel, [box(0.04, 1.45, 0.03, [-0.22, 1.55, -0.31]), box(0.04, 1.45, 0.03, [0.22, 1.55, -0.31])]],
  ]);
}

function table() {
  const slots = repeat(4, (i) => box(1.2, 0.012, 0.035, [0, 0.9, -0.12 + i * 0.11 + 0.05]));
  return part("table", [
    [cast, [box(0.8, 0.12, 0.62, [0, 0.78, 0.05]), box(1.2, 0.06, 0.5, [0, 0.87, 0.05]), slots]],
    [steel, [box(0.3, 0.06, 0.16, [0, 0.936, 0.05]), box(0.06, 0.06, 0.16, [-0.12, 0.996, 0.05]), box(0.06, 0.06, 0.16, [0.12, 0.996, 0.05]), cyl(0.008, 0.008, 0.12, [0.2, 0.95, 0.05], "x", 8)]],
    [alu, [box(0.16, 0.07, 0.12, [0, 1.0, 0.05])]],
  ]);
}

function spindle() {
  return part("spindle", [
    [cast, [box(0.38, 0.5, 0.42, [0, 1.7, -0.12]), box(0.32, 0.06, 0.36, [0, 1.98, -0.12])]],
    [trim, [cyl(0.1, 0.1, 0.26, [0, 2.14, -0.16], "y", 20)]],
    [steel, [cyl(0.07, 0.08, 0.1, [0, 1.4, 0.02], "y", 24), box(0.2, 0.5, 0.06, [0, 1.7, 0.08])]],
  ]);
}

function tool() {
  return part("tool", [
    [steel, [cyl(0.045, 0.028, 0.07, [0, 1.315, 0.02], "y", 20), cyl(0.03, 0.03, 0.025, [0, 1.268, 0.02], "y", 6)]],
    [carbide, [cyl(0.01, 0.01, 0.03, [0, 1.24, 0.02], "y", 10)]],
    [gold, [cyl(0.0105, 0.0105, 0.05, [0, 1.2, 0.02], "y", 6)]],
  ]);
}

function coolantTank() {
  return part("coolant_tank", [
    [tankPaint, [box(0.5, 0.5, 0.95, [1.45, 0.25, -0.35]), box(0.52, 0.03, 0.97, [1.45, 0.515, -0.35])]],
    [trim, [cyl(0.055, 0.055, 0.16, [1.45, 0.61, -0.55], "y", 16), cyl(0.015, 0.015, 0.35, [1.3, 0.6, -0.55], "x", 8)]],
  ]);
}

function controlCabinet() {
  return part("control_cabinet", [
    [cabinetPaint, [box(0.75, 1.85, 0.42, [-0.7, 0.925, -1.18]), box(0.8, 0.05, 0.46, [-0.7, 1.875, -1.18])]],
    [trim, [box(0.01, 1.7, 0.01, [-0.7, 0.95, -0.965]), box(0.03, 0.14, 0.03, [-0.62, 1.1, -0.955]), box(0.16, 0.12, 0.01, [-0.5, 1.6, -0.965])]],
  ]);
}

function controlPanel() {
  return part("control_panel", [
    [trim, [box(0.44, 0.6, 0.1, [0.95, 1.5, 1.02]), box(0.05, 0.05, 0.12, [0.95, 1.83, 0.99]), repeat(12, (i) => box(0.03, 0.02, 0.012, [0.82 + (i % 6) * 0.05, 1.27 + Math.floor(i / 6) * 0.04, 1.075]))]],
    [screen, [box(0.34, 0.26, 0.01, [0.95, 1.6, 1.071])]],
  ]);
}

/** The CNC mill's parts. */
export function cnc() {
  return {
    kind: "cnc",
    description: "vertical CNC machining centre with enclosure, coolant tank and control cabinet",
    parts: [frame(), column(), table(), spindle(), tool(), coolantTank(), controlCabinet(), controlPanel(), enclosure()],
  };
}
