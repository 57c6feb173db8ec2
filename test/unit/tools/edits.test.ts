// Edge cases of the minimal text edits: line endings, tabs, inline and empty objects,
// multi-line TOML values that look like headers, files without a final newline.
import { describe, expect, test } from "bun:test";
import JSON5 from "json5";
import { parse as parseToml } from "smol-toml";
import { jsonKeysEdit, jsonKeysUndo } from "../../../src/edits/json-keys.ts";
import { removeValue, setValue } from "../../../src/edits/json-tree.ts";
import { tomlEdit, tomlUndo } from "../../../src/edits/toml-keys.ts";
import { blockEdit, blockUndo } from "../../../src/edits/block.ts";

const claudeLike = (before: string | null) =>
  jsonKeysEdit("claude-settings", "/x/settings.json", "json", [{ path: ["env", "ANTHROPIC_BASE_URL"], value: "http://127.0.0.1:1" }]).compute(before);

describe("JSON edits", () => {
  test("CRLF and tabs are kept", () => {
    const before = '{\r\n\t"model": "x"\r\n}\r\n';
    const { after, data } = claudeLike(before);
    expect(after).toBe('{\r\n\t"model": "x",\r\n\t"env": {\r\n\t\t"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"\r\n\t}\r\n}\r\n');
    expect(jsonKeysUndo.strip(after, data, "/x")).toBe(before);
  });

  test("an empty object and an empty file", () => {
    expect(JSON.parse(claudeLike("{}").after)).toEqual({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:1" } });
    expect(JSON.parse(claudeLike("").after)).toEqual({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:1" } });
    expect(JSON.parse(claudeLike(null).after)).toEqual({ env: { ANTHROPIC_BASE_URL: "http://127.0.0.1:1" } });
  });

  test("a byte-order mark is accepted and kept", () => {
    const before = '\uFEFF{\n  "model": "x"\n}\n';
    const { after, data } = claudeLike(before);
    expect(after.startsWith("\uFEFF{")).toBe(true);
    expect(JSON.parse(after.slice(1)).env.ANTHROPIC_BASE_URL).toBe("http://127.0.0.1:1");
    expect(jsonKeysUndo.strip(after, data, "/x")).toBe(before);
  });

  test("an inline object stays valid JSON", () => {
    const { after, data } = claudeLike('{"env": {"A": "1"}, "model": "x"}');
    expect(JSON.parse(after)).toEqual({ env: { A: "1", ANTHROPIC_BASE_URL: "http://127.0.0.1:1" }, model: "x" });
    expect(JSON.parse(jsonKeysUndo.strip(after, data, "/x"))).toEqual({ env: { A: "1" }, model: "x" });
  });

  test("removing the last property of strict JSON drops the comma before it", () => {
    const text = '{\n  "a": 1,\n  "b": 2\n}\n';
    expect(removeValue(text, ["b"])).toBe('{\n  "a": 1\n}\n');
    expect(JSON.parse(removeValue(text, ["a"]))).toEqual({ b: 2 });
  });

  test("a non-object where an object is needed is refused", () => {
    expect(() => claudeLike('{"env": "oops"}')).toThrow('"env" is not an object');
    expect(() => claudeLike("[1, 2]")).toThrow("top level is not an object");
  });

  test("JSON5: bare keys stay bare, single quotes untouched", () => {
    const text = "{\n  a: 'x', // c\n}\n";
    const out = setValue(text, ["models", "providers", "openai", "baseUrl"], "u");
    expect(out.startsWith("{\n  a: 'x', // c\n  models: {")).toBe(true);
    expect(JSON5.parse(out)).toEqual({ a: "x", models: { providers: { openai: { baseUrl: "u" } } } });
  });
});

describe("TOML edits", () => {
  const codexLike = () =>
    tomlEdit("codex-config", "/x/config.toml", [{ key: "model_provider", literal: '"headroom"' }], [{ name: "model_providers.headroom", body: ['name = "Headroom"'] }]);

  test("CRLF, no final newline, comment above the first header", () => {
    const before = '# top\r\n\r\n# about features\r\n[features]\r\nx = 1';
    const { after, data } = codexLike().compute(before);
    expect(after).toBe('# top\r\n\r\nmodel_provider = "headroom"\r\n# about features\r\n[features]\r\nx = 1\r\n\r\n[model_providers.headroom]\r\nname = "Headroom"\r\n');
    expect(tomlUndo.strip(after, data, "/x")).toBe(before);
  });

  test("a multi-line string holding a [header]-like line is not a header", () => {
    const before = 'instructions = """\nline\n[not.a.table]\n"""\n\n[features]\nx = 1\n';
    const { after } = codexLike().compute(before);
    const doc = parseToml(after) as any;
    expect(doc.model_provider).toBe("headroom");
    expect(doc.instructions).toBe("line\n[not.a.table]\n");
    expect(after.indexOf("model_provider")).toBeGreaterThan(after.indexOf('"""\n\n') - 1);
    expect(after.indexOf("model_provider")).toBeLessThan(after.indexOf("[features]"));
  });

  test("a new file", () => {
    const { after } = codexLike().compute(null);
    expect(parseToml(after)).toEqual({ model_provider: "headroom", model_providers: { headroom: { name: "Headroom" } } });
  });

  test("an existing headroom table is replaced, not duplicated", () => {
    const before = '[model_providers.headroom]\nname = "old"\nbase_url = "x"\n\n[features]\nx = 1\n';
    const { after } = codexLike().compute(before);
    expect(after.match(/\[model_providers\.headroom\]/g)?.length).toBe(1);
    expect((parseToml(after) as any).model_providers.headroom).toEqual({ name: "Headroom" });
  });

  test("invalid TOML is refused with the parser's message", () => {
    expect(() => codexLike().compute("a = \n")).toThrow(/Cannot parse \/x\/config.toml \(.+\)/);
  });
});

describe("shell block", () => {
  test("replaced in place when present; strip keeps what surrounds it", () => {
    const edit = blockEdit("shell-block", "/x/.profile", ["export A='1'"]);
    const first = edit.compute("a\n");
    const second = blockEdit("shell-block", "/x/.profile", ["export A='2'"]).compute(first.after + "b\n");
    expect(second.after).toBe("a\n\n# >>> headroom persistent env >>>\nexport A='2'\n# <<< headroom persistent env <<<\nb\n");
    expect(blockUndo.strip(second.after, second.data, "/x")).toBe("a\n\nb\n");
  });

  test("the blank line headroom put before its block goes with it, also when the user wrote lines after the block", () => {
    const edit = blockEdit("shell-block", "/x/.bashrc", ["export A='1'"]);
    for (const [original, eol] of [["alias ll='ls -l'\n", "\n"], ["alias ll='ls -l'", "\n"], ["a\r\nb\r\n", "\r\n"], ["a\n\n", "\n"]] as const) {
      const { after, data } = edit.compute(original);
      // At the end of the file: exactly the original bytes come back.
      expect(blockUndo.strip(after, data, "/x")).toBe(original);
      // The user appended a line since: the original, its last line ended, then theirs.
      const ended = original.endsWith(eol) ? original : original + eol;
      expect(blockUndo.strip(`${after}export MINE=1${eol}`, data, "/x")).toBe(`${ended}export MINE=1${eol}`);
    }
  });

  test("a broken fence (start marker without end) is refused, not guessed at", () => {
    const edit = blockEdit("shell-block", "/x/.bashrc", ["export A='1'"]);
    expect(() => edit.compute("# >>> headroom persistent env >>>\nexport MINE=1\n")).toThrow("/x/.bashrc has 1");
  });
});
