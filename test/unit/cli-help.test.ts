// Help screens: rendered from the citty definitions (src/cli/help.ts) with the full usage
// line, wrapped without padding, two or three examples per command and the exit codes
// where a command has them; colour only when src/cli/color.ts allows it. The compiled
// binary's --help is checked in a pipe (no colour) and with FORCE_COLOR / NO_COLOR.
import { describe, expect, test } from "bun:test";
import type { CommandDef, CommandMeta } from "citty";
import { main } from "../../src/cli/commands.ts";
import { stripAnsi } from "../../src/cli/color.ts";
import { HELP } from "../../src/cli/examples.ts";
import { EXIT_TABLE } from "../../src/cli/exit-codes.ts";
import { columns, renderHelp, wrapText } from "../../src/cli/help.ts";
import { EXIT } from "../../src/errors.ts";
import { paint } from "../../src/cli/color.ts";
import { resolveCommandPath } from "../../src/cli/run.ts";
import { NOT_INSTALLED_EXIT } from "../../src/install/manifest-errors.ts";
import { binPath, runBin } from "../support/bin.ts";

type R<T> = T | Promise<T> | (() => T | Promise<T>);
const resolve = async <T>(v: R<T> | undefined): Promise<T | undefined> => (typeof v === "function" ? (v as () => T)() : v);

/** Every command path (root first) with its chain of definitions, hidden ones marked. */
async function walk(cmd: CommandDef, chain: CommandDef[] = [cmd], names: string[] = ["headroom"], hidden = false): Promise<{ path: string; chain: CommandDef[]; hidden: boolean }[]> {
  const out = [{ path: names.join(" "), chain, hidden }];
  const subs = (await resolve(cmd.subCommands as R<Record<string, R<CommandDef>>>)) ?? {};
  for (const [n, s] of Object.entries(subs)) {
    const def = (await resolve(s))!;
    const meta = ((await resolve(def.meta as R<CommandMeta>)) ?? {}) as CommandMeta;
    out.push(...(await walk(def, [...chain, def], [...names, n], hidden || !!meta.hidden)));
  }
  return out;
}

describe("help screens from the definitions", async () => {
  const all = await walk(main);

  test("every visible command has two or three examples, each a headroom command line", () => {
    const visible = all.filter((c) => !c.hidden);
    expect(visible.length).toBeGreaterThan(10);
    for (const c of visible) {
      const extra = HELP[c.path];
      expect(extra, c.path).toBeDefined();
      expect(extra!.examples.length, c.path).toBeGreaterThanOrEqual(2);
      expect(extra!.examples.length, c.path).toBeLessThanOrEqual(3);
      for (const [line] of extra!.examples) expect(line, c.path).toContain(c.path === "headroom" ? "headroom " : c.path);
    }
  });

  test("the usage line names the whole command path; no line is padded; lines fit the width (examples aside)", async () => {
    for (const c of all) {
      const text = await renderHelp(c.chain, { width: 80 });
      const lines = text.trimEnd().split("\n");
      const usage = lines[lines.indexOf("USAGE") + 1]!;
      expect(usage.trim().startsWith(c.path), `${c.path}: ${usage}`).toBe(true);
      const exampleLines = new Set((HELP[c.path]?.examples ?? []).map(([l]) => `  ${l}`));
      for (const l of lines) {
        expect(l, `${c.path}: trailing space in ${JSON.stringify(l)}`).toBe(l.trimEnd());
        if (!exampleLines.has(l) && l !== usage) expect(l.length, `${c.path}: ${l}`).toBeLessThanOrEqual(80);
      }
      expect(text).not.toContain("\u001b[");
    }
  });

  test("install commands list the exit codes, which match the codes the errors carry", async () => {
    for (const path of ["headroom install apply", "headroom install status", "headroom install stop", "headroom doctor"]) {
      const c = all.find((x) => x.path === path)!;
      const text = await renderHelp(c.chain, { width: 100 });
      expect(text).toContain("EXIT CODES");
      for (const [code, what] of EXIT_TABLE) expect(text).toContain(`  ${code}  ${what.split(" ")[0]}`);
    }
    expect(NOT_INSTALLED_EXIT).toBe(EXIT.notInstalled);
    expect(new Set(EXIT_TABLE.map(([c]) => c)).size).toBe(EXIT_TABLE.length);
  });

  test("subcommand lists, options with placeholders and global options", async () => {
    const chain = await resolveCommandPath(main, ["install", "apply"]);
    const text = await renderHelp(chain, { width: 80 });
    expect(text).toContain("--preset <preset>");
    expect(text).toContain("--env <NAME=VALUE>");
    expect(text).toMatch(/-q, --quiet +Print only errors and warnings/);
    expect(text).toContain("--verbose");
    const install = await renderHelp(await resolveCommandPath(main, ["install"]), { width: 80 });
    expect(install).toMatch(/COMMANDS\n {2}apply/);
    expect(install).not.toMatch(/^ {2}agent/m); // hidden
    expect(install).toContain("Run `headroom install <command> --help`");
  });

  test("wrapping and columns", () => {
    expect(wrapText("aa bb cc dd", 5)).toEqual(["aa bb", "cc dd"]);
    expect(wrapText("averyveryverylongword x", 5)).toEqual(["averyveryverylongword", "x"]);
    const p = paint(false);
    expect(columns([["--a", "one two three four five six"], ["--long-label-beyond", "x"]], 30, p, 10)).toEqual([
      "  --a         one two three four",
      "              five six",
      "  --long-label-beyond",
      "              x",
    ]);
    expect(stripAnsi(columns([["--a", "b"]], 80, paint(true)).join(""))).toBe("  --a  b");
  });
});

describe("the compiled binary's help", () => {
  test("in a pipe: no colour, the full usage line, examples; under 100 columns whatever COLUMNS says", async () => {
    const r = await runBin(["install", "apply", "--help"], { env: { FORCE_COLOR: undefined, NO_COLOR: undefined, COLUMNS: "300" } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b[");
    expect(r.stdout).toContain("\n  headroom install apply [options]\n");
    expect(r.stdout).toContain("EXAMPLES");
    for (const l of r.stdout.split("\n")) expect(l).toBe(l.trimEnd());
    expect(Math.max(...r.stdout.split("\n").filter((l) => !l.startsWith("  headroom")).map((l) => l.length))).toBeLessThanOrEqual(100);
  });

  test("FORCE_COLOR colours a pipe; NO_COLOR (any value) and FORCE_COLOR=0 do not", async () => {
    const forced = await runBin(["--help"], { env: { FORCE_COLOR: "1", NO_COLOR: undefined } });
    expect(forced.stdout).toContain("\u001b[1mUSAGE\u001b[22m");
    for (const env of [{ NO_COLOR: "true", FORCE_COLOR: undefined }, { FORCE_COLOR: "0", NO_COLOR: undefined }]) {
      const r = await runBin(["--help"], { env });
      expect(r.stdout).not.toContain("\u001b[");
    }
  });

  // On a terminal (util-linux `script` gives the binary a pty): colour, unless NO_COLOR has any value.
  test.skipIf(!Bun.which("script"))("on a terminal: colour; NO_COLOR=true turns it off", async () => {
    const onTty = async (env: Record<string, string | undefined>) => {
      const full = Object.fromEntries(Object.entries({ ...process.env, ...env, FORCE_COLOR: undefined, TERM: "xterm" }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const p = Bun.spawn(["script", "-qec", `${binPath} install --help`, "/dev/null"], { env: full, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      expect(code).toBe(0);
      return out;
    };
    expect(await onTty({ NO_COLOR: undefined })).toContain("\u001b[1mUSAGE\u001b[22m");
    const off = await onTty({ NO_COLOR: "true" });
    expect(off).toContain("USAGE");
    expect(off).not.toContain("\u001b[");
    // An error line too: red on the terminal, plain with NO_COLOR, plain in a pipe.
    const err = async (env: Record<string, string | undefined>) => {
      const full = Object.fromEntries(Object.entries({ ...process.env, ...env, FORCE_COLOR: undefined, TERM: "xterm", HEADROOM_WORKSPACE_DIR: "/nonexistent/hr" }).filter(([, v]) => v !== undefined)) as Record<string, string>;
      const p = Bun.spawn(["script", "-qec", `${binPath} install status --profile zz`, "/dev/null"], { env: full, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
      const [out] = await Promise.all([new Response(p.stdout).text(), p.exited]);
      return out;
    };
    expect(await err({ NO_COLOR: undefined })).toContain('\u001b[31mheadroom: No deployment profile "zz"');
    expect(await err({ NO_COLOR: "true" })).not.toContain("\u001b[");
    expect((await runBin(["install", "status", "--profile", "zz"], { env: { HEADROOM_WORKSPACE_DIR: "/nonexistent/hr", FORCE_COLOR: undefined } })).stderr).not.toContain("\u001b[");
  });

  test("an unknown command and a bad option are usage errors (exit 2) whether or not --json is given", async () => {
    const plain = await runBin(["install", "frobnicate"]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/^headroom: Unknown command frobnicate\. Run with --help for usage\.\n$/);
    const json = await runBin(["install", "stop", "--json", "--bogus"]);
    expect(json.code).toBe(2);
    expect(json.stderr).toBe("");
    expect(JSON.parse(json.stdout)).toEqual({ ok: false, error: "Unknown option --bogus.", code: 2 });
  });
});
