// The plain forms of `install status` options, answered without the CLI library, and
// everything else left to it.
import { expect, test } from "bun:test";
import { parseStatusArgv } from "../../../src/cli/install-status.ts";

test("plain forms are parsed", () => {
  expect(parseStatusArgv([])).toEqual({});
  expect(parseStatusArgv(["--json"])).toEqual({ json: true });
  expect(parseStatusArgv(["--all", "--json"])).toEqual({ all: true, json: true });
  expect(parseStatusArgv(["--profile", "work"])).toEqual({ profile: "work" });
  expect(parseStatusArgv(["--json", "--profile=work"])).toEqual({ json: true, profile: "work" });
  // Contradictions are still the command's to refuse, with its own sentence.
  expect(parseStatusArgv(["--all", "--profile", "x"])).toEqual({ all: true, profile: "x" });
});

test("anything else is left to the full parser", () => {
  for (const argv of [["--help"], ["-h"], ["--verbose"], ["--bogus"], ["extra"], ["--profile"], ["--profile", "--json"], ["--profile="], ["--profile", "a", "--profile", "b"], ["--json", "--json"], ["--no-json"], ["-p", "x"]]) {
    expect(parseStatusArgv(argv)).toBeNull();
  }
});
