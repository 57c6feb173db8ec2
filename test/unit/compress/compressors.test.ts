// Each compressor is a pure function: shape detection, what it keeps, what it drops.
import { describe, expect, test } from "bun:test";
import { jsonArrayCompressor } from "../../../src/proxy/compress/compressors/json-array.ts";
import { logCompressor } from "../../../src/proxy/compress/compressors/log.ts";
import { searchCompressor } from "../../../src/proxy/compress/compressors/search.ts";
import { looksLikeCode } from "../../../src/proxy/compress/compressors/lines.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../../support/bin.ts";
import { inventedLines } from "../../support/never-invent.ts";

const none = { queryTerms: [] as string[] };

describe("JSON arrays of objects", () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ id: i, name: `row ${i}`, size: 100 + (i % 7), note: "fine" }));
  /** The ids of the rows a compressed array kept (marker elements are strings). */
  const keptIds = (text: string, ctx = none): number[] | null => {
    const out = jsonArrayCompressor.compress(text, ctx);
    if (!out) return null;
    return (JSON.parse(out.text) as unknown[]).filter((r) => typeof r === "object").map((r) => (r as { id: number }).id);
  };

  test("keeps first and last items, error items, outliers and items matching the question", () => {
    const data = rows.map((r) => ({ ...r }));
    data[20]!.note = "Deploy failed with a timeout";
    data[33]!.size = 99_999;
    data[41]!.name = "zeppelin hangar";
    expect(keptIds(JSON.stringify(data, null, 2), { queryTerms: queryTerms("what about the zeppelin?") })).toEqual([0, 1, 2, 20, 33, 41, 58, 59]);
  });

  test("output is the kept subset in original order and original bytes, dropped runs marked, with a summary", () => {
    const text = JSON.stringify(rows, null, 2);
    const out = jsonArrayCompressor.compress(text, none)!;
    const parsed = JSON.parse(out.text) as unknown[];
    expect(parsed.filter((r) => typeof r === "object").map((r) => (r as { id: number }).id)).toEqual([0, 1, 2, 58, 59]);
    expect(parsed[3]).toBe("… 55 items omitted …");
    // Pretty input stays pretty: every line of the output is a line of the original or a marker.
    for (const line of out.text.split("\n")) expect(line.includes("…") || text.split("\n").includes(line)).toBe(true);
    expect(out.summary).toContain("55 of 60 items omitted");
  });

  test("an object wrapping the array keeps its other fields", () => {
    const out = jsonArrayCompressor.compress(JSON.stringify({ total_count: 60, items: rows }), none)!;
    const parsed = JSON.parse(out.text) as { total_count: number; items: unknown[] };
    expect(parsed.total_count).toBe(60);
    expect(parsed.items.filter((r) => typeof r === "object")).toHaveLength(5);
    expect(out.summary).toContain('from "items"');
  });

  test("a short heading before the JSON is kept", () => {
    const out = jsonArrayCompressor.compress(`Found 60 rows:\n${JSON.stringify(rows)}`, none)!;
    expect(out.text.startsWith("Found 60 rows:\n[")).toBe(true);
    expect((JSON.parse(out.text.slice("Found 60 rows:\n".length)) as unknown[]).filter((r) => typeof r === "object")).toHaveLength(5);
  });

  test("JSON Lines: one object per line, rows picked the same way, dropped runs a marker line", () => {
    const lines = rows.map((r, i) => JSON.stringify(i === 30 ? { ...r, note: "FATAL: disk failure" } : r));
    const out = jsonArrayCompressor.compress(lines.join("\n"), none)!;
    expect(out.text.split("\n")).toEqual([lines[0]!, lines[1]!, lines[2]!, "… 27 lines omitted …", lines[30]!, "… 27 lines omitted …", lines[58]!, lines[59]!]);
    expect(out.summary).toContain("54 of 60 lines omitted");
  });

  test("short arrays, arrays of scalars and invalid JSON are left alone", () => {
    expect(jsonArrayCompressor.compress(JSON.stringify(rows.slice(0, 5)), none)).toBeNull();
    expect(jsonArrayCompressor.compress(JSON.stringify(Array.from({ length: 100 }, (_, i) => i)), none)).toBeNull();
    expect(jsonArrayCompressor.compress("[INFO] starting\n[INFO] done", none)).toBeNull();
  });

  test("question terms are lightly stemmed: flickering finds flickers", () => {
    const data = rows.map((r) => ({ ...r }));
    data[30]!.name = "login flickers on Safari";
    expect(keptIds(JSON.stringify(data), { queryTerms: queryTerms("the flickering problem") })).toContain(30);
  });

  test("error-named fields without a value do not make a row an error row", () => {
    const data = rows.map((r) => ({ ...r, error: null as string | null, failed: false as boolean, errors: [] as string[] }));
    expect(keptIds(JSON.stringify(data))).toEqual([0, 1, 2, 58, 59]);
    data[10]!.error = "connection reset";
    data[20]!.failed = true;
    expect(keptIds(JSON.stringify(data))).toEqual([0, 1, 2, 10, 20, 58, 59]);
  });

  test("a term found in most rows does not select rows", () => {
    expect(keptIds(JSON.stringify(rows), { queryTerms: ["fine"] })).toEqual([0, 1, 2, 58, 59]);
  });
});

describe("build and test logs", () => {
  const noise = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `  compiling module_${from + i}.o`);
  const log = [
    "make: entering directory /src",
    ...noise(40),
    "src/net.c:88:12: warning: unused variable 'x'",
    ...noise(10, 40),
    "src/net.c:120:5: error: expected ';' before 'return'",
    "  120 |     x = 1",
    "      |          ^",
    ...noise(30, 50),
    "Traceback (most recent call last):",
    ...Array.from({ length: 20 }, (_, i) => `  File "/app/m${i}.py", line ${i + 1}, in f${i}`),
    "ValueError: bad input",
    ...Array.from({ length: 25 }, () => "retrying connection"),
    ...noise(20, 80),
    "Build FAILED: 1 error, 1 warning",
  ].join("\n");

  test("detects logs but not code or search output", () => {
    expect(logCompressor.detect(log)).toBe(true);
    expect(logCompressor.detect(Array.from({ length: 40 }, (_, i) => `const x${i} = f(${i});`).join("\n"))).toBe(false);
    expect(logCompressor.detect(Array.from({ length: 40 }, (_, i) => `src/a.ts:${i}: const x = 1`).join("\n"))).toBe(false);
    expect(logCompressor.detect("short\nlog")).toBe(false);
    // Prose (documentation read by a tool) has no log signals and no repeated shape.
    const prose = readFileSync(join(repoRoot, "docs/compression.md"), "utf8");
    expect(logCompressor.detect(prose)).toBe(false);
    expect(logCompressor.detect(Array.from({ length: 40 }, (_, i) => `2026-11-24 10:${String(i).padStart(2, "0")}:00 worker ${i} started`).join("\n"))).toBe(true);
  });

  test("keeps errors with context, warnings, bounded stack traces and summary lines; drops noise", () => {
    const out = logCompressor.compress(log, none)!;
    expect(out.text).toContain("error: expected ';' before 'return'");
    expect(out.text).toContain("  120 |     x = 1");
    expect(out.text).toContain("warning: unused variable 'x'");
    expect(out.text).toContain("ValueError: bad input");
    expect(out.text).toContain("Build FAILED: 1 error, 1 warning");
    expect(out.text).toContain('File "/app/m0.py"');
    expect(out.text).toContain('File "/app/m19.py"');
    expect(out.text).not.toContain('File "/app/m10.py"');
    expect(out.text).not.toContain("module_20.o");
    expect(out.text).toMatch(/… \d+ lines …/);
    expect(out.summary).toMatch(/^\d+ of \d+ lines omitted$/);
  });

  test("a run of repeated kept lines keeps its first line as it was and a count after it", () => {
    const text = ["start", ...noise(30), ...Array.from({ length: 12 }, (_, i) => `error: disk full on /dev/sda${i}`), ...noise(30, 30), "done"].join("\n");
    const out = logCompressor.compress(text, none)!;
    const lines = out.text.split("\n");
    const first = lines.indexOf("error: disk full on /dev/sda0");
    expect(first).toBeGreaterThan(0);
    expect(lines[first + 1]).toBe("… 11 similar lines …");
    expect(out.text).not.toContain("sda5");
    expect(out.text).not.toContain("[×");
    expect(inventedLines(text, out.text)).toEqual([]);
  });

  test("lines matching the question are kept", () => {
    const text = ["listing", ...noise(60), "  linking libzeppelin.so", ...noise(60, 60)].join("\n");
    const out = logCompressor.compress(text, { queryTerms: queryTerms("did libzeppelin link?") })!;
    expect(out.text).toContain("libzeppelin.so");
  });
});

describe("search output", () => {
  const hits = [
    ...Array.from({ length: 12 }, (_, i) => `src/server.ts:${10 + i}:    const handler${i} = makeHandler(${i});`),
    "src/server.ts:99:    // the retry budget lives here",
    ...Array.from({ length: 5 }, (_, i) => `src/client.ts:${i + 1}:import { thing${i} } from "./x";`),
  ].join("\n");

  test("detects path:line: output", () => {
    expect(searchCompressor.detect(hits)).toBe(true);
    expect(searchCompressor.detect("just some\nplain text\n".repeat(10))).toBe(false);
  });

  test("keeps the best hits per file (question first) verbatim and in order, gaps counted", () => {
    const out = searchCompressor.compress(hits, { queryTerms: queryTerms("where is the retry budget?") })!;
    const lines = out.text.split("\n");
    // The matching hit and the first three of its file, then a gap for the other nine.
    expect(lines.slice(0, 5)).toEqual([
      "src/server.ts:10:    const handler0 = makeHandler(0);",
      "src/server.ts:11:    const handler1 = makeHandler(1);",
      "src/server.ts:12:    const handler2 = makeHandler(2);",
      "… 9 lines …",
      "src/server.ts:99:    // the retry budget lives here",
    ]);
    expect(lines.slice(5)).toEqual(hits.split("\n").slice(13, 17).concat("… 1 line …"));
    expect(out.summary).toContain("18 hits in 2 files, 10 hits omitted");
    expect(inventedLines(hits, out.text)).toEqual([]);
  });

  test("a very long hit is cut and marked, never rewritten", () => {
    const long = Array.from({ length: 12 }, (_, i) => `src/gen.ts:${i + 1}:${"x".repeat(600)}${i}`).join("\n");
    const out = searchCompressor.compress(long, none)!;
    expect(out.text.split("\n")[0]).toBe(`src/gen.ts:1:${"x".repeat(287)}…`);
    expect(inventedLines(long, out.text)).toEqual([]);
  });
});

test("source code is recognised as code", () => {
  const code = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? `export function f${i}(a: number) {` : i % 5 === 4 ? "}" : `  const v${i} = a + ${i};`));
  expect(looksLikeCode(code)).toBe(true);
  expect(looksLikeCode(["downloading foo 10%", "downloading foo 20%", "done"])).toBe(false);
});
