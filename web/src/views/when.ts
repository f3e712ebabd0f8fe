// Times of events stamped by their source: a simulator (or a device with a
// fast clock) can stamp readings ahead of this computer, where "in 3 h"
// would read as nonsense for something that already happened.

import { ago } from "../dom";

/** "12 min ago", or the local date and time when the stamp is ahead of this clock. */
export function when(iso: string | undefined): string {
  if (!iso) return "–";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  return t - Date.now() > 60e3 ? new Date(t).toLocaleString() : ago(iso);
}

/** A tooltip for a stamp: the exact local time, and a note when it is ahead of this clock. */
export function whenTitle(iso: string | undefined): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  const ahead = t - Date.now();
  return new Date(t).toLocaleString() + (ahead > 60e3 ? ` (stamped ${ago(iso).replace("in ", "")} ahead of this computer's clock: source time, e.g. an accelerated simulator)` : "");
}
