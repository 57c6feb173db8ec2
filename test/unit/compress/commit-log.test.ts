// git log, git log --stat, git log -p and git diff of a real repository made here: whole
// commits are the units, the asked-for commit survives whole, dropped runs are counted in
// commits; diffs keep every file and hunk header and the asked-for hunk whole.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { commitLogCompressor, commitStarts, looksLikeCommitLog } from "../../../src/proxy/compress/compressors/commit-log.ts";
import { diffCompressor, hunksOf, looksLikeDiff } from "../../../src/proxy/compress/compressors/diff.ts";
import { splitLines } from "../../../src/proxy/compress/compressors/lines.ts";
import { compressToolText, resetMemo } from "../../../src/proxy/compress/engine.ts";
import { queryTerms } from "../../../src/proxy/compress/query.ts";
import { gapTotals, inventedLines, keptLines } from "../../support/never-invent.ts";
import { makeRepo, pick, rng, run, tempDir, WORDS } from "./line-fixtures.ts";

const QUESTION = "Which commit fixed the zeppelin hangar race, and who made it?";
const COMMITS = 40;

let repo = "";
let done = () => {};
const out: Record<string, string> = {};
beforeAll(() => {
  const t = tempDir("git");
  repo = t.dir;
  done = t.done;
  makeRepo(repo, COMMITS, 23);
  out.log = run(["git", "log"], repo);
  out.stat = run(["git", "log", "--stat"], repo);
  out.patch = run(["git", "log", "-p"], repo);
  // A large working-tree change: many files, many hunks, one about the zeppelin.
  const r = rng(21);
  for (const name of WORDS) {
    const path = join(repo, "src", `${name}.ts`);
    const body = Array.from({ length: 120 }, (_, i) => (i % 9 === 4 ? `export const ${pick(r, WORDS)}Changed${i} = ${Math.floor(r() * 1000)};` : `export const ${name}${i} = ${i};`));
    if (name === "router") body[61] = "export const zeppelinDockingSlots = 12; // the hangar holds twelve";
    writeFileSync(path, `${body.join("\n")}\n`);
  }
  run(["git", "add", "-A"], repo);
  out.diff = run(["git", "diff", "--cached"], repo);
}, 60_000);
afterAll(() => done());

function check(text: string, res: { text: string } | null) {
  expect(res).not.toBeNull();
  expect(inventedLines(text, res!.text)).toEqual([]);
  return res!.text.split("\n");
}

describe("git log", () => {
  test("the first two commits and the asked-for one survive whole; gaps count the commits left out", () => {
    for (const text of [out.log!, out.stat!]) {
      expect(looksLikeCommitLog(splitLines(text))).toBe(true);
      const res = commitLogCompressor.compress(text, { queryTerms: queryTerms(QUESTION) });
      const lines = check(text, res);
      const all = splitLines(text);
      const starts = commitStarts(all);
      expect(starts).toHaveLength(COMMITS);
      // git log lists the newest first: commit 23 of 40 is the 18th.
      const special = COMMITS - 23;
      const unit = (k: number) => all.slice(starts[k]!, k + 1 < starts.length ? starts[k + 1]! : all.length);
      const whole = (k: number) => {
        const u = unit(k);
        const at = lines.indexOf(u[0]!);
        expect(at).toBeGreaterThanOrEqual(0);
        expect(lines.slice(at, at + u.length)).toEqual(u);
      };
      whole(0);
      whole(1);
      whole(special);
      expect(unit(special).join("\n")).toContain("Fix the zeppelin hangar door race");
      const keptCommits = lines.filter((l) => /^commit [0-9a-f]{40}$/.test(l)).length;
      expect(gapTotals(res!.text).commit).toBe(COMMITS - keptCommits);
      expect(res!.summary).toStartWith(`${COMMITS - keptCommits} of ${COMMITS} commits omitted`);
    }
  });

  test("--stat: a question naming a changed file finds its commit", () => {
    const res = commitLogCompressor.compress(out.stat!, { queryTerms: queryTerms("when was src/hangar.ts added?") });
    const lines = check(out.stat!, res);
    expect(lines.some((l) => /^ src\/hangar\.ts \| +\d+ \++$/.test(l))).toBe(true);
  });

  test("-p: the asked-for commit with its patch; the engine picks the commit-log compressor", () => {
    resetMemo();
    const c = compressToolText(out.patch!, { queryTerms: queryTerms(QUESTION) });
    expect(c?.kind).toBe("commit-log");
    check(out.patch!, c);
    expect(c!.text).toContain("+  if (lock.held) return false;");
    expect(c!.text).toContain("Fix the zeppelin hangar door race");
  });

  test("a log of fewer than four commits is left to the others", () => {
    const few = run(["git", "log", "-n", "3"], repo);
    expect(commitLogCompressor.compress(few, { queryTerms: [] })).toBeNull();
  });
});

describe("git diff", () => {
  test("every file header and hunk header stays; the asked-for hunk whole; others a few changed lines", () => {
    const text = out.diff!;
    const all = splitLines(text);
    expect(looksLikeDiff(all)).toBe(true);
    const res = diffCompressor.compress(text, { queryTerms: queryTerms("how many docking slots does the zeppelin hangar have?") });
    const lines = check(text, res);
    for (const l of all) if (/^(diff --git|index |--- |\+\+\+ |@@ )/.test(l)) expect(lines).toContain(l);
    expect(lines).toContain("+export const zeppelinDockingSlots = 12; // the hangar holds twelve");
    const hunks = hunksOf(all, 0, all.length);
    const asked = hunks.find((h) => all.slice(h.from, h.to).some((l) => l.includes("zeppelinDockingSlots")))!;
    const at = lines.indexOf(all[asked.header]!);
    expect(lines.slice(at, at + 1 + asked.to - asked.from)).toEqual(all.slice(asked.header, asked.to));
    // Another hunk keeps at most three of its changed lines.
    const other = hunks.find((h) => h !== asked && h.to - h.from > 10)!;
    const kept = keptLines(text, res!.text);
    const changed = all.slice(other.from, other.to).filter((l) => /^[-+]/.test(l) && kept.includes(l));
    expect(changed.length).toBeLessThanOrEqual(3);
    expect(keptLines(text, res!.text).length + (gapTotals(res!.text).line ?? 0)).toBe(all.length);
  });

  test("a small diff is read whole", () => {
    const small = run(["git", "log", "-p", "-n", "1", "--format=", "--", "src/hangar.ts"], repo);
    expect(diffCompressor.detect(small)).toBe(false);
  });

  test("hunk bodies are read by their line counts: a removed line that looks like a header stays inside its hunk", () => {
    const lines = ["diff --git a/x b/x", "--- a/x", "+++ b/x", "@@ -1,3 +1,2 @@", " keep", "--- not a header", " end", "@@ -10,1 +9,1 @@", "-old", "+new"];
    expect(hunksOf(lines, 0, lines.length).map((h) => [h.header, h.from, h.to])).toEqual([
      [3, 4, 7],
      [7, 8, 10],
    ]);
  });
});
