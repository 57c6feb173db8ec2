// wrap's own argument parsing (pure): which options are wrap's, what goes to the tool.
import { describe, expect, test } from "bun:test";
import { UsageError } from "../../src/errors.ts";
import { parseUnwrapTool, parseWrapArgv } from "../../src/wrap/argv.ts";

describe("parseWrapArgv", () => {
  test("wrap's options anywhere before --, everything else to the tool in order", () => {
    expect(parseWrapArgv(["claude", "--model", "opus", "--port=9000", "-p", "hi", "-v"])).toEqual({
      tool: "claude", port: 9000, noProxy: false, verbose: true, toolArgs: ["--model", "opus", "-p", "hi"],
    });
    expect(parseWrapArgv(["--port", "1234", "--no-proxy", "codex", "exec"])).toEqual({
      tool: "codex", port: 1234, noProxy: true, verbose: false, toolArgs: ["exec"],
    });
  });

  test("after -- nothing is wrap's, not even --port or -v", () => {
    expect(parseWrapArgv(["aider", "--", "--port", "1", "-v", "--no-proxy", "--"])).toEqual({
      tool: "aider", noProxy: false, verbose: false, port: undefined, toolArgs: ["--port", "1", "-v", "--no-proxy", "--"],
    });
  });

  test("bad input is a usage error", () => {
    expect(() => parseWrapArgv([])).toThrow(UsageError);
    expect(() => parseWrapArgv(["--", "claude"])).toThrow(UsageError);
    expect(() => parseWrapArgv(["vim"])).toThrow(/Unknown tool "vim"/);
    expect(() => parseWrapArgv(["claude", "--port"])).toThrow(UsageError);
    expect(() => parseWrapArgv(["claude", "--port", "70000"])).toThrow(UsageError);
    expect(() => parseUnwrapTool("nano")).toThrow(UsageError);
    expect(parseUnwrapTool("codex")).toBe("codex");
  });
});
