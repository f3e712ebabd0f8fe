// Sign-in with a ferrotwin token. The platform says who the token belongs
// to and its role; views ask `can(...)` so a role never sees what it
// cannot do.

import { ApiError, call, setToken } from "./api";

export type Role = "reader" | "writer" | "admin";

/** Who is signed in. */
export interface Identity {
  name: string;
  role: Role;
}

const KEY = "ferrotwin.token";
const RANK: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

let me: Identity | null = null;

/** The signed-in identity, or null. */
export function identity(): Identity | null {
  return me;
}

/** Whether the signed-in role is at least `role`. */
export function can(role: Role): boolean {
  return me !== null && RANK[me.role] >= RANK[role];
}

/** Checks a token with the platform and keeps it when it is good. */
export async function signIn(token: string, remember: boolean): Promise<Identity> {
  setToken(token);
  try {
    me = await call<Identity>("GET", "/auth/whoami");
  } catch (e) {
    setToken(null);
    me = null;
    if (e instanceof ApiError && e.status === 401) throw new Error(`the platform refused this token: ${e.message}`);
    throw e;
  }
  (remember ? localStorage : sessionStorage).setItem(KEY, token);
  return me;
}

/** Signs in with a kept token, or a `#token=` in the address (as `ferrotwin demo` prints; `&next=/route` says where to go). */
export async function resume(): Promise<Identity | null> {
  const m = location.hash.match(/[#&]token=([^&]+)/);
  if (m) {
    const t = decodeURIComponent(m[1]);
    const next = location.hash.match(/[#&]next=([^&]+)/);
    // The token leaves the address bar (and the history) at once.
    history.replaceState(null, "", location.pathname + location.search + "#" + (next ? decodeURIComponent(next[1]) : "/"));
    try {
      return await signIn(t, true);
    } catch {
      return null;
    }
  }
  const kept = sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
  if (!kept) return null;
  try {
    return await signIn(kept, localStorage.getItem(KEY) === kept);
  } catch {
    signOut();
    return null;
  }
}

/** Forgets the token. */
export function signOut(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
  setToken(null);
  me = null;
}
