// The never-invent property: whatever the engine makes of a tool output — random logs,
// grep hits with random line numbers, tables, listings, commit logs, diffs, JSON pretty and
// minified — with whatever question, every output line is a line of the original (in
// order), a gap marker, or a marked cut of one original line. Over the real corpus too,
// where the facts each question needs survive and the outputs to leave alone come back
// unchanged.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { repoRoot } from "../../support/bin.ts";
import { explainInvented, inventedLines } from "../../support/never-invent.ts";
import { pick, rng, WORDS } from "./line-fixtures.ts";

type R = () => number;
const int = (r: R, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const word = (r: R) => pick(r, [...WORDS, "zeppelin", "hangar", "naïve", "日本語", "emoji🚀", "x".repeat(int(r, 1, 12))]);
const words = (r: R, n: number) => Array.from({ length: n }, () => word(r)).join(" ");
const time = (r: R, i: number) => `2026-05-${String(int(r, 1, 28)).padStart(2, "0")} ${String(i % 24).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}:${String(int(r, 0, 59)).padStart(2, "0")}`;
/** Sometimes a line far over any cut, with a surrogate pair where a cut may fall. */
const maybeLong = (r: R, line: string) => (r() < 0.04 ? `${line} ${"🚀".repeat(int(r, 100, 300))}${"y".repeat(int(r, 0, 300))}` : line);
const eol = (r: R, lines: string[]) => (r() < 0.15 ? lines.join("\r\n") : lines.join("\n")) + (r() < 0.5 ? "\n" : "");

function randomLog(r: R): string {
  const lines: string[] = [];
  const n = int(r, 60, 500);
  for (let i = 0; i < n; i++) {
    const roll = r();
    if (roll < 0.05) lines.push(`${time(r, i)} ERROR ${words(r, 4)} failed: ${words(r, 3)}`);
    else if (roll < 0.08) lines.push(`${time(r, i)} WARN ${words(r, 6)}`);
    else if (roll < 0.1) for (let k = int(r, 2, 14); k > 0; k--) lines.push(`    at ${word(r)} (/app/${word(r)}.js:${int(r, 1, 900)}:${int(r, 1, 80)})`);
    else if (roll < 0.12) for (let k = int(r, 2, 20); k > 0; k--) lines.push(`retrying connection to ${word(r)} attempt ${k}`);
    else if (roll < 0.14) lines.push("");
    else if (roll < 0.16) lines.push(`  File "/srv/${word(r)}.py", line ${int(r, 1, 400)}, in ${word(r)}`);
    else if (roll < 0.17) lines.push(`${int(r, 1, 300)} passed, ${int(r, 0, 9)} failed`);
    else lines.push(maybeLong(r, `${time(r, i)} INFO ${words(r, int(r, 2, 12))}`));
  }
  return eol(r, lines);
}

function randomGrep(r: R): string {
  const lines: string[] = [];
  const files = Array.from({ length: int(r, 1, 60) }, (_, f) => `src/${word(r)}/${word(r)}${f}.ts`.replace(/\s/g, "_"));
  const n = int(r, 40, 600);
  for (let i = 0; i < n; i++) {
    const file = r() < 0.7 && lines.length > 0 ? files[Math.min(files.length - 1, Math.floor(i / (n / files.length)))]! : pick(r, files);
    const line = int(r, 1, 5000);
    const roll = r();
    if (roll < 0.1) {
      lines.push(`${file}-${line - 1}-  ${words(r, 5)}`, `${file}:${line}:  ${words(r, 5)}`, `${file}-${line + 1}-  ${words(r, 5)}`, "--");
    } else if (roll < 0.12) lines.push(`Binary file ${file}.bin matches`);
    else lines.push(maybeLong(r, `${r() < 0.2 ? "./" : ""}${file}:${line}:${r() < 0.5 ? `${int(r, 1, 80)}:` : ""}  ${words(r, int(r, 2, 14))}`));
  }
  return eol(r, lines);
}

function randomTable(r: R): string {
  const rows = int(r, 30, 400);
  const kind = int(r, 0, 3);
  const lines: string[] = [];
  if (kind === 0) {
    lines.push("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND");
    for (let i = 0; i < rows; i++) lines.push(maybeLong(r, `${pick(r, ["root", "admin"]).padEnd(8)} ${String(int(r, 1, 99999)).padStart(7)} ${(r() * 9).toFixed(1).padStart(4)} ${(r() * 9).toFixed(1).padStart(4)} ${String(int(r, 0, 999999)).padStart(6)} ${String(int(r, 0, 99999)).padStart(5)} ?        S    10:00   0:0${i % 10} ${words(r, int(r, 1, 6))}`));
  } else if (kind === 1) {
    lines.push("id,name,size,note");
    for (let i = 0; i < rows; i++) lines.push(`${i},"${words(r, 2)}",${int(r, 0, 9999)},${r() < 0.03 ? "failed" : word(r)}`);
  } else if (kind === 2) {
    lines.push("name\tversion\tarch");
    for (let i = 0; i < rows; i++) lines.push(`${word(r)}${i}\t${int(r, 0, 9)}.${int(r, 0, 9)}\t${pick(r, ["amd64", "all"])}`);
  } else {
    lines.push("||/ Name        Version   Architecture Description", "+++-===========-=========-============-==============");
    for (let i = 0; i < rows; i++) lines.push(`ii  ${`${word(r)}${i}`.padEnd(11)} ${`${int(r, 0, 9)}.${int(r, 0, 9)}`.padEnd(9)} amd64        ${words(r, int(r, 2, 8))}`);
  }
  return eol(r, lines);
}

function randomListing(r: R): string {
  const kind = int(r, 0, 2);
  const lines: string[] = [];
  const dirs = Array.from({ length: int(r, 3, 40) }, (_, d) => `./${word(r)}${d}/${word(r)}`.replace(/\s/g, "_"));
  if (kind === 0) {
    lines.push(".:");
    for (const d of ["", ...dirs]) {
      if (d) lines.push("", `${d}:`);
      lines.push(`total ${int(r, 0, 900)}`);
      for (let k = int(r, 1, 30); k > 0; k--) lines.push(`-rw-r--r-- 1 root root ${String(int(r, 0, 99999)).padStart(5)} Dec  1 10:00 ${word(r)}${k}.txt`.replace(/(\S) (\S+\.txt)$/, "$1 $2"));
    }
  } else if (kind === 1) {
    lines.push(".");
    for (const d of dirs) {
      lines.push(d);
      for (let k = int(r, 1, 30); k > 0; k--) lines.push(`${d}/${word(r)}${k}.${pick(r, ["ts", "md", "json"])}`.replace(/\s/g, "_"));
    }
  } else {
    lines.push(".");
    dirs.forEach((d, i) => {
      const last = i === dirs.length - 1;
      lines.push(`${last ? "└── " : "├── "}${d.slice(2)}`);
      const k = int(r, 1, 20);
      for (let j = 0; j < k; j++) lines.push(`${last ? "    " : "│   "}${j === k - 1 ? "└── " : "├── "}${word(r)}${j}`);
    });
    lines.push("", `${dirs.length} directories, ${lines.length} files`);
  }
  return eol(r, lines);
}

function randomDiff(r: R, files = int(r, 2, 30)): string[] {
  const lines: string[] = [];
  for (let f = 0; f < files; f++) {
    const path = `src/${word(r)}${f}.ts`.replace(/\s/g, "_");
    lines.push(`diff --git a/${path} b/${path}`, `index ${int(r, 1000000, 9999999).toString(16)}..${int(r, 1000000, 9999999).toString(16)} 100644`, `--- a/${path}`, `+++ b/${path}`);
    let at = 1;
    for (let h = int(r, 1, 6); h > 0; h--) {
      const body: string[] = [];
      let oldN = 0;
      let newN = 0;
      for (let k = int(r, 3, 40); k > 0; k--) {
        const c = pick(r, [" ", " ", "-", "+"]);
        body.push(maybeLong(r, `${c}  ${c === "-" && r() < 0.1 ? "-- " : ""}${words(r, int(r, 1, 8))}`));
        if (c !== "+") oldN++;
        if (c !== "-") newN++;
      }
      lines.push(`@@ -${at},${oldN} +${at},${newN} @@ ${word(r)}`, ...body);
      at += oldN + int(r, 5, 50);
    }
  }
  return lines;
}

function randomCommitLog(r: R): string {
  const lines: string[] = [];
  const withPatch = r() < 0.3;
  for (let c = int(r, 5, 80); c > 0; c--) {
    const sha = Array.from({ length: 40 }, () => "0123456789abcdef"[int(r, 0, 15)]).join("");
    lines.push(`commit ${sha}${r() < 0.1 ? " (HEAD -> main)" : ""}`, `Author: ${word(r)} <${word(r)}@example.org>`.replace(/\s+(?=@)/g, ""), `Date:   Tue Dec 1 10:0${c % 10}:00 2026 +0000`, "", `    ${words(r, int(r, 3, 10))}`);
    if (r() < 0.5) lines.push("", `    ${words(r, int(r, 5, 20))}`);
    lines.push("");
    if (withPatch) lines.push(...randomDiff(r, int(r, 1, 3)));
    else {
      const files = int(r, 1, 6);
      for (let f = 0; f < files; f++) lines.push(` src/${word(r)}${f}.ts | ${int(r, 1, 90)} ${"+".repeat(int(r, 0, 20))}${"-".repeat(int(r, 0, 20))}`.replace(/src\/(\S+) (\S+)/, "src/$1_$2"));
      lines.push(` ${files} files changed, ${int(r, 1, 500)} insertions(+), ${int(r, 0, 300)} deletions(-)`, "");
    }
  }
  return eol(r, lines);
}

function randomJsonValue(r: R, depth: number): unknown {
  const roll = r();
  if (depth <= 0 || roll < 0.3) return pick(r, [int(r, -9, 9999), r() < 0.5, null, words(r, int(r, 1, 6)), r() < 0.05 ? "x".repeat(int(r, 300, 2000)) : word(r)]);
  if (roll < 0.6) return Array.from({ length: int(r, 0, 40) }, () => randomJsonValue(r, depth - 1));
  return Object.fromEntries(Array.from({ length: int(r, 1, 12) }, (_, k) => [`${word(r)}_${k}`, randomJsonValue(r, depth - 1)]));
}

function randomJson(r: R): string {
  const rows = Array.from({ length: int(r, 10, 200) }, (_, i) => ({ id: i, name: words(r, 2), state: r() < 0.05 ? "error: timed out" : "ok", data: randomJsonValue(r, 2) }));
  const value = r() < 0.5 ? rows : { total: rows.length, items: rows, meta: randomJsonValue(r, 3) };
  return r() < 0.5 ? JSON.stringify(value, null, 2) : JSON.stringify(value);
}

/** Random question: words of the text, and words that are not in it. */
function randomQuestion(r: R, text: string): string {
  const tokens = text.slice(0, 20000).split(/\s+/).filter((t) => t.length >= 3);
  const picked = Array.from({ length: int(r, 0, 5) }, () => (tokens.length > 0 ? pick(r, tokens) : ""));
  return [...picked, ...Array.from({ length: int(r, 0, 2) }, () => word(r))].join(" ");
}

const SHAPES: [string, (r: R) => string][] = [
  ["log", randomLog],
  ["grep", randomGrep],
  ["table", randomTable],
  ["listing", randomListing],
  ["commit log", randomCommitLog],
  ["diff", (r) => eol(r, randomDiff(r, int(r, 10, 40)))],
];
const RUNS = 40;

/** The runs whose output invents a line; and how many runs were compressed at all. */
function failures(make: (r: R) => string, seed: number): { compressed: number; failures: { seed: number; kind?: string; offences: unknown[] }[] } {
  const found: { seed: number; kind?: string; offences: unknown[] }[] = [];
  let compressed = 0;
  for (let k = 0; k < RUNS; k++) {
    const r = rng(seed + k);
    const text = make(r);
    const c = compressToolText(text, { queryTerms: queryTerms(randomQuestion(r, text)) });
    if (!c) continue;
    compressed++;
    if (inventedLines(text, c.text).length > 0) found.push({ seed: seed + k, kind: c.kind, offences: explainInvented(text, c.text).slice(0, 3) });
  }
  return { compressed, failures: found };
}

describe("generated outputs", () => {
  SHAPES.forEach(([shape, make], s) => {
    test(`${shape}: no compressed line is invented`, () => {
      resetMemo();
      const { compressed, failures: found } = failures(make, 1000 * (s + 1));
      expect({ shape, failures: found }).toEqual({ shape, failures: [] });
      // Most generated outputs are large enough to be compressed: the property is exercised.
      expect(compressed).toBeGreaterThanOrEqual(RUNS / 2);
    });
  });

  test("the generators reach the compressors they are meant for", () => {
    resetMemo();
    const kinds = new Set<string>();
    for (const [, make] of SHAPES) {
      for (let k = 0; k < 10; k++) {
        const r = rng(77 + k);
        const c = compressToolText(make(r), { queryTerms: [] });
        if (c) kinds.add(c.kind);
      }
    }
    expect([...kinds].sort()).toEqual(["commit-log", "diff", "listing", "log", "search", "table"]);
  });

  test("JSON, pretty and minified: no compressed line is invented", () => {
    resetMemo();
    const { compressed, failures: found } = failures(randomJson, 9000);
    expect({ shape: "json", failures: found }).toEqual({ shape: "json", failures: [] });
    expect(compressed).toBeGreaterThanOrEqual(RUNS / 2);
  });
});

const CORPUS = join(repoRoot, "bench/corpus/load.ts");
const isJson = (shape: string) => shape.startsWith("json");

describe.skipIf(!existsSync(CORPUS))("the real corpus", () => {
  async function results(json: boolean) {
    const { loadCorpus } = (await import(CORPUS)) as typeof import("../../../bench/corpus/load.ts");
    resetMemo();
    const bad: Record<string, unknown>[] = [];
    for (const item of loadCorpus()) {
      if (isJson(item.shape) !== json) continue;
      const c = compressToolText(item.text, { queryTerms: queryTerms(item.question) });
      if (item.leaveAlone) {
        if (c) bad.push({ id: item.id, problem: "compressed, but should be left alone", kind: c.kind });
        continue;
      }
      const out = c ? c.text : item.text;
      const lost = item.mustSurvive.filter((m) => !out.includes(m));
      if (lost.length > 0) bad.push({ id: item.id, problem: "lost", lost });
      if (c && inventedLines(item.text, c.text).length > 0) bad.push({ id: item.id, problem: "invented", lines: explainInvented(item.text, c.text).slice(0, 3) });
    }
    return bad;
  }

  test("non-JSON items: nothing invented, every mustSurvive kept, leave-alone items unchanged", async () => {
    expect(await results(false)).toEqual([]);
  });

  test("JSON items: nothing invented, every mustSurvive kept", async () => {
    expect(await results(true)).toEqual([]);
  });
});
