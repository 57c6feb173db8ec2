// Build and test logs (and other long line-oriented output): errors with a few lines of
// context, stack traces and warnings (bounded), summary lines, lines matching the question,
// the first and last lines. A run of repeated lines keeps its first line as it was and a
// marker `… N similar lines …` after it; every other output line is a line of the original.
import { ERROR_WORDS } from "../query.ts";
import { cutLine, gapLine, looksLikeDocument, looksLikeLog, looksLikeSearch, normalizeLine, rankMatches, sampleLines, splitLines } from "./lines.ts";
import type { Compressor, CompressorOutput } from "./types.ts";

const MIN_LINES = 30;
const HEAD = 3;
const TAIL = 4;
const BEFORE = 2;
const AFTER = 4;
const MAX_FRAMES = 6;
const MAX_WARNINGS = 5;
const MAX_ERROR_BLOCKS = 12;
const MAX_QUERY_LINES = 8;
/** A question term in more than this share of the lines picks out nothing. */
const DISTINCTIVE = 0.2;
/** An error block grows by the errors inside it up to this many lines from its first. */
const MAX_BLOCK_SPAN = 8;
const MAX_LINE = 400;
/** Kept lines alike (numbers aside) that collapse into the first and a marker. */
const MIN_RUN = 3;

const ERROR_LINE = /\w(Error|Exception):|^\s*(error\b|err!|fatal\b|panic\b|✗|×|✘|FAIL\b|FAILED\b|\(fail\)|E\s{1,3}\S)|\b(error|exception|failed|failure|fatal|panic|traceback)\b|\berror\s?TS\d+|\bE\d{4}\b/i;
const STRONG_FRAME = /^\s+(at\s|File ".*", line \d+|\d+\s*\||from\s\S+:\d+)/;
const FRAME_LINE = new RegExp(`${STRONG_FRAME.source}|^\\s+\\S+\\.(js|ts|py|rb|go|rs|java)[:(]\\d+`);
const WARNING_LINE = /\bwarn(ing)?s?\b|^\s*W\d{4}\b/i;
/** Lines that report success; never kept as context around an error. */
const PASS_LINE = /^\s*(\(pass\)|✓|✔|√|PASS\b|ok\s+\d+\b|\[\s*OK\s*\])/;
const SUMMARY_LINE = /^\s*\d+\s+(pass(ed)?|fail(ed)?|skip(ped)?|todo|errors?|warnings?|tests?)\b|\b\d+\s+(passed|failed|errors?|warnings?|tests?|suites?)\b|^\s*(Ran|Tests?:|Test Suites:|Summary|Total|Done in|Finished|BUILD (SUCCESS|FAILED)|Build (succeeded|failed)|Compiled|exit (code|status))|\bexpect\(\) calls\b/i;

export const logCompressor: Compressor = {
  kind: "log",
  detect(text) {
    const lines = splitLines(text);
    if (lines.length < MIN_LINES) return false;
    const sample = sampleLines(lines);
    return !looksLikeDocument(sample) && !looksLikeSearch(sample) && looksLikeLog(sample);
  },
  compress(text, ctx): CompressorOutput | null {
    const lines = splitLines(text);
    const n = lines.length;
    const keep = new Uint8Array(n);
    for (let i = 0; i < Math.min(HEAD, n); i++) keep[i] = 1;
    for (let i = Math.max(0, n - TAIL); i < n; i++) keep[i] = 1;

    let errorBlocks = 0;
    let warnings = 0;
    let blockStart = -1;
    const seenWarnings = new Set<string>();
    const frame = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const line = lines[i]!;
      // A lone `  file.go:24: message` is a test's message, not a trace: an ordinary line.
      if (FRAME_LINE.test(line) && (STRONG_FRAME.test(line) || (i + 1 < n && FRAME_LINE.test(lines[i + 1]!)))) {
        // Stack frames: the first and last few of each trace.
        let end = i;
        while (end + 1 < n && FRAME_LINE.test(lines[end + 1]!)) end++;
        for (let j = i; j <= end; j++) {
          frame[j] = 1;
          if (j - i < MAX_FRAMES / 2 || end - j < MAX_FRAMES / 2) keep[j] = 1;
        }
        i = end;
        continue;
      }
      if (SUMMARY_LINE.test(line)) keep[i] = 1;
      if (ERROR_LINE.test(line) || ERROR_WORDS.test(line)) {
        // An error inside the block of the one before extends that block (up to a span);
        // otherwise it opens a new block while there are blocks left.
        const extends_ = keep[i] === 1 && blockStart >= 0 && i - blockStart <= MAX_BLOCK_SPAN;
        if (extends_ || errorBlocks < MAX_ERROR_BLOCKS) {
          if (!extends_) {
            errorBlocks++;
            blockStart = i;
          }
          for (let j = Math.max(0, i - BEFORE); j <= Math.min(n - 1, i + AFTER); j++) if (j === i || !PASS_LINE.test(lines[j]!)) keep[j] = 1;
        }
        continue;
      }
      if (WARNING_LINE.test(line)) {
        const key = normalizeLine(line);
        if (!seenWarnings.has(key) && warnings < MAX_WARNINGS) {
          seenWarnings.add(key);
          warnings++;
          keep[i] = 1;
        }
        continue;
      }
    }
    // The lines that best match the question (by its terms that pick out few lines), errors
    // and warnings among them.
    if (ctx.queryTerms.length > 0) {
      const lower = lines.map((l) => l.toLowerCase());
      for (const i of rankMatches(lower, ctx.queryTerms, DISTINCTIVE, MAX_QUERY_LINES)) keep[i] = 1;
    }

    // A line kept once (an error repeated in the closing summary) is not kept again.
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      if (!keep[i] || lines[i]!.trim().length < 12) continue;
      if (seen.has(lines[i]!) && lines[i - 1] !== lines[i]) keep[i] = 0;
      else seen.add(lines[i]!);
    }

    const out: string[] = [];
    let omitted = 0;
    let gap = 0;
    let collapsed = 0;
    for (let i = 0; i < n; i++) {
      if (!keep[i]) {
        gap++;
        continue;
      }
      if (gap > 0) {
        out.push(gapLine(gap));
        omitted += gap;
        gap = 0;
      }
      // Collapse a run of lines that repeat (numbers aside).
      const key = normalizeLine(lines[i]!);
      let run = 1;
      while (!frame[i] && i + run < n && keep[i + run] && normalizeLine(lines[i + run]!) === key && key !== "") run++;
      out.push(cutLine(lines[i]!, MAX_LINE));
      // The first of the run stays as it was; the others become a marker after it.
      // (Two alike stay as they are: a marker would cost as much as the line.)
      if (run < MIN_RUN) continue;
      out.push(`… ${run - 1} similar lines …`);
      collapsed += run - 1;
      i += run - 1;
    }
    if (gap > 0) {
      out.push(gapLine(gap));
      omitted += gap;
    }
    if (omitted === 0 && collapsed === 0) return null;
    return {
      text: out.join("\n"),
      summary: `${omitted + collapsed} of ${n} lines omitted`,
    };
  },
};
