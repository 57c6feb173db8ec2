// Arrays of JSON objects (the common tool result): keep a representative subset — first and
// last items, items with error words, numeric outliers, items matching the question — and
// drop the rest. A top-level object whose largest field is such an array ({"total":…,
// "items":[…]}) is handled the same way, other fields kept.
import { isObj, type Json } from "../apis/types.ts";
import { ERROR_WORDS, matchCount } from "../query.ts";
import type { Compressor, CompressorContext, CompressorOutput } from "./types.ts";

const MIN_ITEMS = 8;
const HEAD = 3;
const TAIL = 2;
const MAX_ERRORS = 8;
const MAX_OUTLIERS = 4;
const MAX_MATCHES = 5;

type Obj = Json;

function isObjectArray(v: unknown): v is Obj[] {
  return Array.isArray(v) && v.length >= MIN_ITEMS && v.every(isObj);
}

/** Finds the array to thin: the value itself, or the largest array field of an object. */
function locate(value: unknown): { items: Obj[]; key?: string } | null {
  if (isObjectArray(value)) return { items: value };
  if (!isObj(value)) return null;
  let best: { items: Obj[]; key: string } | null = null;
  for (const [key, v] of Object.entries(value)) {
    if (isObjectArray(v) && (!best || v.length > best.items.length)) best = { items: v, key };
  }
  return best;
}

/** Numeric fields present in most items; items more than 3 standard deviations out. */
function outliers(items: Obj[]): number[] {
  const fields = new Map<string, number[]>();
  for (const item of items) {
    for (const [k, v] of Object.entries(item)) {
      if (typeof v === "number" && Number.isFinite(v)) {
        let list = fields.get(k);
        if (!list) fields.set(k, (list = []));
        list.push(v);
      }
    }
  }
  const scored: { index: number; z: number }[] = [];
  for (const [field, values] of fields) {
    if (values.length < items.length / 2) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    if (sd === 0) continue;
    items.forEach((item, index) => {
      const v = item[field];
      if (typeof v !== "number") return;
      const z = Math.abs(v - mean) / sd;
      if (z > 3) scored.push({ index, z });
    });
  }
  scored.sort((a, b) => b.z - a.z || a.index - b.index);
  return [...new Set(scored.map((s) => s.index))].slice(0, MAX_OUTLIERS);
}

/** Items that match the question, best first; a term found in most items says nothing. */
function matches(lowered: string[], terms: string[]): number[] {
  if (terms.length === 0) return [];
  const distinctive = terms.filter((t) => {
    let n = 0;
    for (const s of lowered) if (s.includes(t)) n++;
    return n > 0 && n <= Math.max(1, lowered.length * 0.2);
  });
  if (distinctive.length === 0) return [];
  return lowered
    .map((s, index) => ({ index, score: matchCount(s, distinctive) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, MAX_MATCHES)
    .map((s) => s.index);
}

/**
 * An item that reports a problem: an error word in a string value, or an error-named field
 * with a real value (`"error": "timeout"`, `"failed": true`; not `"error": null`).
 */
function hasErrorSignal(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return ERROR_WORDS.test(value);
  if (depth > 3 || typeof value !== "object" || value === null) return false;
  if (Array.isArray(value)) return value.some((v) => hasErrorSignal(v, depth + 1));
  for (const [k, v] of Object.entries(value)) {
    if (ERROR_WORDS.test(k) && v !== null && v !== false && v !== 0 && v !== "" && !(Array.isArray(v) && v.length === 0) && !(isObj(v) && Object.keys(v).length === 0)) return true;
    if (hasErrorSignal(v, depth + 1)) return true;
  }
  return false;
}

export function selectRows(items: Obj[], ctx: CompressorContext): number[] {
  const n = items.length;
  const keep = new Set<number>();
  for (let i = 0; i < Math.min(HEAD, n); i++) keep.add(i);
  for (let i = Math.max(0, n - TAIL); i < n; i++) keep.add(i);
  const serialized = items.map((item) => JSON.stringify(item));
  let errors = 0;
  for (let i = 0; i < n && errors < MAX_ERRORS; i++) {
    if (hasErrorSignal(items[i])) {
      keep.add(i);
      errors++;
    }
  }
  for (const i of outliers(items)) keep.add(i);
  for (const i of matches(serialized.map((s) => s.toLowerCase()), ctx.queryTerms)) keep.add(i);
  return [...keep].sort((a, b) => a - b);
}

/** Where the JSON starts: at once, or after a short heading line or two ("Found 100 issues:"). */
function jsonStart(text: string): number {
  let at = 0;
  for (let line = 0; line < 3; line++) {
    let i = at;
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\r")) i++;
    const c = text[i];
    if (c === "[" || c === "{") return i;
    const nl = text.indexOf("\n", at);
    if (nl < 0 || nl - at > 200) return -1;
    at = nl + 1;
  }
  return -1;
}

/** JSON Lines: every non-empty line one object. */
function parseJsonLines(text: string): { items: Obj[]; lines: string[] } | null {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length < MIN_ITEMS || !lines.every((l) => l.trimStart().startsWith("{"))) return null;
  const items: Obj[] = [];
  for (const line of lines) {
    try {
      const v = JSON.parse(line) as unknown;
      if (!isObj(v)) return null;
      items.push(v);
    } catch {
      return null;
    }
  }
  return { items, lines };
}

export const jsonArrayCompressor: Compressor = {
  kind: "json",
  detect(text) {
    return jsonStart(text) >= 0;
  },
  compress(text, ctx): CompressorOutput | null {
    const start = jsonStart(text);
    if (start < 0) return null;
    const heading = text.slice(0, start);
    const json = text.slice(start);
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      const jl = parseJsonLines(json);
      if (!jl) return null;
      const kept = selectRows(jl.items, ctx);
      if (kept.length >= jl.items.length) return null;
      return {
        text: heading + kept.map((i) => jl.lines[i]!.trim()).join("\n"),
        summary: `${jl.items.length - kept.length} of ${jl.items.length} lines omitted (kept lines ${kept.map((i) => i + 1).join(",")})`,
      };
    }
    const found = locate(value);
    if (!found) return null;
    const { items, key } = found;
    const kept = selectRows(items, ctx);
    if (kept.length >= items.length) return null;
    const subset = kept.map((i) => items[i]);
    const out = key === undefined ? subset : { ...(value as Obj), [key]: subset };
    const omitted = items.length - kept.length;
    return {
      text: heading + JSON.stringify(out),
      summary: `${omitted} of ${items.length} items omitted${key ? ` from "${key}"` : ""} (kept rows ${kept.join(",")})`,
    };
  },
};
