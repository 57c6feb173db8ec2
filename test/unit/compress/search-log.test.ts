// Search hits from the real grep over files made here, and logs: hit lines stay verbatim
// with their own line numbers and in their original order, gaps are counted, nothing is
// moved or rewritten; a run of repeated log lines keeps its first line as it was.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { splitLines } from "../../../src/proxy/compress/compressors/lines.ts";
import { logCompressor } from "../../../src/proxy/compress/compressors/log.ts";
import { searchCompressor } from "../../../src/proxy/compress/compressors/search.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { gapTotals, inventedLines, keptLines, matchLines } from "../../support/never-invent.ts";
import { pick, rng, run, tempDir, WORDS } from "./line-fixtures.ts";

let dir = "";
let done = () => {};
const out: Record<string, string> = {};
beforeAll(() => {
  const t = tempDir("grep");
  dir = t.dir;
  done = t.done;
  const r = rng(13);
  mkdirSync(join(dir, "src"), { recursive: true });
  for (let f = 0; f < 12; f++) {
    const lines = Array.from({ length: 200 }, (_, i) => (r() < 0.15 ? `  await retry(${pick(r, WORDS)}Job${i});` : `  const ${pick(r, WORDS)}${i} = ${i};`));
    if (f === 7) lines[141] = "  await retry(hangarDoor, { budget: 3 }); // zeppelin door";
    writeFileSync(join(dir, "src", `${WORDS[f]}.ts`), `${lines.join("\n")}\n`);
  }
  out.grep = run(["grep", "-rn", "retry", "src"], dir);
  out.context = run(["grep", "-rn", "-C2", "retry", "src"], dir);
}, 60_000);
afterAll(() => done());

function squeeze(text: string, question: string) {
  const res = searchCompressor.compress(text, { queryTerms: queryTerms(question) });
  expect(res).not.toBeNull();
  expect(inventedLines(text, res!.text)).toEqual([]);
  expect(keptLines(text, res!.text).length + (gapTotals(res!.text).line ?? 0)).toBe(splitLines(text).length);
  return { ...res!, lines: res!.text.split("\n") };
}

describe("grep -rn", () => {
  test("the asked-for hit survives with its own line number; each file keeps its earliest hits", () => {
    const res = squeeze(out.grep!, "where is the zeppelin door retried?");
    expect(res.lines).toContain(`src/${WORDS[7]}.ts:142:  await retry(hangarDoor, { budget: 3 }); // zeppelin door`);
    for (let f = 0; f < 12; f++) {
      const first = splitLines(out.grep!).find((l) => l.startsWith(`src/${WORDS[f]}.ts:`))!;
      expect(res.lines).toContain(first);
    }
    expect(res.summary).toMatch(/^\d+ hits in 12 files, \d+ hits omitted$/);
  });

  test("kept lines are in their original order", () => {
    const res = squeeze(out.grep!, "zeppelin");
    const order = matchLines(out.grep!, res.text)
      .map((v) => v.original)
      .filter((i) => i !== undefined);
    expect(order).toEqual([...order].sort((a, b) => a! - b!));
  });

  test("grep -C2: the asked-for hit keeps its context lines", () => {
    const res = squeeze(out.context!, "where is the zeppelin door retried?");
    const all = splitLines(out.context!);
    const at = all.findIndex((l) => l.includes("zeppelin door"));
    for (let i = at - 2; i <= at + 2; i++) expect(res.lines).toContain(all[i]!);
  });

  test("ripgrep --heading: a kept hit keeps the path line above it", () => {
    const r = rng(2);
    const blocks: string[] = [];
    for (let f = 0; f < 30; f++) {
      blocks.push(`node_modules/pkg${f}/index.d.ts`);
      for (let h = 0; h < 3 + Math.floor(r() * 5); h++) blocks.push(`${10 + h * 7}:export interface ${pick(r, WORDS)}Options {`);
      if (f === 17) blocks.push("212:  interface HookOptions {");
      blocks.push("");
    }
    const text = blocks.join("\n");
    const res = squeeze(text, "Where is the interface HookOptions declared in node_modules/pkg17/index.d.ts?");
    const at = res.lines.indexOf("212:  interface HookOptions {");
    expect(at).toBeGreaterThan(0);
    const header = res.lines.slice(0, at).reverse().find((l) => l.startsWith("node_modules/"));
    expect(header).toBe("node_modules/pkg17/index.d.ts");
  });

  test("through the engine grep output goes to the search compressor", () => {
    resetMemo();
    const c = compressToolText(out.grep!, { queryTerms: queryTerms("zeppelin door") });
    expect(c?.kind).toBe("search");
    expect(inventedLines(out.grep!, c!.text)).toEqual([]);
  });
});

describe("logs", () => {
  const noise = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `  compiling module_${from + i}.o`);

  test("repeats: the first line verbatim, then `… N similar lines …`; gaps and repeats add up", () => {
    const text = ["start", ...noise(30), ...Array.from({ length: 12 }, (_, i) => `error: disk full on /dev/sda${i}`), ...noise(30, 30), "done"].join("\n");
    const res = logCompressor.compress(text, { queryTerms: [] })!;
    expect(inventedLines(text, res.text)).toEqual([]);
    const lines = res.text.split("\n");
    expect(lines[lines.indexOf("error: disk full on /dev/sda0") + 1]).toBe("… 11 similar lines …");
    expect(res.text).not.toContain("sda1");
    const gaps = gapTotals(res.text);
    expect(keptLines(text, res.text).length + gaps.line! + gaps["similar line"]!).toBe(splitLines(text).length);
    expect(res.summary).toBe(`${gaps.line! + gaps["similar line"]!} of ${splitLines(text).length} lines omitted`);
  });

  test("a long run of compiler errors is bounded; the asked-for error survives", () => {
    const errors = Array.from({ length: 600 }, (_, i) => `src/mod${i % 40}.ts(${i + 1},${(i % 30) + 1}): error TS2322: Type 'string' is not assignable to type 'number'.`);
    errors[377] = "src/proxy/hangar.ts(65,18): error TS4111: Property 'zeppelin' comes from an index signature.";
    const text = errors.join("\n");
    const res = logCompressor.compress(text, { queryTerms: queryTerms("which error is at line 65 of src/proxy/hangar.ts?") })!;
    expect(inventedLines(text, res.text)).toEqual([]);
    expect(res.text).toContain(errors[377]);
    expect(keptLines(text, res.text).length).toBeLessThan(150);
  });
});
