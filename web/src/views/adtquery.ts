// Building and running queries in ADT's query language for the views:
// quoting, the free-text search, the COUNT() form of a query, and one
// cancellable page at a time.

import { call, type Page } from "../api";
import type { ModelInfo } from "./models";

/** Results per page the explorer asks for. */
export const PAGE = 200;

/** A string literal for the query language. */
export function quote(s: string): string {
  return "'" + s.replace(/\\/g, "\\\\").replace(/'/g, "\\'") + "'";
}

/** Runs one page of a query; `signal` cancels it. */
export function queryPage(q: string, token: string | undefined, signal: AbortSignal): Promise<Page<any>> {
  return call<Page<any>>("POST", "/query", token ? { continuationToken: token } : { query: q }, {}, { "max-items-per-page": String(PAGE) }, signal);
}

/** The query free text runs: $dtId and name contain the text (as typed or in lower case), or the model's id or display name does. */
export function textQuery(text: string, model: string, all: Map<string, ModelInfo>): string {
  const conds: string[] = [];
  if (model) conds.push(`IS_OF_MODEL(${quote(model)})`);
  const t = text.trim();
  if (t) {
    const variants = [...new Set([t, t.toLowerCase()])];
    const ors = variants.flatMap((v) => [`CONTAINS($dtId, ${quote(v)})`, `CONTAINS(name, ${quote(v)})`]);
    const lower = t.toLowerCase();
    for (const m of all.values()) {
      if (m.id.toLowerCase().includes(lower) || m.displayName.toLowerCase().includes(lower)) ors.push(`IS_OF_MODEL(${quote(m.id)})`);
    }
    conds.push(ors.length > 1 ? `(${ors.join(" OR ")})` : ors[0]);
  }
  return "SELECT * FROM DIGITALTWINS" + (conds.length ? " WHERE " + conds.join(" AND ") : "");
}

/** The COUNT() form of a plain `SELECT x FROM DIGITALTWINS ...` query, or null. */
export function countQuery(q: string): string | null {
  const m = q.match(/^\s*SELECT\s+(\*|[A-Za-z_]\w*)\s+FROM\s+DIGITALTWINS\b([\s\S]*)$/i);
  if (!m || /\b(JOIN|MATCH)\b/i.test(m[2])) return null;
  return `SELECT COUNT() FROM DIGITALTWINS${m[2]}`;
}
