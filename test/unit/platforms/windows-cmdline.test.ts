// Windows command-line quoting: every argument vector in the table is turned into one
// string by src/host/windows-cmdline.ts and split again by an independent parser of the
// documented CommandLineToArgvW rules (./commandline-to-argv.ts); it must come back the same.
import { describe, expect, test } from "bun:test";
import { quoteWindowsArg, windowsArguments, windowsCommandLine } from "../../../src/host/windows-cmdline.ts";
import { commandLineToArgv } from "./commandline-to-argv.ts";

const PROGRAMS = ["C:\\headroom\\headroom.exe", "C:\\Program Files\\Head Room\\headroom.exe", "headroom.exe", "C:\\Users\\A B\\AppData\\Local\\headroom\\"];

const ARGS: string[][] = [
  [],
  ["install", "agent", "run", "--profile", "default"],
  [""],
  ["", "", "x"],
  ["a b", "c\td", "new\nline"],
  ['say "hi"', '"', '""', 'a"b', '"quoted"'],
  ["C:\\path\\", "C:\\Program Files\\", "trailing\\\\", "\\"],
  ["back\\slash", "\\\\server\\share", "a\\\\b c"],
  ['a\\"b', 'a\\\\"b', '\\"', '\\\\"', 'x\\" y'],
  ["C:\\My Dir\\\" evil", 'end with quote"', "end with slash and space \\"],
  ["--env", "K=v w", "--env", "P=C:\\Program Files (x86)\\x\\"],
  ["ünïcødé ✓", "tab\tend\t", " leading", "trailing "],
  ["%PATH%", "^&|<>", "!bang!", "$(x)", "'single'"],
];

describe("CommandLineToArgvW round-trip", () => {
  for (const program of PROGRAMS) {
    for (const args of ARGS) {
      test(`${JSON.stringify(program)} + ${JSON.stringify(args)}`, () => {
        const argv = [program, ...args];
        const line = windowsCommandLine(argv);
        expect(commandLineToArgv(line)).toEqual(argv);
        // The task XML form: <Command> separately, <Arguments> as one string.
        expect(commandLineToArgv(`"${program}" ${windowsArguments(args)}`)).toEqual(argv);
      });
    }
  }
});

describe("quoting rules, word by word", () => {
  const table: [string, string][] = [
    ["plain", "plain"],
    ["", '""'],
    ["a b", '"a b"'],
    ['a"b', '"a\\"b"'],
    ["C:\\dir\\", "C:\\dir\\"], // no space: no quotes, so the trailing backslash stays single
    ["C:\\my dir\\", '"C:\\my dir\\\\"'], // trailing backslashes doubled before the closing quote
    ['a\\"b', '"a\\\\\\"b"'], // backslashes before a quote doubled, plus one for the quote
    ["a\\b c", '"a\\b c"'], // backslashes not before a quote stay single
  ];
  for (const [arg, quoted] of table) {
    test(`${JSON.stringify(arg)} -> ${quoted}`, () => {
      expect(quoteWindowsArg(arg)).toBe(quoted);
    });
  }

  test("a program path containing a double quote is refused (Windows paths cannot hold one)", () => {
    expect(() => windowsCommandLine(['C:\\a"b\\x.exe'])).toThrow(/double quote/);
  });
});

describe("the test parser itself follows the documented examples", () => {
  // The examples table of Microsoft's "Parsing C command-line arguments".
  const examples: [string, string[]][] = [
    ['x "a b c" d e', ["a b c", "d", "e"]],
    ['x "ab\\"c" "\\\\" d', ['ab"c', "\\", "d"]],
    ['x a\\\\\\b d"e f"g h', ["a\\\\\\b", "de fg", "h"]],
    ['x a\\\\\\"b c d', ['a\\"b', "c", "d"]],
    ['x a\\\\\\\\"b c" d e', ["a\\\\b c", "d", "e"]],
    ['"C:\\Program Files\\x.exe" y', ["y"]],
  ];
  for (const [line, args] of examples) {
    test(line, () => {
      expect(commandLineToArgv(line).slice(1)).toEqual(args);
    });
  }
});
