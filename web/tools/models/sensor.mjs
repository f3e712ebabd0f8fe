// A field transmitter (pressure or temperature class): process connection
// with hex and sensor module, a round electronics housing with a conduit
// entry and a display window. Origin at the mounting point, y up, display
// towards +z, metres (about 0.2 m tall).
//
// Parts: connection, housing, display.

import { box, cyl, material, part } from "./shapes.mjs";

const steel = material("stainless", "#c3c8ce", 0.9, 0.28);
const paint = material("transmitter-paint", "#3f78b5", 0.3, 0.4);
const lcd = material("lcd", "#16302a", 0.0, 0.1, { emissive: "#0e3a2c" });

/** The transmitter's parts. */
export function sensor() {
  return {
    kind: "sensor",
    description: "field transmitter with display",
    parts: [
      part("connection", [[steel, [cyl(0.009, 0.009, 0.02, [0, 0.01, 0], "y", 10), cyl(0.017, 0.017, 0.018, [0, 0.029, 0], "y", 6), cyl(0.012, 0.012, 0.03, [0, 0.053, 0], "y", 12), box(0.05, 0.04, 0.05, [0, 0.086, 0])]]]),
      part("housing", [[paint, [cyl(0.045, 0.045, 0.09, [0, 0.15, 0], "z", 24), cyl(0.049, 0.049, 0.014, [0, 0.15, 0.05], "z", 24), cyl(0.049, 0.049, 0.014, [0, 0.15, -0.05], "z", 24), cyl(0.011, 0.011, 0.03, [0.055, 0.15, 0], "x", 10), cyl(0.02, 0.02, 0.02, [0, 0.112, 0], "y", 12)]]]),
      part("display", [[lcd, [cyl(0.034, 0.034, 0.004, [0, 0.15, 0.058], "z", 24)]]]),
    ],
  };
}
