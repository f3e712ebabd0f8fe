// What the scene knows about each kind of asset: which DTDL models it
// draws as which 3D model, the few values worth a label, where a sensor
// of a given quantity is mounted, and which model part a component twin
// (a `hasPart` target) is.

/** The 3D model of the base models the platform ships; derived models inherit it. */
export const KIND_OF_MODEL: Record<string, string> = {
  "dtmi:ferrotwin:manufacturing:Pump;1": "pump",
  "dtmi:ferrotwin:manufacturing:CncMill;1": "cnc",
  "dtmi:ferrotwin:manufacturing:Turbofan;1": "turbofan",
  "dtmi:ferrotwin:manufacturing:Line;1": "line",
};

/** Base models of the twins that are parts or sensors, not machines. */
export const SITE_MODEL = "dtmi:ferrotwin:manufacturing:Site;1";
export const SENSOR_MODEL = "dtmi:ferrotwin:manufacturing:Sensor;1";
export const COMPONENT_OF_MODEL: Record<string, string> = {
  "dtmi:ferrotwin:manufacturing:Motor;1": "motor",
  "dtmi:ferrotwin:manufacturing:Bearing;1": "bearing",
  "dtmi:ferrotwin:manufacturing:Spindle;1": "spindle",
  "dtmi:ferrotwin:manufacturing:Tool;1": "tool",
};

/** A value shown on a machine's label: a telemetry name or property path. */
export interface KeySignal {
  name: string;
  label: string;
  /** The unit when no sensor twin says otherwise. */
  unit: string;
  /** Shown as a percentage (a 0–1 fraction). */
  percent?: boolean;
}

/** The values on each kind's label, most telling first. */
export const KEY_SIGNALS: Record<string, KeySignal[]> = {
  pump: [
    { name: "flow", label: "flow", unit: "m³/h" },
    { name: "dischargePressure", label: "discharge", unit: "bar" },
    { name: "bearingTemperature", label: "bearing", unit: "°C" },
    { name: "vibrationRms", label: "vibration", unit: "mm/s" },
  ],
  cnc: [
    { name: "spindleLoad", label: "spindle load", unit: "%" },
    { name: "spindleSpeed", label: "spindle", unit: "rpm" },
    { name: "toolWear", label: "tool wear", unit: "", percent: true },
    { name: "coolantTemperature", label: "coolant", unit: "°C" },
  ],
  line: [
    { name: "throughput", label: "throughput", unit: "parts/h" },
    { name: "oee", label: "OEE", unit: "", percent: true },
    { name: "stationsDown", label: "down", unit: "stations" },
    { name: "conveyorSpeed", label: "conveyor", unit: "m/min" },
  ],
  turbofan: [
    { name: "t50", label: "EGT (T50)", unit: "°R" },
    { name: "nc", label: "core speed", unit: "rpm" },
    { name: "ps30", label: "Ps30", unit: "psia" },
  ],
};

/** Units as sensor twins spell them, as people read them. */
export const UNIT_TEXT: Record<string, string> = { degC: "°C", degR: "°R", "m3/h": "m³/h", "1": "" };

/** Where a transmitter of a quantity sits on a machine: on top of `part`, moved by `offset` (machine axes, m). */
export interface Mount {
  part: string;
  offset: [number, number, number];
  quantities: string[];
}

/** The mounting points per kind; quantities not listed (OEE, say) are computed, not measured, and get no transmitter. */
export const MOUNTS: Record<string, Mount[]> = {
  pump: [
    { part: "bearing_frame", offset: [0, 0, 0], quantities: ["vibrationRms", "bearingTemperature", "temperature", "vib1x", "vib2x", "vibBpfo", "vibBpfi", "vibBsf", "vibFtf"] },
    { part: "discharge_flange", offset: [0, 0, 0.13], quantities: ["dischargePressure", "flow"] },
    { part: "suction_flange", offset: [0.04, 0, 0], quantities: ["suctionPressure"] },
    { part: "motor", offset: [0.09, 0, 0], quantities: ["motorCurrent", "motorPower", "current"] },
    { part: "coupling", offset: [0, 0, 0], quantities: ["speed"] },
  ],
  cnc: [
    { part: "spindle", offset: [0.27, -0.45, 0.1], quantities: ["spindleLoad", "spindleSpeed", "vibration"] },
    { part: "coolant_tank", offset: [0, 0, 0.2], quantities: ["coolantTemperature"] },
    { part: "table", offset: [0.5, 0, 0.1], quantities: ["feedRate"] },
  ],
  line: [{ part: "drive", offset: [0, 0, 0], quantities: ["conveyorSpeed"] }],
};

/** The model part a component twin stands for on a machine, from its kind and relationship. */
export function partOfComponent(machineKind: string, component: string, rel: Record<string, unknown>): string | null {
  const where = `${rel.position ?? ""} ${rel.$relationshipId ?? ""}`.toLowerCase();
  if (machineKind === "pump") {
    if (component === "motor") return "motor";
    if (component === "bearing") return /non|nde|outboard|pump end/.test(where) ? "bearing_nde" : "bearing_de";
  }
  if (machineKind === "cnc") {
    if (component === "spindle" || component === "motor" || component === "bearing") return "spindle";
    if (component === "tool") return "tool";
  }
  return null;
}
