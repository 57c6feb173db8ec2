// Hierarchical listings of a real directory tree (ls -laR, ls -R, find, find -ls, tree): a
// question naming the directory and the file finds the file's line even when the
// directory is named only in the section header above it; a kept line keeps its header
// (for tree, its ancestors); every output line is a line of the original; gaps add up.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { listingCompressor, listingKind } from "../../../src/proxy/compress/compressors/listing.ts";
import { splitLines } from "../../../src/proxy/compress/compressors/lines.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { gapTotals, inventedLines, keptLines, matchLines } from "../../support/never-invent.ts";
import { makeTree, run, tempDir, treeOutput } from "./line-fixtures.ts";

const QUESTION = "What size is config.yaml in the deploy/prod directory?";

let root = "";
let done = () => {};
const out: Record<string, string> = {};
beforeAll(() => {
  const t = tempDir("tree");
  root = t.dir;
  done = t.done;
  makeTree(root);
  out.lsLaR = run(["ls", "-laR", "."], root);
  out.lsR = run(["ls", "-R", "."], root);
  out.find = run(["find", "."], root);
  out.findLs = run(["find", ".", "-ls"], root);
  out.tree = treeOutput(root);
}, 60_000);
afterAll(() => done());

function squeeze(text: string, question: string) {
  const res = listingCompressor.compress(text, { queryTerms: queryTerms(question) });
  expect(res).not.toBeNull();
  expect(inventedLines(text, res!.text)).toEqual([]);
  expect(keptLines(text, res!.text).length + (gapTotals(res!.text).line ?? 0)).toBe(splitLines(text).length);
  return { ...res!, lines: res!.text.split("\n") };
}

/** The nearest line above `index` that passes `test`. */
function above(lines: string[], index: number, test: (l: string) => boolean): string | undefined {
  for (let i = index - 1; i >= 0; i--) if (test(lines[i]!)) return lines[i];
  return undefined;
}

describe("ls -laR", () => {
  test("detected; the file named with its directory survives under its own section header", () => {
    expect(listingKind(splitLines(out.lsLaR!))).toBe("ls-r");
    const res = squeeze(out.lsLaR!, QUESTION);
    const at = res.lines.findIndex((l) => / 4321 .* config\.yaml$/.test(l));
    expect(at).toBeGreaterThan(0);
    expect(above(res.lines, at, (l) => l.endsWith(":"))).toBe("./deploy/prod:");
    // The other directories' config.yaml lines match only half the question and are not kept.
    expect(res.text).not.toMatch(/ 1234 .* config\.yaml$/m);
  });

  test("the outline keeps section headers; the first line stays", () => {
    const res = squeeze(out.lsLaR!, QUESTION);
    expect(res.lines[0]).toBe(".:");
    expect(res.lines.filter((l) => l.endsWith(":")).length).toBeGreaterThanOrEqual(5);
    expect(res.summary).toMatch(/^\d+ of \d+ lines omitted/);
  });

  test("ls -R (names only) the same way", () => {
    expect(listingKind(splitLines(out.lsR!))).toBe("ls-r");
    const res = squeeze(out.lsR!, "is there a config.yaml in deploy/staging?");
    const at = res.lines.indexOf("config.yaml", res.lines.indexOf("./deploy/staging:"));
    expect(at).toBeGreaterThan(0);
    expect(above(res.lines, at, (l) => l.endsWith(":"))).toBe("./deploy/staging:");
  });
});

describe("find", () => {
  test("paths: the asked-for path", () => {
    expect(listingKind(splitLines(out.find!))).toBe("find");
    const res = squeeze(out.find!, QUESTION);
    expect(res.lines).toContain("./deploy/prod/config.yaml");
    expect(res.lines[0]).toBe(".");
  });

  test("find -ls: the asked-for entry with its size", () => {
    expect(listingKind(splitLines(out.findLs!))).toBe("find-ls");
    const res = squeeze(out.findLs!, QUESTION);
    expect(res.text).toMatch(/ 4321 .* \.\/deploy\/prod\/config\.yaml$/m);
  });
});

describe("tree", () => {
  test("the asked-for file keeps its ancestor lines", () => {
    expect(listingKind(splitLines(out.tree!))).toBe("tree");
    const res = squeeze(out.tree!, QUESTION);
    const lines = splitLines(out.tree!);
    const deploy = lines.findIndex((l) => /[├└]── deploy$/.test(l));
    const prod = lines.findIndex((l, i) => i > deploy && /[├└]── prod$/.test(l));
    const file = lines.findIndex((l, i) => i > prod && /[├└]── config\.yaml$/.test(l));
    expect(deploy).toBeGreaterThan(0);
    // The original lines the output kept: the root, deploy, prod and the file itself.
    const kept = matchLines(out.tree!, res.text).map((v) => v.original);
    for (const index of [0, deploy, prod, file]) expect(kept).toContain(index);
    // The other config.yaml files match half the question: not kept.
    expect(kept.filter((i) => i !== undefined && lines[i]!.endsWith("config.yaml"))).toEqual([file]);
    expect(res.lines.at(-1)).toMatch(/^\d+ directories, \d+ files$/);
  });
});

describe("what is not a listing", () => {
  test("YAML with indented keys, prose, and a log are not listings", () => {
    const yaml = Array.from({ length: 20 }, (_, i) => `service${i}:\n  image: app:${i}\n  ports:\n    - "80${i}:80"\n`).join("\n");
    expect(listingKind(splitLines(yaml))).toBeNull();
    const prose = Array.from({ length: 40 }, (_, i) => `Line ${i} of a story about directories and files, told slowly.`).join("\n");
    expect(listingKind(splitLines(prose))).toBeNull();
    const log = Array.from({ length: 40 }, (_, i) => `/usr/bin/worker: job ${i} done`).join("\n");
    expect(listingKind(splitLines(log))).toBeNull();
  });

  test("through the engine the listing goes to the listing compressor", () => {
    resetMemo();
    const c = compressToolText(out.lsLaR!, { queryTerms: queryTerms(QUESTION) });
    expect(c?.kind).toBe("listing");
    expect(c!.text).toContain("./deploy/prod:");
  });
});
