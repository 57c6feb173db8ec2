// repeatedValues: every value of a repeatable flag, in order, read from the raw argument
// vector the way citty reads the rest of the command line.
import { describe, expect, test } from "bun:test";
import { rejectUnknownFlags, repeatedValues } from "../../src/cli/args.ts";
import { UsageError } from "../../src/errors.ts";
import { parsePort } from "../../src/options/port.ts";

const def = {
  target: { type: "string", repeatable: true, unique: true, description: "" },
  env: { type: "string", repeatable: true, description: "" },
  backend: { type: "string", description: "" },
  json: { type: "boolean", description: "" },
} as const;

describe("repeatedValues", () => {
  test("both forms, mixed, in order; unique flags drop repeats, others keep them", () => {
    const argv = ["--target", "claude", "--env=A=1", "--target=codex", "--json", "--env", "B=2", "--target", "claude", "--target=opencode", "--env", "A=3"];
    expect(repeatedValues(argv, def)).toEqual({ target: ["claude", "codex", "opencode"], env: ["A=1", "B=2", "A=3"] });
  });

  test("flags not given give empty lists; flags that are not repeatable are not collected", () => {
    expect(repeatedValues(["--backend", "x", "--json"], def)).toEqual({ target: [], env: [] });
  });

  test("the word after another string flag is that flag's value, as citty reads it", () => {
    // `--backend claude`: claude is the backend, not a stray target.
    expect(repeatedValues(["--backend", "claude", "--target", "codex"], def).target).toEqual(["codex"]);
    // A boolean flag takes no value: the next word stays a word.
    expect(repeatedValues(["--json", "--target", "codex"], def).target).toEqual(["codex"]);
  });

  test("`--` ends the options", () => {
    expect(repeatedValues(["--target", "claude", "--", "--target", "codex"], def).target).toEqual(["claude"]);
  });

  test("values keep '=' after the first one and their spaces", () => {
    expect(repeatedValues(["--env=URL=http://h/?a=b", "--env", "MSG=two words"], def).env).toEqual(["URL=http://h/?a=b", "MSG=two words"]);
  });

  test("a repeatable flag without a value is a usage error naming the flag", () => {
    for (const argv of [["--target"], ["--target="], ["--target", "--json"], ["--env", "A=1", "--env"]]) {
      const name = argv.at(-1)!.startsWith("--env") ? "--env" : "--target";
      expect(() => repeatedValues(argv, def)).toThrow(UsageError);
      expect(() => repeatedValues(argv, def)).toThrow(`${name} needs a value`);
    }
  });

  test("rejectUnknownFlags still knows the repeatable flags", () => {
    expect(() => rejectUnknownFlags(["--target", "a", "--env=B=1"], def)).not.toThrow();
    expect(() => rejectUnknownFlags(["--targets", "a"], def)).toThrow("Unknown option --targets");
  });
});

describe("rejectUnknownFlags: values", () => {
  const def2 = { port: { type: "string", description: "" }, interval: { type: "string", description: "" }, json: { type: "boolean", description: "" } } as const;

  test("a negative number after a string flag is its value, not an unknown option", () => {
    expect(() => rejectUnknownFlags(["--port", "-1"], def2)).not.toThrow();
    expect(() => rejectUnknownFlags(["--interval", "-5", "--json"], def2)).not.toThrow();
    expect(() => rejectUnknownFlags(["--port=-1"], def2)).not.toThrow();
    // A boolean flag takes no value: a word like -1 after it is still checked as an option.
    expect(() => rejectUnknownFlags(["--json", "-1"], def2)).toThrow("Unknown option -1");
  });

  test("a string flag without a value is a usage error, never its default", () => {
    for (const argv of [["--port"], ["--port="], ["--port", ""], ["--port", "  "], ["--port", "--json"], ["--port", "-x"]]) {
      expect(() => rejectUnknownFlags(argv, def2)).toThrow(UsageError);
      expect(() => rejectUnknownFlags(argv, def2)).toThrow("--port needs a value");
    }
  });

  test("parsePort: an empty flag is an error, an empty variable is not set", () => {
    expect(() => parsePort("", "--port")).toThrow("--port needs a value");
    expect(parsePort("", "HEADROOM_PORT")).toBeUndefined();
    expect(parsePort(undefined)).toBeUndefined();
    expect(() => parsePort("-1")).toThrow('not "-1"');
    expect(parsePort("8787")).toBe(8787);
  });
});
