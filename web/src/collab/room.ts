// A twin's collaboration room: who else is looking, where they point, and
// the annotations pinned to the twin. One WebSocket per room; it reconnects
// with backoff, and the welcome message after each (re)connect resets the
// people and annotations, so nothing drifts while the socket was down.

import { call, currentToken } from "../api";

/** Someone in the room. */
export interface Participant {
  session: string;
  name: string;
  role: string;
  color: string;
  since: string;
}

/** A place on a machine, in the machine's own coordinates (metres). */
export interface Pointer {
  target: string;
  position: [number, number, number];
  part?: string;
}

/** What someone pinned to the twin. */
export interface Annotation {
  id: string;
  twin: string;
  kind: "text" | "point" | "arrow";
  text: string;
  part?: string;
  position?: [number, number, number];
  direction?: [number, number, number];
  color: string;
  author: string;
  createdAt: string;
}

/** A new annotation, as the API takes it. */
export type NewAnnotation = Pick<Annotation, "kind" | "text"> & Partial<Pick<Annotation, "part" | "position" | "direction" | "color">>;

/** What a room tells its owner. */
export interface RoomEvents {
  people(list: Participant[], me: Participant | null): void;
  pointer(who: Participant, pointer: Pointer | null): void;
  annotations(list: Annotation[]): void;
  connection(up: boolean): void;
}

const POINTER_EVERY_MS = 66;

export class Room {
  private ws: WebSocket | null = null;
  private closed = false;
  private retry = 500;
  private me: Participant | null = null;
  private people = new Map<string, Participant>();
  private notes = new Map<string, Annotation>();
  private lastPointer = 0;
  private pendingPointer: Pointer | null | undefined;
  private timer: number | undefined;

  constructor(
    readonly twin: string,
    private on: RoomEvents,
  ) {
    this.connect();
  }

  /** Who I am in the room (after the welcome). */
  self(): Participant | null {
    return this.me;
  }

  /** Everyone else in the room. */
  others(): Participant[] {
    return [...this.people.values()];
  }

  /** The twin's annotations, oldest first. */
  annotations(): Annotation[] {
    return [...this.notes.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** Shares where I point (null: nowhere); at most ~15 updates a second. */
  point(p: Pointer | null): void {
    this.pendingPointer = p;
    const wait = this.lastPointer + POINTER_EVERY_MS - performance.now();
    if (wait <= 0) this.flushPointer();
    else if (this.timer === undefined) this.timer = window.setTimeout(() => this.flushPointer(), wait);
  }

  private flushPointer(): void {
    this.timer = undefined;
    if (this.pendingPointer === undefined || this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify({ type: "pointer", pointer: this.pendingPointer }));
    this.pendingPointer = undefined;
    this.lastPointer = performance.now();
  }

  /** Pins an annotation; everyone in the room sees it at once. */
  async pin(a: NewAnnotation): Promise<Annotation> {
    const saved = await call<Annotation>("POST", `/collab/twins/${encodeURIComponent(this.twin)}/annotations`, a);
    this.notes.set(saved.id, saved);
    this.on.annotations(this.annotations());
    return saved;
  }

  /** Removes an annotation. */
  async unpin(id: string): Promise<void> {
    await call("DELETE", `/collab/twins/${encodeURIComponent(this.twin)}/annotations/${encodeURIComponent(id)}`);
    this.notes.delete(id);
    this.on.annotations(this.annotations());
  }

  /** Leaves the room. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.ws?.close();
    this.ws = null;
  }

  private connect(): void {
    if (this.closed) return;
    const token = currentToken();
    if (!token) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(
      `${proto}//${location.host}/collab/twins/${encodeURIComponent(this.twin)}/ws?access_token=${encodeURIComponent(token)}`,
    );
    this.ws = ws;
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.on.connection(false);
      if (!this.closed) {
        setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, 10000);
      }
    };
  }

  private receive(data: string): void {
    let m: any;
    try {
      m = JSON.parse(data);
    } catch {
      return;
    }
    switch (m.type) {
      case "welcome":
        this.retry = 500;
        this.me = m.you;
        this.people = new Map((m.participants as Participant[]).map((p) => [p.session, p]));
        this.notes = new Map((m.annotations as Annotation[]).map((a) => [a.id, a]));
        this.on.connection(true);
        this.on.people(this.others(), this.me);
        this.on.annotations(this.annotations());
        break;
      case "join":
        this.people.set(m.participant.session, m.participant);
        this.on.people(this.others(), this.me);
        break;
      case "leave": {
        const who = this.people.get(m.session);
        this.people.delete(m.session);
        if (who) this.on.pointer(who, null);
        this.on.people(this.others(), this.me);
        break;
      }
      case "pointer": {
        const who = this.people.get(m.session);
        if (who) this.on.pointer(who, m.pointer ?? null);
        break;
      }
      case "annotation":
        this.notes.set(m.annotation.id, m.annotation);
        this.on.annotations(this.annotations());
        break;
      case "annotationDeleted":
        this.notes.delete(m.id);
        this.on.annotations(this.annotations());
        break;
      case "error":
        console.warn("collaboration room:", m.message);
        break;
    }
  }
}
