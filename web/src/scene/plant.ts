// The plant as the twin graph describes it: sites with lines, lines with
// machines, machines with component twins (`hasPart`) and sensors
// (`hasSensor`). Asset kinds come from each twin's model or the model it
// extends, so a customer's `AcmePump` extending `Pump` draws as a pump.

import { get, queryAll, type Twin } from "../api";
import { COMPONENT_OF_MODEL, KIND_OF_MODEL, SENSOR_MODEL, SITE_MODEL, UNIT_TEXT, partOfComponent } from "./catalog";

interface Relationship {
  $relationshipId: string;
  $sourceId: string;
  $targetId: string;
  $relationshipName: string;
  [k: string]: unknown;
}

/** A drawn machine: a twin whose model has a 3D model. */
export interface PlantMachine {
  id: string;
  kind: string;
  line: string | null;
}

/** A line of machines, in a site or on its own. */
export interface PlantLine {
  id: string;
  /** Whether the line twin itself is drawn (as a conveyor). */
  drawn: boolean;
  machines: string[];
}

export interface PlantSite {
  id: string | null;
  name: string;
  lines: PlantLine[];
  /** Machines of the site in no line. */
  loose: string[];
}

/** A sensor twin, tied to the machine it measures. */
export interface PlantSensor {
  id: string;
  machine: string;
  quantity: string;
  unit: string;
}

export interface Plant {
  twins: Map<string, Twin>;
  sites: PlantSite[];
  machines: Map<string, PlantMachine>;
  /** Component twin → the machine and model part it is. */
  componentPart: Map<string, { machine: string; part: string }>;
  /** Machine → part → component twin. */
  partTwin: Map<string, Map<string, string>>;
  sensors: Map<string, PlantSensor>;
}

/** Each model's ancestry (itself first), from the model definitions. */
async function ancestry(): Promise<Map<string, string[]>> {
  const parents = new Map<string, string[]>();
  let next: string | null = "/models";
  const params: Record<string, string> = { includeModelDefinition: "true" };
  while (next) {
    const page: { value: { id: string; model?: { extends?: string | string[] } }[]; nextLink?: string | null } = await get(next, params);
    for (const m of page.value) parents.set(m.id, [m.model?.extends ?? []].flat());
    next = page.nextLink ? new URL(page.nextLink, location.origin).pathname + new URL(page.nextLink, location.origin).search : null;
    if (next) for (const k of Object.keys(params)) delete params[k];
  }
  const out = new Map<string, string[]>();
  const walk = (id: string, seen: Set<string>): string[] => {
    if (seen.has(id)) return [];
    seen.add(id);
    return [id, ...(parents.get(id) ?? []).flatMap((p) => walk(p, seen))];
  };
  for (const id of parents.keys()) out.set(id, walk(id, new Set()));
  return out;
}

const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

/** Reads the twin graph and works out the plant. */
export async function loadPlant(): Promise<Plant> {
  const [twinList, rels, lineage] = await Promise.all([
    queryAll<Twin>("SELECT * FROM DIGITALTWINS"),
    queryAll<Relationship>("SELECT * FROM RELATIONSHIPS"),
    ancestry(),
  ]);
  const twins = new Map(twinList.map((t) => [t.$dtId, t]));
  const isA = (t: Twin | undefined, base: string) => !!t && (lineage.get(t.$metadata.$model) ?? [t.$metadata.$model]).includes(base);
  const kindOf = (t: Twin | undefined, table: Record<string, string>) => {
    if (!t) return null;
    for (const m of lineage.get(t.$metadata.$model) ?? [t.$metadata.$model]) if (table[m]) return table[m];
    return null;
  };
  const out = (name: string) => {
    const m = new Map<string, Relationship[]>();
    for (const r of rels) if (r.$relationshipName === name) m.set(r.$sourceId, [...(m.get(r.$sourceId) ?? []), r]);
    return m;
  };
  const hasLine = out("hasLine");
  const hasMachine = out("hasMachine");
  const hasPart = out("hasPart");
  const hasSensor = out("hasSensor");

  const machines = new Map<string, PlantMachine>();
  for (const t of twinList) {
    const kind = kindOf(t, KIND_OF_MODEL);
    if (kind) machines.set(t.$dtId, { id: t.$dtId, kind, line: null });
  }
  const lines = new Map<string, PlantLine>();
  for (const [src, rs] of hasMachine) {
    const members = rs.map((r) => r.$targetId).filter((id) => machines.has(id) && machines.get(id)!.kind !== "line" && id !== src);
    if (members.length === 0 && machines.get(src)?.kind !== "line") continue;
    lines.set(src, { id: src, drawn: machines.get(src)?.kind === "line", machines: members.sort(natural) });
    for (const id of members) machines.get(id)!.line ??= src;
  }
  for (const m of machines.values()) if (m.kind === "line" && !lines.has(m.id)) lines.set(m.id, { id: m.id, drawn: true, machines: [] });

  const sites: PlantSite[] = [];
  const placedLines = new Set<string>();
  const siteIds = twinList.filter((t) => isA(t, SITE_MODEL)).map((t) => t.$dtId).sort(natural);
  for (const id of siteIds) {
    const ls = (hasLine.get(id) ?? []).map((r) => lines.get(r.$targetId)).filter((l): l is PlantLine => !!l && !placedLines.has(l.id));
    for (const l of ls) placedLines.add(l.id);
    const loose = (hasMachine.get(id) ?? []).map((r) => r.$targetId).filter((m) => machines.has(m) && !machines.get(m)!.line && !lines.has(m));
    sites.push({ id, name: String(twins.get(id)?.name ?? id), lines: ls.sort((a, b) => natural(a.id, b.id)), loose });
  }
  const placedLoose = new Set(sites.flatMap((s) => s.loose));
  const rest: PlantSite = {
    id: null,
    name: sites.length ? "Not in a site" : "Plant",
    lines: [...lines.values()].filter((l) => !placedLines.has(l.id)).sort((a, b) => natural(a.id, b.id)),
    loose: [...machines.values()].filter((m) => !m.line && !lines.has(m.id) && !placedLoose.has(m.id)).map((m) => m.id).sort(natural),
  };
  if (rest.lines.length || rest.loose.length) sites.push(rest);

  const componentPart = new Map<string, { machine: string; part: string }>();
  const partTwin = new Map<string, Map<string, string>>();
  for (const [src, rs] of hasPart) {
    const m = machines.get(src);
    if (!m) continue;
    for (const r of rs) {
      const comp = kindOf(twins.get(r.$targetId), COMPONENT_OF_MODEL);
      const part = comp ? partOfComponent(m.kind, comp, r) : null;
      if (!part) continue;
      componentPart.set(r.$targetId, { machine: src, part });
      if (!partTwin.has(src)) partTwin.set(src, new Map());
      partTwin.get(src)!.set(part, r.$targetId);
    }
  }

  const sensors = new Map<string, PlantSensor>();
  for (const [src, rs] of hasSensor) {
    const machine = machines.has(src) ? src : componentPart.get(src)?.machine;
    if (!machine) continue;
    for (const r of rs) {
      const s = twins.get(r.$targetId);
      if (!s || !isA(s, SENSOR_MODEL) || typeof s.quantity !== "string") continue;
      const unit = typeof s.unit === "string" ? (UNIT_TEXT[s.unit] ?? s.unit) : "";
      sensors.set(s.$dtId, { id: s.$dtId, machine, quantity: s.quantity, unit });
    }
  }
  return { twins, sites, machines, componentPart, partTwin, sensors };
}

/** The 3D model kind of a DTDL model, following `extends` up to a shipped base model. */
export async function kindOfModel(modelId: string): Promise<string | null> {
  const seen = new Set<string>();
  let level = [modelId];
  while (level.length) {
    const next: string[] = [];
    for (const id of level) {
      if (KIND_OF_MODEL[id]) return KIND_OF_MODEL[id];
      if (seen.has(id)) continue;
      seen.add(id);
      const m = await get<{ model?: { extends?: string | string[] } }>(`/models/${encodeURIComponent(id)}`, { includeModelDefinition: "true" });
      next.push(...[m.model?.extends ?? []].flat());
    }
    level = next;
  }
  return null;
}
