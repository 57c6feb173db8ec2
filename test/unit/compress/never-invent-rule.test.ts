// The checker behind the never-invent rule catches what compression must never do, and
// accepts verbatim lines, gap markers and marked cuts.
import { describe, expect, test } from "bun:test";
import { cutFragments, explainInvented, inventedLines, isMarkerLine, matchLines } from "../../support/never-invent.ts";

const MARK = '[headroom: 3 of 9 lines omitted; original: headroom_retrieve {"hash":"0123456789abcdef01234567"}]';
const grep = ["src/a.ts:12:  const retry = 3;", "src/a.ts:40:  retry(fn);", "src/b.ts:7:import { retry } from './a';", "src/b.ts:90:  await retry(go);"].join("\n");

describe("accepted", () => {
  test("verbatim lines in order, gap markers, and the engine's marker", () => {
    const out = ["src/a.ts:12:  const retry = 3;", "… 2 lines …", "src/b.ts:90:  await retry(go);", MARK].join("\n");
    expect(inventedLines(grep, out)).toEqual([]);
  });

  test("a trailing \\r is ignored on both sides", () => {
    expect(inventedLines("one\r\ntwo\r\nthree\r\n", "one\n… 1 line …\nthree")).toEqual([]);
    expect(inventedLines("one\ntwo\nthree", "one\r\nthree\r")).toEqual([]);
  });

  test("JSON-shaped markers", () => {
    const orig = ["[", '  {"id": 1},', '  {"id": 2},', '  {"id": 3}', "]"].join("\n");
    expect(inventedLines(orig, ["[", '  {"id": 1},', '  "… 1 items omitted …",', '  {"id": 3}', "]"].join("\n"))).toEqual([]);
    expect(isMarkerLine('  "… 12 keys omitted …": null,')).toBe(true);
    expect(isMarkerLine("{ … 3 keys … }")).toBe(true);
    expect(isMarkerLine("… 70 lines …")).toBe(true);
    expect(isMarkerLine("total … 70 lines …")).toBe(false);
    expect(isMarkerLine("… no closing")).toBe(false);
  });

  test("a line cut with a trailing … or with a token in the middle", () => {
    const long = `src/big.ts:5:${"x".repeat(500)}END`;
    expect(inventedLines(long, `src/big.ts:5:${"x".repeat(300)}…`)).toEqual([]);
    expect(inventedLines(long, `src/big.ts:5:xxxx … 490 chars … xEND`)).toEqual([]);
    // A cut JSON value keeps its closing quote and comma after the cut.
    expect(inventedLines('  "body": "a very long text indeed",', '  "body": "a very long…",')).toEqual([]);
    expect(inventedLines('[{"a":1},{"a":2},{"a":3},{"a":4}]', '[{"a":1},… 2 items …,{"a":4}]')).toEqual([]);
    expect(cutFragments("plain line")).toBeNull();
  });

  test("a marker line between two kept lines does not consume the line after it", () => {
    const orig = ["[", "  {", '    "id": 1,', "  },", "  {", '    "id": 2,', "  }", "]"].join("\n");
    const out = ["[", '  "… 1 items omitted …",', "  {", '    "id": 2,', "  }", "]"].join("\n");
    expect(inventedLines(orig, out)).toEqual([]);
    expect(matchLines(orig, out).map((v) => v.kind)).toEqual(["line", "marker", "line", "line", "line", "line"]);
  });
});

describe("caught", () => {
  test("a joined line (two outputs merged)", () => {
    const orig = "alpha started on port 8080\nbeta finished in 3s\n";
    const out = "alpha started on port 8080 beta finished in 3s";
    expect(inventedLines(orig, out)).toEqual([out]);
    expect(explainInvented(orig, out)).toEqual([{ line: out, why: "joined" }]);
  });

  test("a renumbered grep hit", () => {
    expect(inventedLines(grep, "src/a.ts:13:  const retry = 3;")).toEqual(["src/a.ts:13:  const retry = 3;"]);
  });

  test("a hit rewritten as `path (N hits)` plus `  12: text`", () => {
    const out = ["src/a.ts (2 hits)", "  12: const retry = 3;"].join("\n");
    expect(inventedLines(grep, out)).toEqual(["src/a.ts (2 hits)", "  12: const retry = 3;"]);
  });

  test("a reordered pair", () => {
    const out = ["src/b.ts:7:import { retry } from './a';", "src/a.ts:12:  const retry = 3;"].join("\n");
    expect(inventedLines(grep, out)).toEqual(["src/a.ts:12:  const retry = 3;"]);
    expect(explainInvented(grep, out)).toEqual([{ line: "src/a.ts:12:  const retry = 3;", why: "reordered" }]);
  });

  test("a line repeated more often than the original has it", () => {
    expect(inventedLines("a line\nother", "a line\na line")).toEqual(["a line"]);
  });

  test("an invented summary line", () => {
    const out = [grep, "4 hits in 2 files"].join("\n");
    expect(inventedLines(grep, out)).toEqual(["4 hits in 2 files"]);
    expect(explainInvented(grep, out)[0]!.why).toBe("invented");
  });

  test("an appended [×3]", () => {
    const orig = ["error: disk full on /dev/sda0", "error: disk full on /dev/sda1", "error: disk full on /dev/sda2"].join("\n");
    expect(inventedLines(orig, "error: disk full on /dev/sda0  [×3]")).toEqual(["error: disk full on /dev/sda0  [×3]"]);
    expect(inventedLines(orig, "error: disk full on /dev/sda0\n… 2 similar lines …")).toEqual([]);
  });

  test("a cut whose pieces come from two lines, or out of order", () => {
    const orig = "first half of one\nsecond half of two";
    expect(inventedLines(orig, "first half … 3 chars … of two")).toEqual(["first half … 3 chars … of two"]);
    expect(inventedLines(orig, "of one … x … first")).toEqual(["of one … x … first"]);
  });

  test("a marker line with words of its own beyond the token", () => {
    expect(inventedLines("a\nb\nc", "a\n… 1 line … see above\nc")).toEqual(["… 1 line … see above"]);
  });

  test("an engine marker that is not the last line is not stripped", () => {
    expect(inventedLines("a\nb", `${MARK}\na`)).toEqual([MARK]);
  });
});
