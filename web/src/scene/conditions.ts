// The colour rules: a machine is in alarm while it has an open critical or
// major alert, in warning while it has an open minor or warning alert, an
// anomaly while its anomaly score is above 0.9, normal otherwise. Parts
// named by open alerts take the alert's colour, and parts named by open
// alerts or work orders are highlighted. Alerts on a component twin (a
// bearing's own twin, say) count for its machine's part. Everything can be
// asked "now" or at a past instant, from the alerts' and orders' own
// timestamps, for replay.

import type { Alert, WorkOrder } from "../api";
import type { State } from "./looks";
import type { Plant } from "./plant";

/** Above this anomaly score a machine shows as an anomaly. */
export const ANOMALY_LIMIT = 0.9;

/** An alert with the lifecycle times the API sends (not all in the shared type). */
type TimedAlert = Alert & { resolvedAt?: string };

const RANK: Record<State, number> = { normal: 0, anomaly: 1, warning: 2, alarm: 3 };

export function worse(a: State, b: State): State {
  return RANK[b] > RANK[a] ? b : a;
}

export function stateOfSeverity(s: Alert["severity"]): State {
  return s === "critical" || s === "major" ? "alarm" : "warning";
}

/** The time an order closed (done or cancelled), from its history. */
function closedAt(o: WorkOrder): number {
  if (o.state !== "done" && o.state !== "cancelled") return Infinity;
  const e = [...o.history].reverse().find((h) => h.action === "done" || h.action === "cancelled");
  return Date.parse(e?.at ?? o.updatedAt);
}

export interface MachineCondition {
  state: State;
  parts: Map<string, State>;
  highlights: Set<string>;
  alerts: Alert[];
  orders: WorkOrder[];
}

export class Conditions {
  readonly alerts = new Map<string, Alert>();
  readonly orders = new Map<string, WorkOrder>();

  constructor(private plant: Plant) {}

  setPlant(plant: Plant): void {
    this.plant = plant;
  }

  /** The machine and part an alert or order is about. */
  where(twin: string, part?: string): { machine: string; part: string | null } | null {
    if (this.plant.machines.has(twin)) return { machine: twin, part: part ?? null };
    const c = this.plant.componentPart.get(twin);
    if (c) return { machine: c.machine, part: part ?? c.part };
    const s = this.plant.sensors.get(twin);
    if (s) return { machine: s.machine, part: null };
    return null;
  }

  /** Open alerts, now or at `at` (ms). */
  openAlerts(at?: number): Alert[] {
    return [...this.alerts.values()].filter((a: TimedAlert) =>
      at === undefined ? a.state !== "resolved" : Date.parse(a.raisedAt) <= at && !(a.resolvedAt && Date.parse(a.resolvedAt) <= at),
    );
  }

  /** Open work orders, now or at `at` (ms). */
  openOrders(at?: number): WorkOrder[] {
    return [...this.orders.values()].filter((o) =>
      at === undefined ? o.state !== "done" && o.state !== "cancelled" : Date.parse(o.createdAt) <= at && closedAt(o) > at,
    );
  }

  /** Every machine's condition; `score` gives a machine's anomaly score. */
  all(score: (machine: string) => number | undefined, at?: number): Map<string, MachineCondition> {
    const out = new Map<string, MachineCondition>();
    const get = (id: string) => {
      let c = out.get(id);
      if (!c) {
        c = { state: "normal", parts: new Map(), highlights: new Set(), alerts: [], orders: [] };
        out.set(id, c);
      }
      return c;
    };
    for (const id of this.plant.machines.keys()) {
      const c = get(id);
      const s = score(id);
      if (s !== undefined && s > ANOMALY_LIMIT) c.state = "anomaly";
    }
    for (const a of this.openAlerts(at)) {
      const w = this.where(a.twin, a.part);
      if (!w) continue;
      const c = get(w.machine);
      const st = stateOfSeverity(a.severity);
      c.state = worse(c.state, st);
      c.alerts.push(a);
      if (w.part) {
        c.parts.set(w.part, worse(c.parts.get(w.part) ?? "normal", st));
        c.highlights.add(w.part);
      }
    }
    for (const o of this.openOrders(at)) {
      const w = this.where(o.twin, o.part);
      if (!w) continue;
      const c = get(w.machine);
      c.orders.push(o);
      if (w.part) c.highlights.add(w.part);
    }
    return out;
  }
}
