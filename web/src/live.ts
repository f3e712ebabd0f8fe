// One WebSocket to the platform's live event stream, shared by every view.
// Views subscribe with a predicate; the socket reconnects with backoff and
// says when it is down so views can show that their values are stale.

import { currentToken } from "./api";

/** A CloudEvent as the platform sends it. */
export interface CloudEvent {
  id: string;
  type: string;
  subject: string;
  time: string;
  dataschema?: string;
  data: any;
}

type Listener = (e: CloudEvent) => void;
type StateListener = (up: boolean) => void;

const listeners = new Set<Listener>();
const stateListeners = new Set<StateListener>();
let socket: WebSocket | null = null;
let retry = 500;
let up = false;
let stopped = false;

function setUp(v: boolean): void {
  if (v === up) return;
  up = v;
  for (const l of stateListeners) l(v);
}

function connect(): void {
  const token = currentToken();
  if (!token || stopped) return;
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/events/ws?access_token=${encodeURIComponent(token)}`);
  socket = ws;
  ws.onopen = () => {
    retry = 500;
    setUp(true);
  };
  ws.onmessage = (m) => {
    let e: CloudEvent;
    try {
      e = JSON.parse(m.data);
    } catch {
      return;
    }
    if (!e.type) return;
    for (const l of listeners) l(e);
  };
  ws.onclose = () => {
    setUp(false);
    if (socket === ws && !stopped) {
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    }
  };
}

/** Starts the stream (after sign-in). */
export function start(): void {
  stopped = false;
  if (!socket) connect();
}

/** Stops the stream (on sign-out). */
export function stop(): void {
  stopped = true;
  socket?.close();
  socket = null;
}

/** Listens to every event; returns the unsubscribe function. */
export function listen(f: Listener): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}

/** Hears when the stream goes up or down. */
export function onState(f: StateListener): () => void {
  stateListeners.add(f);
  f(up);
  return () => stateListeners.delete(f);
}

/** The twin an event is about (the subject up to its first slash). */
export function twinOf(e: CloudEvent): string {
  const i = e.subject.indexOf("/");
  return i < 0 ? e.subject : e.subject.slice(0, i);
}

/** Applies an ADT JSON Patch (replace/add/remove on top-level and nested paths) to a twin copy. */
export function applyPatch(target: Record<string, any>, patch: { op: string; path: string; value?: any }[]): void {
  for (const p of patch) {
    const parts = p.path.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (parts.length === 0) continue;
    let o: any = target;
    for (const k of parts.slice(0, -1)) {
      if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
      o = o[k];
    }
    const last = parts[parts.length - 1];
    if (p.op === "remove") delete o[last];
    else o[last] = p.value;
  }
}
