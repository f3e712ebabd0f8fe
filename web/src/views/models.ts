// DTDL models as the views need them: every model fetched once with its
// definition, and an interface flattened over `extends` with its schemas
// resolved, so a view sees all of a twin's properties, telemetry and
// commands in one list.

import { get, type Page } from "../api";

/** A model as listed by the platform. */
export interface ModelInfo {
  id: string;
  displayName: string;
  description: string;
  decommissioned: boolean;
  /** The DTDL interface document. */
  doc: any;
}

/** A resolved schema: a primitive name or an inline complex schema. */
export type Schema = string | ComplexSchema;

/** An Object, Enum, Array or Map schema with its parts resolved. */
export interface ComplexSchema {
  "@type": "Object" | "Enum" | "Array" | "Map";
  displayName?: string;
  description?: string;
  fields?: Field[];
  valueSchema?: Schema;
  enumValues?: { name: string; displayName: string; enumValue: string | number; description: string }[];
  elementSchema?: Schema;
  mapKey?: Field;
  mapValue?: Field;
}

/** A named, typed part of an Object, a Map or a command payload. */
export interface Field {
  name: string;
  displayName: string;
  description: string;
  schema: Schema;
  unit?: string;
  nullable?: boolean;
}

/** A content of an interface, flattened. */
export interface Content {
  kind: "Property" | "Telemetry" | "Command" | "Relationship" | "Component";
  name: string;
  displayName: string;
  description: string;
  /** The interface that declares it. */
  definedIn: string;
  schema?: Schema;
  unit?: string;
  writable?: boolean;
  request?: Field;
  response?: Field;
  target?: string;
  /** For a component: its interface id. */
  interface?: string;
}

/** An interface with everything it inherits. */
export interface FlatModel {
  id: string;
  displayName: string;
  description: string;
  /** The interface and its ancestors, nearest first. */
  lineage: string[];
  contents: Content[];
}

/** Symbols of common DTDL units; others are shown by name. */
const UNITS: Record<string, string> = {
  degreeCelsius: "°C", degreeFahrenheit: "°F", kelvin: "K", percent: "%",
  metrePerSecond: "m/s", millimetrePerSecond: "mm/s", metrePerSecondSquared: "m/s²", gForce: "g",
  hertz: "Hz", kilohertz: "kHz", revolutionPerMinute: "rpm", radianPerSecond: "rad/s",
  watt: "W", kilowatt: "kW", megawatt: "MW", kilowattHour: "kWh", ampere: "A", milliampere: "mA", volt: "V", kilovolt: "kV",
  pascal: "Pa", kilopascal: "kPa", bar: "bar", millibar: "mbar", poundPerSquareInch: "psi",
  cubicMetrePerHour: "m³/h", cubicMetrePerSecond: "m³/s", litrePerSecond: "L/s", litrePerHour: "L/h",
  second: "s", millisecond: "ms", minute: "min", hour: "h", day: "d",
  metre: "m", millimetre: "mm", micrometre: "µm", kilogram: "kg", gram: "g", newtonMetre: "N·m", newton: "N",
};

/** A DTDL unit as people write it, e.g. `degreeCelsius` as `°C`. */
export function unitSymbol(unit: unknown): string | undefined {
  return typeof unit === "string" ? UNITS[unit] ?? unit : undefined;
}

let cache: Promise<Map<string, ModelInfo>> | null = null;
const flats = new Map<string, FlatModel>();

/** A localisable DTDL string in the reader's language, else English, else any. */
export function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (v && typeof v === "object") {
    const o = v as Record<string, string>;
    const lang = navigator.language.split("-")[0];
    return o[lang] ?? o.en ?? Object.values(o)[0] ?? "";
  }
  return "";
}

/** The last segment of a DTMI without its version, e.g. `Pump`. */
export function shortId(dtmi: string): string {
  const m = dtmi.match(/([^:;]+)(;\d+(\.\d+)?)?$/);
  return m ? m[1] : dtmi;
}

/** Every model, fetched once per session (all pages, with definitions). */
export function models(): Promise<Map<string, ModelInfo>> {
  if (!cache) {
    cache = load().catch((e) => {
      cache = null;
      throw e;
    });
  }
  return cache;
}

/** Forgets the models so the next call fetches them again. */
export function refreshModels(): void {
  cache = null;
  flats.clear();
}

async function load(): Promise<Map<string, ModelInfo>> {
  const out = new Map<string, ModelInfo>();
  let page = await get<Page<any>>("/models", { includeModelDefinition: "true" });
  for (;;) {
    for (const m of page.value) {
      out.set(m.id, {
        id: m.id,
        displayName: text(m.displayName) || shortId(m.id),
        description: text(m.description),
        decommissioned: !!m.decommissioned,
        doc: m.model,
      });
    }
    if (!page.nextLink) break;
    // nextLink is absolute and names the server's host; keep our origin.
    const u = new URL(page.nextLink, location.origin);
    page = await get<Page<any>>(u.pathname + u.search);
  }
  return out;
}

/** A model's display name, or its short id when it is not (yet) known. */
export function modelName(all: Map<string, ModelInfo> | null, id: string): string {
  return all?.get(id)?.displayName ?? shortId(id);
}

function parents(doc: any): any[] {
  const e = doc?.extends;
  if (!e) return [];
  return Array.isArray(e) ? e : [e];
}

/** The direct parents' ids of a model. */
export function parentIds(doc: any): string[] {
  return parents(doc).map((p) => (typeof p === "string" ? p : p?.["@id"])).filter(Boolean);
}

function primaryType(t: unknown): Content["kind"] | null {
  const types = Array.isArray(t) ? t : [t];
  for (const k of ["Property", "Telemetry", "Command", "Relationship", "Component"] as const) {
    if (types.includes(k)) return k;
  }
  return null;
}

type Named = Map<string, any>;

function resolveSchema(s: any, named: Named, depth = 0): Schema {
  if (depth > 16) return "unknown";
  if (typeof s === "string") {
    const def = named.get(s);
    return def ? resolveSchema(def, named, depth + 1) : s;
  }
  if (!s || typeof s !== "object") return "unknown";
  const t = Array.isArray(s["@type"]) ? s["@type"].find((x: string) => ["Object", "Enum", "Array", "Map"].includes(x)) : s["@type"];
  const base = { displayName: text(s.displayName), description: text(s.description) };
  switch (t) {
    case "Object":
      return { "@type": "Object", ...base, fields: (s.fields ?? []).map((f: any) => field(f, named, depth)) };
    case "Enum":
      return {
        "@type": "Enum",
        ...base,
        valueSchema: s.valueSchema,
        enumValues: (s.enumValues ?? []).map((v: any) => ({
          name: v.name,
          displayName: text(v.displayName) || v.name,
          enumValue: v.enumValue,
          description: text(v.description),
        })),
      };
    case "Array":
      return { "@type": "Array", ...base, elementSchema: resolveSchema(s.elementSchema, named, depth + 1) };
    case "Map":
      return { "@type": "Map", ...base, mapKey: field(s.mapKey, named, depth), mapValue: field(s.mapValue, named, depth) };
    default:
      return "unknown";
  }
}

function field(f: any, named: Named, depth = 0): Field {
  return {
    name: f?.name ?? "",
    displayName: text(f?.displayName) || f?.name || "",
    description: text(f?.description),
    schema: resolveSchema(f?.schema, named, depth + 1),
    unit: unitSymbol(f?.unit),
    nullable: f?.nullable === true,
  };
}

/**
 * The model `id` with everything it inherits. Unknown ancestors are
 * skipped (a twin's model always has its ancestors on the platform).
 */
export async function flatModel(id: string): Promise<FlatModel> {
  const hit = flats.get(id);
  if (hit) return hit;
  const all = await models();
  const lineage: string[] = [];
  const docs: any[] = [];
  const seen = new Set<string>();
  const visit = (d: any) => {
    const did = d?.["@id"];
    if (!d || (did && seen.has(did))) return;
    if (did) seen.add(did);
    docs.push(d);
    if (did) lineage.push(did);
    for (const p of parents(d)) visit(typeof p === "string" ? all.get(p)?.doc : p);
  };
  const root = all.get(id);
  if (!root) throw new Error(`the platform has no model '${id}'`);
  visit(root.doc);
  const named: Named = new Map();
  for (const d of docs) for (const s of d.schemas ?? []) if (s?.["@id"]) named.set(s["@id"], s);
  const contents: Content[] = [];
  for (const d of docs) {
    for (const c of d.contents ?? []) {
      const kind = primaryType(c["@type"]);
      if (!kind || contents.some((x) => x.name === c.name)) continue;
      const item: Content = {
        kind,
        name: c.name,
        displayName: text(c.displayName) || c.name,
        description: text(c.description),
        definedIn: d["@id"] ?? id,
        unit: unitSymbol(c.unit),
        writable: c.writable === true,
      };
      if (kind === "Property" || kind === "Telemetry") item.schema = resolveSchema(c.schema, named);
      if (kind === "Command") {
        if (c.request) item.request = field(c.request, named);
        if (c.response) item.response = field(c.response, named);
      }
      if (kind === "Relationship") item.target = typeof c.target === "string" ? c.target : undefined;
      if (kind === "Component") item.interface = typeof c.schema === "string" ? c.schema : c.schema?.["@id"];
      contents.push(item);
    }
  }
  const flat: FlatModel = {
    id,
    displayName: root.displayName,
    description: root.description,
    lineage,
    contents,
  };
  flats.set(id, flat);
  return flat;
}

/** A schema in a few words, e.g. `double`, `enum: running | idle`, `object {speedRpm, mode}`. */
export function schemaText(s: Schema | undefined): string {
  if (s === undefined) return "";
  if (typeof s === "string") return s.startsWith("dtmi:") ? shortId(s) : s;
  switch (s["@type"]) {
    case "Object":
      return `object {${(s.fields ?? []).map((f) => f.name).join(", ")}}`;
    case "Enum":
      return `enum: ${(s.enumValues ?? []).map((v) => v.enumValue).join(" | ")}`;
    case "Array":
      return `array of ${schemaText(s.elementSchema)}`;
    case "Map":
      return `map ${schemaText(s.mapKey?.schema)} → ${schemaText(s.mapValue?.schema)}`;
  }
}
