// The platform's HTTP API, same origin. Every call carries the bearer
// token; errors keep the server's code and message so views can show them.

export const API_VERSION = "2023-10-31";

/** An error answer from the platform. */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

let token: string | null = null;
let onUnauthorized: (() => void) | null = null;

/** Sets the token every request carries. */
export function setToken(t: string | null): void {
  token = t;
}

/** The token in use (for WebSocket URLs, which cannot carry headers). */
export function currentToken(): string | null {
  return token;
}

/** What to do when the platform says the token is no longer good. */
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

const ADT_PREFIXES = ["/digitaltwins", "/models", "/query", "/eventroutes", "/jobs"];

/** The URL of an API path, with api-version for the ADT routes. */
export function url(path: string, params: Record<string, string | number | undefined> = {}): string {
  const u = new URL(path, location.origin);
  if (ADT_PREFIXES.some((p) => path.startsWith(p))) u.searchParams.set("api-version", API_VERSION);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u.pathname + u.search;
}

/** Calls the API; JSON in, JSON out. */
export async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  params: Record<string, string | number | undefined> = {},
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<T> {
  const h: Record<string, string> = { ...headers };
  if (token) h["Authorization"] = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = method === "PATCH" && !headers["Content-Type"] ? "application/json-patch+json" : "application/json";
  const res = await fetch(url(path, params), {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  let json: any = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
  }
  if (!res.ok) {
    const e = json?.error ?? {};
    if (res.status === 401 && onUnauthorized) onUnauthorized();
    throw new ApiError(res.status, e.code ?? String(res.status), e.message ?? (typeof json === "string" ? json : res.statusText));
  }
  return json as T;
}

export const get = <T = unknown>(path: string, params: Record<string, string | number | undefined> = {}) =>
  call<T>("GET", path, undefined, params);
export const post = <T = unknown>(path: string, body?: unknown, params: Record<string, string | number | undefined> = {}) =>
  call<T>("POST", path, body ?? {}, params);

/** A page of results, ADT style. */
export interface Page<T> {
  value: T[];
  nextLink?: string | null;
  continuationToken?: string | null;
}

/** Runs a query, one page at a time. */
export async function query<T = any>(q: string, continuationToken?: string): Promise<Page<T>> {
  return post<Page<T>>("/query", continuationToken ? { continuationToken } : { query: q });
}

/** Runs a query and gathers up to `limit` results across pages. */
export async function queryAll<T = any>(q: string, limit = 100000): Promise<T[]> {
  const out: T[] = [];
  let ct: string | undefined;
  do {
    const page = await query<T>(q, ct);
    out.push(...page.value);
    ct = page.continuationToken ?? undefined;
  } while (ct && out.length < limit);
  return out;
}

/** A twin as the ADT API returns it. */
export interface Twin {
  $dtId: string;
  $etag: string;
  $metadata: { $model: string; $lastUpdateTime?: string; [k: string]: any };
  [k: string]: any;
}

/** An alert. */
export interface Alert {
  id: string;
  rule: string;
  twin: string;
  model: string;
  severity: "critical" | "major" | "minor" | "warning";
  state: "raised" | "acknowledged" | "resolved";
  description: string;
  signal?: string;
  value?: number;
  component?: string;
  part?: string;
  workOrder?: string;
  raisedAt: string;
  lastSeenAt: string;
  count: number;
  explanation?: { feature: string; expected: number; observed: number };
}

/** A step of a work order's procedure. */
export interface Step {
  title: string;
  instructions: string;
  tools: string[];
  torque: { fastener: string; value: number; unit: string }[];
  warnings: string[];
  part?: string;
  done: boolean;
  doneAt?: string;
  doneBy?: string;
  note?: string;
}

/** A maintenance work order. */
export interface WorkOrder {
  id: string;
  twin: string;
  model: string;
  component?: string;
  part?: string;
  title: string;
  priority: number;
  due: string;
  rul?: { value: number; lower: number; upper: number; unit: string; method: string };
  alert?: string;
  state: "open" | "assigned" | "inProgress" | "done" | "cancelled";
  assignee?: string;
  steps: Step[];
  history: { at: string; by: string; action: string; detail?: string }[];
  createdAt: string;
  updatedAt: string;
}
