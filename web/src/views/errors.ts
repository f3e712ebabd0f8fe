// How the views word a failed call: the platform's code and message, so a
// person can tell a bad query from a missing twin from a server that is off.

import { ApiError } from "../api";

/** `Code: message` for a platform error, else the error's message. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
