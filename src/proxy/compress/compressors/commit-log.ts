// `git log`, `git log --stat`, `git log -p`: commits (from `commit <sha>` to the next) are the
// units. The first commits stay whole, and so do the commits the question names (terms in
// the message, author, sha or changed files); the runs of other commits become a marker
// `… N commits …`. A kept commit's patch is thinned like a diff. Every output line is a line
// of the original. (`git log --oneline` is a list of rows: see table.ts.)
import { selectDiff } from "./diff.ts";
import { emitKept, gapLine, rankMatches, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

const COMMIT = /^commit [0-9a-f]{7,64}\b/;
const MIN_COMMITS = 4;
const HEAD_COMMITS = 2;
const MAX_MATCH_COMMITS = 5;
/** A question term in more than this share of the commits picks out nothing. */
const DISTINCTIVE = 0.25;
/** A kept commit's message and stat longer than this keep their head and tail only. */
const MAX_HEAD_LINES = 120;
const TAIL_LINES = 3;
/** A kept commit's patch longer than this is thinned like a diff. */
const MAX_PATCH_LINES = 60;
const MAX_LINE = 400;

export function commitStarts(lines: readonly string[]): number[] {
  const starts: number[] = [];
  for (let i = 0; i < lines.length; i++) if (COMMIT.test(lines[i]!)) starts.push(i);
  return starts;
}

export function looksLikeCommitLog(lines: readonly string[]): boolean {
  const first = lines.findIndex((l) => l.trim() !== "");
  if (first < 0 || first > 3 || !COMMIT.test(lines[first]!)) return false;
  let commits = 0;
  let authors = 0;
  for (let i = first; i < lines.length && commits < 50; i++) {
    if (!lines[i]!.startsWith("commit ") || !COMMIT.test(lines[i]!)) continue;
    commits++;
    for (let j = i + 1; j < Math.min(lines.length, i + 4); j++) if (/^(Author|Merge|Date|AuthorDate|Commit):/.test(lines[j]!)) authors++;
  }
  return commits >= 2 && authors >= commits;
}

export const commitLogCompressor: Compressor = {
  kind: "commit-log",
  detect(text) {
    return looksLikeCommitLog(splitLines(text));
  },
  compress(text, ctx): CompressorOutput | null {
    const lines = splitLines(text);
    const starts = commitStarts(lines);
    const count = starts.length;
    if (count < MIN_COMMITS) return null;
    const end = (k: number) => (k + 1 < count ? starts[k + 1]! : lines.length);
    // Where each commit's patch begins (its length when it has none).
    const patchAt = starts.map((s, k) => {
      for (let i = s; i < end(k); i++) if (lines[i]!.startsWith("diff ")) return i;
      return end(k);
    });

    const kept = new Uint8Array(count);
    for (let k = 0; k < Math.min(HEAD_COMMITS, count); k++) kept[k] = 1;
    let matched = 0;
    if (ctx.queryTerms.length > 0) {
      const texts = starts.map((s, k) => {
        let t = lines.slice(s, patchAt[k]!).join("\n");
        for (let i = patchAt[k]!; i < end(k); i++) if (lines[i]!.startsWith("diff ")) t += `\n${lines[i]!}`;
        return t.toLowerCase();
      });
      for (const k of rankMatches(texts, ctx.queryTerms, DISTINCTIVE, MAX_MATCH_COMMITS)) {
        if (!kept[k]) matched++;
        kept[k] = 1;
      }
    }

    const keep = new Uint8Array(lines.length);
    for (let i = 0; i < (starts[0] ?? 0); i++) keep[i] = 1;
    for (let k = 0; k < count; k++) {
      if (!kept[k]) continue;
      const s = starts[k]!;
      const p = patchAt[k]!;
      if (p - s <= MAX_HEAD_LINES) for (let i = s; i < p; i++) keep[i] = 1;
      else {
        for (let i = s; i < s + MAX_HEAD_LINES - TAIL_LINES; i++) keep[i] = 1;
        for (let i = p - TAIL_LINES; i < p; i++) keep[i] = 1;
      }
      if (end(k) - p <= MAX_PATCH_LINES) for (let i = p; i < end(k); i++) keep[i] = 1;
      else selectDiff(lines, p, end(k), ctx, keep);
    }

    // Kept commits line by line (a cut inside one is `… N lines …`); dropped runs as `… N commits …`.
    const out: string[] = [];
    for (let i = 0; i < (starts[0] ?? 0); i++) out.push(lines[i]!);
    let dropped = 0;
    let droppedRun = 0;
    let omittedLines = 0;
    for (let k = 0; k < count; k++) {
      if (!kept[k]) {
        droppedRun++;
        dropped++;
        continue;
      }
      if (droppedRun > 0) out.push(gapLine(droppedRun, "commit"));
      droppedRun = 0;
      const part = emitKept(lines.slice(starts[k]!, end(k)), keep.subarray(starts[k]!, end(k)), MAX_LINE);
      omittedLines += part.omitted;
      out.push(...part.lines);
    }
    if (droppedRun > 0) out.push(gapLine(droppedRun, "commit"));
    if (dropped === 0 && omittedLines === 0) return null;
    return {
      text: out.join("\n"),
      summary: `${dropped} of ${count} commits omitted${matched > 0 ? `, kept ${matched} matching the question` : ""}${omittedLines > 0 ? `, ${omittedLines} lines of kept commits omitted` : ""}`,
    };
  },
};
