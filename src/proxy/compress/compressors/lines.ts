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

export const SEARCH_LINE = /^(?:\.\/)?([^\s:][^:\n]*?):(\d+)[:-](.*)$/;

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
