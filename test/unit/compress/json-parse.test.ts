// The span-recording JSON parser: every value's and key's span is exactly its text in the
// original, it accepts what JSON.parse accepts and rejects what it rejects, and it reads
// streams of values (JSON Lines, concatenated pretty values).
import { describe, expect, test } from "bun:test";
import { ARR, JsonSyntaxError, LIT, NUM, OBJ, STR, parseJson, parseJsonStream, type JNode } from "../../../src/proxy/compress/compressors/json-parse.ts";

/** Checks every span against the value JSON.parse gives for it; returns the number of nodes. */
function checkSpans(text: string, node: JNode, value: unknown): number {
  const slice = text.slice(node.start, node.end);
  expect(JSON.parse(slice)).toEqual(value as never);
  let count = 1;
  if (node.type === ARR) {
    const arr = value as unknown[];
    expect(node.kids!.length).toBe(arr.length);
    node.kids!.forEach((k, i) => (count += checkSpans(text, k, arr[i])));
  } else if (node.type === OBJ) {
    const obj = value as Record<string, unknown>;
    const keys = node.keyStart!.map((s, i) => JSON.parse(text.slice(s, node.keyEnd![i])) as string);
    expect(keys).toEqual(Object.keys(obj));
    node.kids!.forEach((k, i) => (count += checkSpans(text, k, obj[keys[i]!])));
  } else {
    expect(node.kids).toBeNull();
  }
  return count;
}

const sample = {
  name: "typescript",
  "dist-tags": { latest: "5.6.3", next: "5.8.0-dev.20241110" },
  versions: ["0.8.0", "1.0.0", "5.6.3"],
  numbers: [0, -1, 3.25, -0.5e-3, 1e21, 12345678901234567890],
  flags: [true, false, null],
  nested: [[], {}, [[[]]], { a: { b: { c: [1, { d: "deep" }] } } }],
  strings: ["", "quote \" backslash \\ slash / tab \t nl \n", "unicode é 😀 \u0001 \u2028", "\ud83d\ude00"],
  "key with \"quotes\" and \\": 1,
};

describe("spans", () => {
  test("pretty, minified and oddly spaced JSON: every value and key span is its own text", () => {
    for (const text of [JSON.stringify(sample, null, 2), JSON.stringify(sample), JSON.stringify(sample, null, "\t").replaceAll(": ", " :  "), ` \r\n${JSON.stringify(sample, null, 1)}\n\n`]) {
      const node = parseJson(text);
      expect(node.type).toBe(OBJ);
      expect(checkSpans(text, node, JSON.parse(text))).toBeGreaterThan(30);
    }
  });

  test("types of scalars", () => {
    const text = '[1, "s", true, null, {"k": -2.5}]';
    const node = parseJson(text);
    expect(node.kids!.map((k) => k.type)).toEqual([NUM, STR, LIT, LIT, OBJ]);
    expect(text.slice(node.kids![4]!.keyStart![0], node.kids![4]!.keyEnd![0])).toBe('"k"');
  });

  test("starts at an offset (after a heading)", () => {
    const text = `Found 3 rows:\n[1,2,3]`;
    const node = parseJson(text, 14);
    expect(text.slice(node.start, node.end)).toBe("[1,2,3]");
  });
});

describe("strict like JSON.parse", () => {
  const bad = [
    "",
    "[1,]",
    "{\"a\":1,}",
    "[01]",
    "[1.]",
    "[.5]",
    "[1e]",
    "[-]",
    "[+1]",
    "{'a':1}",
    "{a:1}",
    '["tab\there"]',
    '["bad \\x escape"]',
    '["bad \\u12 escape"]',
    '"unterminated',
    "[true false]",
    "[nul]",
    "[1] x",
    "[NaN]",
    "{\"a\" 1}",
    "[[[]]",
  ];
  for (const text of bad) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => JSON.parse(text)).toThrow();
      expect(() => parseJson(text)).toThrow(JsonSyntaxError);
    });
  }

  test("agrees with JSON.parse on many mutated documents", () => {
    const base = JSON.stringify(sample);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const alphabet = ['"', ",", ":", "[", "]", "{", "}", "\\", "1", "-", ".", "e", " ", "n", "\n", "\u0001"];
    let agreed = 0;
    for (let n = 0; n < 400; n++) {
      const at = Math.floor(rnd() * base.length);
      const text = rnd() < 0.5 ? base.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + base.slice(at) : base.slice(0, at) + base.slice(at + 1);
      let want = true;
      try {
        JSON.parse(text);
      } catch {
        want = false;
      }
      let got = true;
      try {
        parseJson(text);
      } catch {
        got = false;
      }
      expect({ text, ok: got }).toEqual({ text, ok: want });
      agreed++;
    }
    expect(agreed).toBe(400);
  });

  test("nesting deeper than the limit is refused rather than overflowing the stack", () => {
    expect(() => parseJson("[".repeat(5000) + "]".repeat(5000))).toThrow(JsonSyntaxError);
  });
});

describe("streams", () => {
  test("JSON Lines and concatenated pretty values", () => {
    const lines = [{ a: 1 }, { b: [2, 3] }, { c: "x" }].map((v) => JSON.stringify(v));
    const jl = lines.join("\n") + "\n";
    expect(parseJsonStream(jl).map((n) => jl.slice(n.start, n.end))).toEqual(lines);
    const pretty = [{ a: 1 }, { b: 2 }].map((v) => JSON.stringify(v, null, 2)).join("\n");
    expect(parseJsonStream(pretty)).toHaveLength(2);
  });

  test("one document is a stream of one; glued or broken values are not a stream", () => {
    expect(parseJsonStream('{"a": 1}\n')).toHaveLength(1);
    expect(() => parseJsonStream("{}{}")).toThrow(JsonSyntaxError);
    expect(() => parseJsonStream('{"a": 1}\n{"b": \n')).toThrow(JsonSyntaxError);
    expect(() => parseJsonStream('{"a": 1}\nplain text\n')).toThrow(JsonSyntaxError);
  });
});
