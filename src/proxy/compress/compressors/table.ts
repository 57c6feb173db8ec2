// Column-structured output: `dpkg -l`, `ps aux`, `ls -l`, `docker ps`, `df`, `kubectl get`,
// CSV/TSV, psql and markdown tables, `git log --oneline`. The header lines stay, then the
// first and last rows, rows that report a problem (an error word, a status such as
// `Exited (1)` or `CrashLoopBackOff`), and the rows the question picks out;
// every kept line is a line of the original, and each run of left-out rows is a marker
// `… N rows …`.
import { ERROR_WORDS } from "../query.ts";
import { emitKept, looksLikeDocument, rankMatches, sampleLines, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

const MIN_ROWS = 10;
const HEAD = 3;
const TAIL = 2;
const MAX_ERROR_ROWS = 8;
const MAX_MATCH_ROWS = 10;
/** A question term in more than this share of the rows picks out nothing. */
const DISTINCTIVE = 0.2;
/** Lines that open a new block after a blank line (a second table's header) kept at most. */
const MAX_SECTION_HEADS = 10;
const MAX_LINE = 400;

const LS_ROW = /^[-dlcbpsD][rwxsStT-]{9}[.+@]?\s+\d+\s/;
const ONELINE_ROW = /^(?:[*|\\/ ]+ )?[0-9a-f]{7,40} \S/;
const SEPARATOR = /^[\s|+:=-]*-{3,}[\s|+:=-]*$|^[\s|+:=-]*={3,}[\s|+:=-]*$/;
/** Rows whose status says something went wrong (besides the error words). */
const BAD_STATUS = /\bExited \((?!0\))\d+\)|\b(CrashLoopBackOff|OOMKilled|ImagePullBackOff|ErrImagePull|Evicted|unhealthy|Restarting|Dead|defunct|zombie)\b/i;
const LOG_LEVEL = /\b(TRACE|DEBUG|INFO|WARN|WARNING|NOTICE)\b|^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;

export interface TableShape {
  kind: "dpkg" | "delimited" | "aligned" | "ls" | "oneline";
  /** Index of the first row; the lines before it are the header. */
  rowsFrom: number;
}

/** Fields of a delimited line; double quotes protect a delimiter (CSV). */
function fieldCount(line: string, delim: string): number {
  let n = 1;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === delim && !quoted) n++;
  }
  return n;
}

function nonEmpty(lines: readonly string[]): string[] {
  return lines.filter((l) => l.trim() !== "");
}

function share(lines: readonly string[], test: (l: string) => boolean): number {
  let n = 0;
  for (const l of lines) if (test(l)) n++;
  return lines.length === 0 ? 0 : n / lines.length;
}

function delimited(lines: readonly string[]): TableShape | null {
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0 || first > 2) return null;
  const sample = nonEmpty(lines.slice(first, first + 120));
  for (const delim of ["\t", ",", "|", ";"]) {
    const k = fieldCount(lines[first]!, delim);
    if (k < 2) continue;
    const same = share(sample, (l) => fieldCount(l, delim) === k || SEPARATOR.test(l));
    if (same < 0.85) continue;
    // Prose with a comma or two per line is not a table: fields are short.
    if (delim === "," || delim === ";") {
      const words = share(sample, (l) => l.split(delim).every((f) => f.trim().split(/\s+/).length <= 8));
      if (words < 0.85) continue;
    }
    let rowsFrom = first + 1;
    if (rowsFrom < lines.length && SEPARATOR.test(lines[rowsFrom]!)) rowsFrom++;
    return { kind: "delimited", rowsFrom };
  }
  return null;
}

/** Start and end columns of the whitespace-separated tokens of a line. */
function spans(line: string): [number, number][] {
  const out: [number, number][] = [];
  for (const m of line.matchAll(/\S+/g)) out.push([m.index!, m.index! + m[0].length]);
  return out;
}

/** A header line (column names) whose columns the rows below line up with. */
function aligned(lines: readonly string[]): TableShape | null {
  const h = lines.findIndex((l) => l.trim() !== "");
  if (h < 0 || h > 2) return null;
  const header = lines[h]!;
  const cols = spans(header);
  if (cols.length < 3 || header.length > 300) return null;
  const names = cols.map(([a, b]) => header.slice(a, b));
  if (names.some((t) => /^[\d.:,-]+$/.test(t)) || /[.!?]$/.test(header.trimEnd()) || LOG_LEVEL.test(header)) return null;
  if (names.filter((t) => /\p{L}/u.test(t)).length < names.length * 0.8) return null;
  let rowsFrom = h + 1;
  if (rowsFrom < lines.length && SEPARATOR.test(lines[rowsFrom]!)) rowsFrom++;
  const rows = nonEmpty(lines.slice(rowsFrom, rowsFrom + 120));
  if (rows.length < MIN_ROWS / 2) return null;
  if (share(rows, (l) => LOG_LEVEL.test(l)) >= 0.3) return null;
  const starts = new Set<number>();
  const ends = new Set<number>();
  const lined = share(rows, (row) => {
    starts.clear();
    ends.clear();
    for (const [a, b] of spans(row)) {
      starts.add(a);
      ends.add(b);
    }
    let hits = 0;
    for (let c = 1; c < cols.length; c++) if (starts.has(cols[c]![0]) || ends.has(cols[c]![1])) hits++;
    return hits >= 0.6 * (cols.length - 1) && spans(row).length >= cols.length - 2;
  });
  return lined >= 0.7 ? { kind: "aligned", rowsFrom } : null;
}

export function tableShape(lines: readonly string[]): TableShape | null {
  if (lines.length < MIN_ROWS) return null;
  const sample = sampleLines(lines, 150);
  if (looksLikeDocument(sample)) return null;
  // dpkg -l: a `||/ Name …` header and a `+++-====` rule under it.
  const top = lines.slice(0, 12);
  const rule = top.findIndex((l) => /^\+\+\+-=+/.test(l));
  if (rule > 0 && top.slice(0, rule).some((l) => l.startsWith("||/"))) return { kind: "dpkg", rowsFrom: rule + 1 };
  const body = nonEmpty(sample);
  const ls = share(body, (l) => LS_ROW.test(l));
  if (ls >= 0.7) {
    let rowsFrom = 0;
    while (rowsFrom < 3 && rowsFrom < lines.length && !LS_ROW.test(lines[rowsFrom]!)) rowsFrom++;
    return { kind: "ls", rowsFrom };
  }
  if (share(body, (l) => ONELINE_ROW.test(l)) >= 0.8) return { kind: "oneline", rowsFrom: 0 };
  return delimited(lines) ?? aligned(lines);
}

export const tableCompressor: Compressor = {
  kind: "table",
  detect(text) {
    return tableShape(splitLines(text)) !== null;
  },
  compress(text, ctx): CompressorOutput | null {
    const lines = splitLines(text);
    const shape = tableShape(lines);
    if (!shape) return null;
    const n = lines.length;
    const from = shape.rowsFrom;
    const rows = n - from;
    if (rows < MIN_ROWS) return null;
    const keep = new Uint8Array(n);
    for (let i = 0; i < from; i++) keep[i] = 1;
    for (let i = from; i < Math.min(n, from + HEAD); i++) keep[i] = 1;
    for (let i = Math.max(from, n - TAIL); i < n; i++) keep[i] = 1;
    // A blank line and the header of the next block after it.
    let heads = 0;
    for (let i = from + 1; i < n && heads < MAX_SECTION_HEADS; i++) {
      if (lines[i - 1]!.trim() === "" && lines[i]!.trim() !== "") {
        keep[i] = 1;
        if (i + 1 < n && SEPARATOR.test(lines[i + 1]!)) keep[i + 1] = 1;
        heads++;
      }
    }
    let errors = 0;
    for (let i = from; i < n && errors < MAX_ERROR_ROWS; i++) {
      if (ERROR_WORDS.test(lines[i]!) || BAD_STATUS.test(lines[i]!)) {
        if (!keep[i]) errors++;
        keep[i] = 1;
      }
    }
    if (ctx.queryTerms.length > 0) {
      const lower = lines.slice(from).map((l) => l.toLowerCase());
      for (const r of rankMatches(lower, ctx.queryTerms, DISTINCTIVE, MAX_MATCH_ROWS)) keep[from + r] = 1;
    }
    const out = emitKept(lines, keep, MAX_LINE, "row");
    if (out.omitted === 0) return null;
    return {
      text: out.lines.join("\n"),
      summary: `${out.omitted} of ${rows} rows omitted${out.cut > 0 ? `, ${out.cut} long rows cut` : ""}`,
    };
  },
};
