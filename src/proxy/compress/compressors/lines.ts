// Shared line helpers for the line-oriented compressors.
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Digits, hex ids and durations vary between otherwise repeated lines. */
export function normalizeLine(line: string): string {
  return line.replace(/0x[0-9a-f]+/gi, "#").replace(/\d+(\.\d+)?/g, "#").trim();
}

const CODE_LINE = new RegExp(
  [
    String.raw`^\s*(import|export|const|let|var|function|async|return|if|else|for|while|switch|case|class|interface|type|enum|def|elif|try|catch|except|finally|package|func|fn|pub|use|impl|struct|#include|#define|public|private|protected|static)\b`,
    String.raw`[{};,(]\s*$|^\s*[}\])]|^\s*(\/\/|\/\*|\*|#(?!\d))`,
    // Python, C++ and shell statements
    // TypeScript declarations without semicolons: `name?: T`, `method (a: A): R`, `| 'member'`
    String.raw`^\s*(readonly\s+)?[A-Za-z_$][\w$]*\?:\s|^\s*[A-Za-z_$][\w$]*\s?\([^()]*\)\s*:\s*\S|^\s*\| (['"\x60]|[A-Z]\w*\s*$)|^\s*(with|raise|yield|pass|assert|lambda|from \S+ import|self\.|@[A-Za-z_][\w.]*(\(|$)|template\s*<|namespace|using|typedef|inline|constexpr|virtual|extern|fi|esac|then|local|readonly)\b`,
    // an assignment with spaces around `=` (`x = 1`, `self.items[k] += v`), or a shell one
    // alone on its line (`list=yes`); a continued line; shell commands
    String.raw`^\s*[A-Za-z_][\w.]*(\[[^\]]*\])?\s+[-+*/|&]?=\s+\S|^\s*[A-Za-z_]\w*=[^\s=]*$|\\\s*$|^\s*(echo|exit|shift|printf)\b`,
  ].join("|"),
);

/** Source code passes through untouched: many lines shaped like statements. */
export function looksLikeCode(lines: readonly string[]): boolean {
  let code = 0;
  let nonEmpty = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    nonEmpty++;
    if (CODE_LINE.test(line)) code++;
  }
  return nonEmpty > 0 && code / nonEmpty >= 0.45;
}

/** `path:line:` or `path:line-` (context lines); a path has no spaces here. */
export const SEARCH_LINE = /^(?:\.\/)?([^\s:][^:\s]*?):(\d+)[:-](.*)$/;

export function looksLikeSearch(lines: readonly string[]): boolean {
  let hits = 0;
  let nonEmpty = 0;
  for (const line of lines) {
    if (line.trim() === "" || line === "--") continue;
    nonEmpty++;
    if (SEARCH_LINE.test(line)) hits++;
  }
  return nonEmpty >= 10 && hits / nonEmpty >= 0.7;
}

/** ripgrep's `--heading` output: a path line, then `12:text` hits (`12-text` context). */
export const HEADING_HIT = /^(\d+)[:-]/;

export function looksLikeHeadingSearch(lines: readonly string[]): boolean {
  let hits = 0;
  let nonEmpty = 0;
  let headers = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "" || line === "--") continue;
    nonEmpty++;
    if (HEADING_HIT.test(line)) hits++;
    else if (i + 1 < lines.length && HEADING_HIT.test(lines[i + 1]!) && !/\s/.test(line.trim()) && (i === 0 || lines[i - 1]!.trim() === "")) headers++;
  }
  return nonEmpty >= 10 && headers >= 1 && (hits + headers) / nonEmpty >= 0.9 && hits / nonEmpty >= 0.5;
}

/** Lines that only logs and command output look like. */
const LOG_SIGNAL = new RegExp(
  [
    String.raw`\b\d{1,2}:\d{2}:\d{2}\b`, // timestamps
    String.raw`\b(TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|FATAL|CRITICAL)\b`, // levels
    String.raw`^\s*(\(pass\)|\(fail\)|\(skip\)|✓|✔|✗|✘|×|PASS\b|FAIL\b|ok \d|not ok \d)`, // test runners
    String.raw`:\d+:\d+:?\s+(error|warning|note)\b|\berror\s?TS\d+`, // compiler diagnostics
    String.raw`^\s*(npm|yarn|pnpm|added \d|Downloading|Collecting|Installing|Compiling|Building|Linking|Step \d|#\d+ |Running|Finished|Fetching|Resolving|Unpacking|Setting up|Get:\d|Hit:\d)`, // tools
    String.raw`^[-dlcbps][rwxsStT-]{9}[.+@]?\s`, // ls -l
    String.raw`^\s*\d+\s+\S+\s+\d+(\.\d+)?\s+\d+(\.\d+)?\s`, // ps / top
    String.raw`^\s*\[[^\]]{1,40}\]`, // [INFO] / [12/40] prefixes
  ].join("|"),
);

/**
 * Log-like: many lines carry log signals, or the lines repeat the same shape (numbers
 * aside). Prose and data files have neither and pass through.
 */
export function looksLikeLog(lines: readonly string[]): boolean {
  let signals = 0;
  let nonEmpty = 0;
  const shapes = new Map<string, number>();
  for (const line of lines) {
    if (line.trim() === "") continue;
    nonEmpty++;
    if (LOG_SIGNAL.test(line)) signals++;
    const shape = normalizeLine(line).replace(/[a-z]+/gi, "w").slice(0, 40);
    // Words and spaces only is the shape of any prose line: it says nothing.
    if (/^[w ]*$/.test(shape)) continue;
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  if (nonEmpty === 0) return false;
  let repeated = 0;
  for (const n of shapes.values()) if (n > 1) repeated += n;
  return signals / nonEmpty >= 0.2 || repeated / nonEmpty >= 0.6;
}

// ---- Output that never invents a line -------------------------------------------------
// Compressors built on these keep original lines verbatim and in order; what they leave
// out becomes a gap marker `… N lines …`, and a line cut short ends in `…`.

/** `… 3 lines …`, `… 1 row …`, `… 12 commits …`. */
export function gapLine(n: number, unit = "line"): string {
  return `… ${n} ${unit}${n === 1 ? "" : "s"} …`;
}

/** The line itself, or its first `max` characters and `…` (never splitting a surrogate pair). */
export function cutLine(line: string, max: number): string {
  if (line.length <= max) return line;
  let end = max;
  const c = line.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${line.slice(0, end)}…`;
}

export interface Kept {
  lines: string[];
  /** Lines left out (each run is one gap marker). */
  omitted: number;
  /** Lines cut short. */
  cut: number;
}

/** The kept lines in order, each run of dropped lines replaced by a gap marker. */
export function emitKept(lines: readonly string[], keep: Uint8Array, maxLine = Infinity, unit = "line"): Kept {
  const out: string[] = [];
  let omitted = 0;
  let gap = 0;
  let cut = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!keep[i]) {
      gap++;
      continue;
    }
    if (gap > 0) {
      out.push(gapLine(gap, unit));
      omitted += gap;
      gap = 0;
    }
    const line = lines[i]!;
    if (line.length > maxLine) cut++;
    out.push(cutLine(line, maxLine));
  }
  if (gap > 0) {
    out.push(gapLine(gap, unit));
    omitted += gap;
  }
  return { lines: out, omitted, cut };
}

/**
 * The question's terms in groups: each term with the parts of a path-like one, so that a
 * question naming `/usr/bin/pygmentize` finds the `ls -l` row that says only `pygmentize`,
 * and `deploy/prod/config.yaml` finds the section `./deploy/prod:`.
 */
export function termGroups(terms: readonly string[]): string[][] {
  return terms.map((t) => {
    const group = [t];
    if (t.includes("/")) for (const part of t.split("/")) if (part.length >= 3 && !group.includes(part)) group.push(part);
    return group;
  });
}

/** A term in more texts than the share passed picks out nothing; it only breaks ties. */
const COMMON_WEIGHT = 0.05;

/**
 * The texts (lower-cased) that best match the question, best first, at most `max`.
 * A text matches a term group when it holds the term or one of its parts; a term found in
 * more than `maxShare` of the texts (the searched word itself, `amd64` in every dpkg row)
 * does not make a text a match, a rarer term weighs more (inverse document frequency).
 * Ranked by how many groups a text matches, then by weight: when the best texts match two
 * of the question's terms (the directory and the file), those that match only one are
 * left out; with three or more, one fewer is enough. With `parent` (each text's parent
 * index, before it, or -1), a text also holds what its parents hold: an `ls -R` entry the
 * terms of its section header, a `tree` line those of its ancestors.
 */
export function rankMatches(lowerTexts: readonly string[], terms: readonly string[], maxShare: number, max: number, parent?: Int32Array): number[] {
  const n = lowerTexts.length;
  if (n === 0 || terms.length === 0 || max <= 0) return [];
  // One string to search: each term is found with a few native scans, not a call per text.
  const starts = new Int32Array(n + 1);
  let at = 0;
  for (let i = 0; i < n; i++) {
    starts[i] = at;
    at += lowerTexts[i]!.length + 1;
  }
  starts[n] = at;
  const joined = lowerTexts.join("\n");
  const textAt = (pos: number): number => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const inherited = parent ? new Uint8Array(n) : null;
  /** The texts holding the term (or whose parent chain does), each once, in order. */
  const holders = (term: string): number[] => {
    const found: number[] = [];
    let p = joined.indexOf(term);
    while (p >= 0) {
      const i = textAt(p);
      found.push(i);
      p = i + 1 < n ? joined.indexOf(term, starts[i + 1]!) : -1;
    }
    if (!parent || !inherited || found.length === 0) return found;
    inherited.fill(0);
    for (const i of found) inherited[i] = 1;
    const all: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!inherited[i] && parent[i]! >= 0 && inherited[parent[i]!]) inherited[i] = 1;
      if (inherited[i]) all.push(i);
    }
    return all;
  };

  const coverage = new Float64Array(n);
  const weight = new Float64Array(n);
  // Per text, within one group: the best member weight, the parts' weight, a whole match.
  const best = new Float64Array(n);
  const parts = new Float64Array(n);
  const whole = new Uint8Array(n);
  const touched: number[] = [];
  let anyDistinctive = false;
  for (const group of termGroups(terms)) {
    const members = group.map((term, k) => ({ term, part: k > 0, found: holders(term) })).filter((m) => m.found.length > 0);
    let partTotal = 0;
    const weighed = members.map((m) => {
      const distinctive = m.found.length <= Math.max(1, maxShare * n);
      const w = distinctive ? 1 + Math.log(n / m.found.length) : COMMON_WEIGHT;
      if (m.part) partTotal += w;
      if (distinctive) anyDistinctive = true;
      return { ...m, distinctive, w };
    });
    for (const m of weighed) {
      for (const i of m.found) {
        if (best[i] === 0 && parts[i] === 0 && whole[i] === 0) touched.push(i);
        if (m.w > best[i]!) best[i] = m.w;
        if (!m.distinctive) continue;
        if (m.part) parts[i]! += m.w;
        else whole[i] = 1;
      }
    }
    for (const i of touched) {
      weight[i]! += best[i]!;
      coverage[i]! += whole[i] ? 1 : parts[i]! > 0 ? (0.9 * parts[i]!) / partTotal : 0;
      best[i] = 0;
      parts[i] = 0;
      whole[i] = 0;
    }
    touched.length = 0;
  }
  if (!anyDistinctive) return [];
  let top = 0;
  for (let i = 0; i < n; i++) if (coverage[i]! > top) top = coverage[i]!;
  if (top === 0) return [];
  const floor = top >= 3 ? top - 1 : top - 0.25;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (coverage[i]! >= floor) idx.push(i);
  idx.sort((a, b) => coverage[b]! - coverage[a]! || weight[b]! - weight[a]! || a - b);
  return idx.length > max ? idx.slice(0, max) : idx;
}

const TAG = /<\/?[a-zA-Z][\w-]*(\s[^<>]*)?\/?>/;

/** HTML and XML: a doctype, or many lines open with or hold a tag. They pass through. */
export function looksLikeMarkup(lines: readonly string[]): boolean {
  let tags = 0;
  let nonEmpty = 0;
  for (const line of lines) {
    const t = line.trimStart();
    if (t === "") continue;
    if (nonEmpty === 0 && /^<(!doctype html|html|\?xml)\b/i.test(t)) return true;
    nonEmpty++;
    if (/^<[/!?a-zA-Z]/.test(t) || TAG.test(t)) tags++;
  }
  return nonEmpty > 0 && tags / nonEmpty >= 0.3;
}

const MARKDOWN_LINE = /^#{1,6} \S|^\s*([-*+]|\d+\.) +\S|^\s*(```|~~~)|^\s*> |\[[^\]\n]+\]\([^)\s]+\)/;

/** Markdown (READMEs, changelogs, API docs): headings, list items, fences, links. They pass through. */
export function looksLikeMarkdown(lines: readonly string[]): boolean {
  let md = 0;
  let nonEmpty = 0;
  let headings = 0;
  for (const line of lines) {
    if (line.trim() === "") continue;
    nonEmpty++;
    if (MARKDOWN_LINE.test(line)) {
      md++;
      if (/^#{1,6} \S|^\s*(```|~~~)/.test(line)) headings++;
    }
  }
  return nonEmpty > 0 && ((headings > 0 && md / nonEmpty >= 0.3) || md / nonEmpty >= 0.5);
}

/** Source code, HTML/XML and Markdown: what the line compressors leave alone. */
export function looksLikeDocument(lines: readonly string[]): boolean {
  return looksLikeCode(lines) || looksLikeMarkup(lines) || looksLikeMarkdown(lines);
}

/** The first and last lines, for detectors that look at a sample of long output. */
export function sampleLines(lines: readonly string[], each = 200): readonly string[] {
  return lines.length > 2 * each ? [...lines.slice(0, each), ...lines.slice(-each)] : lines;
}
