// Unified diffs (`git diff`, `git show`, `diff -u`), only when large: every file header
// (`diff --git`, `index`, `---`, `+++`, mode and rename lines) and every hunk header stays;
// hunks that match the question stay whole; other hunks keep their first few changed lines.
// Every output line is a line of the original; each run of left-out lines is a marker
// `… N lines …`.
import { emitKept, rankMatches, splitLines } from "./lines.ts";
import type { Compressor, CompressorContext, CompressorOutput } from "./types.ts";

/** About 1500 tokens: smaller diffs are read whole. */
const MIN_CHARS = 6000;
/** Changed lines kept of a hunk that does not match the question. */
const FEW_CHANGED = 3;
const MAX_MATCH_HUNKS = 6;
/** Lines of matching hunks kept whole, in all. */
const MAX_MATCH_LINES = 300;
/** Lines matching the question kept (with 2 lines around each) of a matching hunk too long to keep whole. */
const MATCH_LINES_IN_LONG_HUNK = 8;
/** A question term in more than this share of the hunks picks out nothing. */
const DISTINCTIVE = 0.5;
const MAX_LINE = 400;

const HUNK = /^@@@? -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const FILE_HEADER = /^(diff --git |diff -|index [0-9a-f]+\.\.|--- |\+\+\+ |new file mode|deleted file mode|old mode|new mode|similarity index|dissimilarity index|rename (from|to) |copy (from|to) |Binary files |GIT binary patch|Only in )/;

export function looksLikeDiff(lines: readonly string[]): boolean {
  const top = lines.slice(0, 80);
  for (let i = 0; i < top.length; i++) {
    const l = top[i]!;
    if (l.startsWith("diff --git ")) return true;
    if (l.startsWith("--- ") && top[i + 1]?.startsWith("+++ ") && HUNK.test(top[i + 2] ?? "")) return true;
  }
  return false;
}

interface Hunk {
  header: number;
  /** First line after the header, and one past its last line. */
  from: number;
  to: number;
  /** The file header line naming its file (`diff --git` or `+++`), -1 when none. */
  file: number;
}

/** The hunks of the diff in lines [from, to): each hunk's body by the counts in its header. */
export function hunksOf(lines: readonly string[], from: number, to: number): Hunk[] {
  const hunks: Hunk[] = [];
  let file = -1;
  for (let i = from; i < to; i++) {
    const l = lines[i]!;
    const m = HUNK.exec(l);
    if (!m) {
      if (l.startsWith("diff ") || l.startsWith("+++ ")) file = i;
      continue;
    }
    let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
    let newLeft = m[4] === undefined ? 1 : Number(m[4]);
    let j = i + 1;
    while (j < to && (oldLeft > 0 || newLeft > 0)) {
      const c = lines[j]![0];
      if (c === "-") oldLeft--;
      else if (c === "+") newLeft--;
      else if (c === " " || lines[j] === "") {
        oldLeft--;
        newLeft--;
      } else if (c !== "\\") break;
      j++;
    }
    while (j < to && lines[j]!.startsWith("\\")) j++; // `\ No newline at end of file`
    hunks.push({ header: i, from: i + 1, to: j, file });
    i = j - 1;
  }
  return hunks;
}

/**
 * Marks what to keep of the diff in lines [from, to): every line outside a hunk (file
 * headers, and whatever else stands between files), every hunk header, the hunks that match
 * the question whole, a few changed lines of the others.
 */
export function selectDiff(lines: readonly string[], from: number, to: number, ctx: CompressorContext, keep: Uint8Array): void {
  const hunks = hunksOf(lines, from, to);
  let at = from;
  for (const h of hunks) {
    for (let i = at; i <= h.header; i++) keep[i] = 1;
    at = h.to;
  }
  for (let i = at; i < to; i++) keep[i] = 1;
  if (hunks.length === 0) return;

  const matched = new Uint8Array(hunks.length);
  if (ctx.queryTerms.length > 0) {
    const texts = hunks.map((h) => {
      let t = h.file >= 0 ? lines[h.file]!.toLowerCase() : "";
      for (let i = h.header; i < h.to; i++) t += `\n${lines[i]!.toLowerCase()}`;
      return t;
    });
    let room = MAX_MATCH_LINES;
    for (const k of rankMatches(texts, ctx.queryTerms, DISTINCTIVE, MAX_MATCH_HUNKS)) {
      const h = hunks[k]!;
      if (h.to - h.from <= room) {
        room -= h.to - h.from;
        matched[k] = 1;
        for (let i = h.from; i < h.to; i++) keep[i] = 1;
        continue;
      }
      // Too long to keep whole: the lines in it that match, with a little context.
      const body = lines.slice(h.from, h.to).map((l) => l.toLowerCase());
      for (const j of rankMatches(body, ctx.queryTerms, 1, MATCH_LINES_IN_LONG_HUNK)) {
        for (let i = Math.max(h.from, h.from + j - 2); i <= Math.min(h.to - 1, h.from + j + 2); i++) keep[i] = 1;
      }
    }
  }
  hunks.forEach((h, k) => {
    if (matched[k]) return;
    let changed = 0;
    for (let i = h.from; i < h.to && changed < FEW_CHANGED; i++) {
      const c = lines[i]![0];
      if (c === "+" || c === "-") {
        keep[i] = 1;
        changed++;
      }
    }
  });
}

export const diffCompressor: Compressor = {
  kind: "diff",
  detect(text) {
    return text.length >= MIN_CHARS && looksLikeDiff(splitLines(text));
  },
  compress(text, ctx): CompressorOutput | null {
    if (text.length < MIN_CHARS) return null;
    const lines = splitLines(text);
    const keep = new Uint8Array(lines.length);
    selectDiff(lines, 0, lines.length, ctx, keep);
    const out = emitKept(lines, keep, MAX_LINE);
    if (out.omitted === 0) return null;
    let files = 0;
    for (const l of lines) if (l.startsWith("diff ")) files++;
    return {
      text: out.lines.join("\n"),
      summary: `${out.omitted} of ${lines.length} diff lines omitted${files > 0 ? ` (${files} files; every file and hunk header kept)` : ""}`,
    };
  },
};
