// History for replaying the scene: the newest data time (which need not be
// the wall clock: a simulator can run ahead of it), and the labelled
// series of every machine over a window, fetched once in buckets so that
// moving the time slider is a local look-up, not a request per step.

import { post } from "../api";

export interface SeriesKey {
  twinId: string;
  name: string;
}

interface Bucket {
  start: string;
  count: number;
  last: number | null;
}

/** How finely a window is cut; one request fetches every series at this resolution. */
export const BUCKETS = 400;

/** The time of the newest point among `keys` (ms), or null when history has none. */
export async function newestTime(keys: SeriesKey[]): Promise<number | null> {
  if (keys.length === 0) return null;
  const r = await post<{ value: { point: { time: string } | null }[] }>("/history/latest", { series: keys });
  let newest: number | null = null;
  for (const v of r.value) if (v.point) newest = Math.max(newest ?? -Infinity, Date.parse(v.point.time));
  return newest;
}

/** The series of a window, bucketed. */
export class HistoryWindow {
  private series = new Map<string, { starts: number[]; last: (number | null)[] }>();

  private constructor(
    readonly from: number,
    readonly to: number,
  ) {}

  /** Fetches `keys` over [from, to] (ms). */
  static async load(keys: SeriesKey[], from: number, to: number): Promise<HistoryWindow> {
    const w = new HistoryWindow(from, to);
    const r = await post<{ value: (SeriesKey & { buckets?: Bucket[]; error?: unknown })[] }>("/history/query", {
      series: keys,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      buckets: BUCKETS,
    });
    for (const s of r.value) {
      if (!s.buckets) continue;
      const kept = s.buckets.filter((b) => b.count > 0 && typeof b.last === "number");
      w.series.set(`${s.twinId}\u0000${s.name}`, { starts: kept.map((b) => Date.parse(b.start)), last: kept.map((b) => b.last) });
    }
    return w;
  }

  /** Whether any series had data in the window. */
  get empty(): boolean {
    return this.series.size === 0;
  }

  /** The last value of a series at or before `t` within the window. */
  at(twinId: string, name: string, t: number): number | undefined {
    const s = this.series.get(`${twinId}\u0000${name}`);
    if (!s) return undefined;
    let lo = 0;
    let hi = s.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s.starts[mid] <= t) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : (s.last[found] ?? undefined);
  }
}
