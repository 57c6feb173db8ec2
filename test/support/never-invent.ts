// The never-invent rule: a compressed tool output holds only lines of the original (in
// their original order), gap markers, and lines cut from one original line with the cuts
// marked. Anything else — a joined line, a renumbered grep hit, a reordered pair, a
// summary line of the compressor's own, a `[×3]` suffix — is an invented line.
//
// Rule for each output line (after the engine's final `[headroom: …]` marker is stripped):
//   (a) a line of the original (a trailing `\r` ignored on both sides);
//   (b) a marker line: it holds a token `… <text> …` and, with the tokens and quotes around
//       them removed, only whitespace, `,:[]{}` and the word `null` remain;
//   (c) a cut line: the pieces between `… <text> …` tokens (and around the line's last bare
//       `…`) — at least one non-empty — appear in order inside ONE original line.
// Matched original lines never go backwards: each (a)/(c) line takes the earliest original
// line after the previous match; markers match nothing.

/** The marker the engine appends as the last line. */
const ENGINE_MARKER = /^\[headroom: [^\]\n]*headroom_retrieve \{"hash":"[0-9a-f]+"\}\]$/;
/** `… <text> …`: U+2026, a space, 1–120 characters without `…` or a newline, a space, U+2026. */
const TOKEN = /… [^…\n]{1,120} …/g;
const HAS_TOKEN = /… [^…\n]{1,120} …/;
const MARKER_REST = /^(?:\s|[,:[\]{}]|null)*$/;

function splitRaw(text: string): string[] {
  return text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
}

/** Output lines with the engine's final marker line removed. */
export function outputLines(compressed: string): string[] {
  const lines = splitRaw(compressed);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length > 0 && ENGINE_MARKER.test(lines[lines.length - 1]!)) lines.pop();
  return lines;
}

/** (b): a gap marker such as `… 70 lines …` or `  "… 40 items omitted …",`. */
export function isMarkerLine(line: string): boolean {
  if (!HAS_TOKEN.test(line)) return false;
  const rest = line.replace(/["']?… [^…\n]{1,120} …["']?/g, "");
  return MARKER_REST.test(rest);
}

/** (c): the fragments of a cut line, or null when the line has no cut in it. */
export function cutFragments(line: string): string[] | null {
  const pieces: string[] = [];
  let cut = false;
  let last = 0;
  for (const m of line.matchAll(TOKEN)) {
    pieces.push(line.slice(last, m.index));
    last = m.index! + m[0].length;
    cut = true;
  }
  const tail = line.slice(last);
  const bare = tail.lastIndexOf("…");
  if (bare >= 0) {
    pieces.push(tail.slice(0, bare), tail.slice(bare + 1));
    cut = true;
  } else pieces.push(tail);
  if (!cut) return null;
  // Whitespace and quotes next to a cut belong to the cut's dressing, and so does the
  // `: null` of a JSON marker entry (`{"a":1,"… 3 keys omitted …":null,"e":5}`).
  const fragments = pieces.map((p, i) => {
    let s = p;
    if (i > 0) s = s.replace(/^["']?\s*:\s*null(?!\w)/, "").replace(/^[\s"']+/, "");
    if (i < pieces.length - 1) s = s.replace(/[\s"']+$/, "");
    return s;
  });
  return fragments.some((f) => f.length > 0) ? fragments.filter((f) => f.length > 0) : null;
}

function fragmentsIn(fragments: string[], original: string): boolean {
  let at = 0;
  for (const f of fragments) {
    const i = original.indexOf(f, at);
    if (i < 0) return false;
    at = i + f.length;
  }
  return true;
}

/** Original line indexes by content, for the exact matches. */
function indexLines(lines: string[]): Map<string, number[]> {
  const byText = new Map<string, number[]>();
  lines.forEach((l, i) => {
    const list = byText.get(l);
    if (list) list.push(i);
    else byText.set(l, [i]);
  });
  return byText;
}

function firstAtOrAfter(list: number[] | undefined, from: number): number {
  if (!list) return -1;
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < list.length ? list[lo]! : -1;
}

export interface Verdict {
  /** Output line number (0-based, engine marker excluded). */
  index: number;
  line: string;
  /** "marker", "cut" or "line" with the original line matched, or "invented". */
  kind: "line" | "cut" | "marker" | "invented";
  original?: number;
}

/** Every output line with what it was matched to. */
export function matchLines(original: string, compressed: string): Verdict[] {
  const orig = splitRaw(original);
  const byText = indexLines(orig);
  const out = outputLines(compressed);
  const verdicts: Verdict[] = [];
  let next = 0;
  out.forEach((line, index) => {
    if (isMarkerLine(line)) {
      verdicts.push({ index, line, kind: "marker" });
      return;
    }
    const exact = firstAtOrAfter(byText.get(line), next);
    const fragments = cutFragments(line);
    let cutAt = -1;
    if (fragments) {
      const stop = exact >= 0 ? exact : orig.length;
      for (let j = next; j < stop; j++) {
        if (fragmentsIn(fragments, orig[j]!)) {
          cutAt = j;
          break;
        }
      }
    }
    if (cutAt >= 0) {
      verdicts.push({ index, line, kind: "cut", original: cutAt });
      next = cutAt + 1;
    } else if (exact >= 0) {
      verdicts.push({ index, line, kind: "line", original: exact });
      next = exact + 1;
    } else {
      verdicts.push({ index, line, kind: "invented" });
    }
  });
  return verdicts;
}

/** The output lines that break the rule (empty: the compressed text invents nothing). */
export function inventedLines(original: string, compressed: string): string[] {
  return matchLines(original, compressed)
    .filter((v) => v.kind === "invented")
    .map((v) => v.line);
}

export type Offence = "reordered" | "joined" | "invented";

/**
 * Why each offending line breaks the rule: "reordered" (a line of the original, but out of
 * order or repeated), "joined" (pieces of two different original lines glued together),
 * "invented" (anything else). For test messages; slower than inventedLines.
 */
export function explainInvented(original: string, compressed: string): { line: string; why: Offence }[] {
  const orig = splitRaw(original);
  const set = new Set(orig);
  const result: { line: string; why: Offence }[] = [];
  for (const v of matchLines(original, compressed)) {
    if (v.kind !== "invented") continue;
    const fragments = cutFragments(v.line);
    if (set.has(v.line) || (fragments && orig.some((o) => fragmentsIn(fragments, o)))) {
      result.push({ line: v.line, why: "reordered" });
    } else if (isJoined(v.line, orig)) {
      result.push({ line: v.line, why: "joined" });
    } else {
      result.push({ line: v.line, why: "invented" });
    }
  }
  return result;
}

/** Some split of the line into a head found in one original line and a tail found in another. */
function isJoined(line: string, orig: string[]): boolean {
  for (let k = 3; k <= line.length - 3; k++) {
    const head = line.slice(0, k).trim();
    const tail = line.slice(k).trim();
    if (head.length < 3 || tail.length < 3) continue;
    const a = orig.findIndex((o) => o.includes(head));
    if (a < 0) continue;
    if (orig.some((o, j) => j !== a && o.includes(tail) && !orig[a]!.includes(tail))) return true;
  }
  return false;
}

/**
 * What the gap markers of a compressed text say was left out, by unit: `… 12 lines …` and
 * `… 1 line …` count 13 under "line"; also rows, commits, similar lines.
 */
export function gapTotals(compressed: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of outputLines(compressed)) {
    const m = /^… (\d+) ((?:similar )?[a-z]+?)s? …$/.exec(line.trim());
    if (!m) continue;
    totals[m[2]!] = (totals[m[2]!] ?? 0) + Number(m[1]);
  }
  return totals;
}

/** The output lines that are lines (or cuts) of the original, markers left out. */
export function keptLines(original: string, compressed: string): string[] {
  return matchLines(original, compressed)
    .filter((v) => v.kind === "line" || v.kind === "cut")
    .map((v) => v.line);
}
