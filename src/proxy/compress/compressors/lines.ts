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

const CODE_LINE = /^\s*(import|export|const|let|var|function|async|return|if|else|for|while|switch|case|class|interface|type|enum|def|elif|try|catch|except|finally|package|func|fn|pub|use|impl|struct|#include|#define|public|private|protected|static)\b|[{};,(]\s*$|^\s*[}\])]|^\s*(\/\/|\/\*|\*|#(?!\d))/;

/** Source code passes through untouched: many lines shaped like statements. */
export function looksLikeCode(lines: string[]): boolean {
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

export function looksLikeSearch(lines: string[]): boolean {
  let hits = 0;
  let nonEmpty = 0;
  for (const line of lines) {
    if (line.trim() === "" || line === "--") continue;
    nonEmpty++;
    if (SEARCH_LINE.test(line)) hits++;
  }
  return nonEmpty >= 10 && hits / nonEmpty >= 0.7;
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
export function looksLikeLog(lines: string[]): boolean {
  let signals = 0;
  let nonEmpty = 0;
  const shapes = new Map<string, number>();
  for (const line of lines) {
    if (line.trim() === "") continue;
    nonEmpty++;
    if (LOG_SIGNAL.test(line)) signals++;
    const shape = normalizeLine(line).replace(/[a-z]+/gi, "w").slice(0, 40);
    shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
  }
  if (nonEmpty === 0) return false;
  let repeated = 0;
  for (const n of shapes.values()) if (n > 1) repeated += n;
  return signals / nonEmpty >= 0.2 || repeated / nonEmpty >= 0.6;
}
