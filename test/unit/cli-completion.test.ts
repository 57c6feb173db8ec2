// `headroom completion`: the tree is taken from the citty definitions (a command or option
// defined is a command or option completed), and the PowerShell script, which no Debian
// package can run, is checked by parsing: its embedded tree is the same tree, and the
// script's braces, parentheses and quotes balance outside its here-string.
// test/e2e/completion-shells.test.ts loads the other three into their real shells.
import { describe, expect, test } from "bun:test";
import type { ArgDef, CommandDef } from "citty";
import { main } from "../../src/cli/commands.ts";
import { type CommandSpec, flatten, powershellTree, renderCompletion, SHELLS } from "../../src/cli/completion-scripts.ts";
import { commandSpec } from "../../src/cli/completion.ts";
import { TARGET_HINT } from "../../src/cli/install.ts";
import { TOOL_NAMES } from "../../src/tools/registry.ts";
import { runBin } from "../support/bin.ts";

const spec = await commandSpec(main, "headroom");
const at = (path: string) => flatten(spec).find((c) => c.path.join(" ") === path)!;

describe("the completion tree", () => {
  test("visible commands only, with their descriptions", () => {
    expect(spec.subcommands.map((s) => s.name)).toEqual(["proxy", "wrap", "unwrap", "install", "doctor", "completion", "healthcheck", "version"]);
    expect(at("install").subcommands.map((s) => s.name).slice(0, 6)).toEqual(["apply", "status", "start", "stop", "restart", "remove"]);
    expect(at("install").subcommands.some((s) => s.name === "agent")).toBe(false);
    expect(at("install apply").description).toBe("Create or update a deployment profile and start it.");
  });

  test("every option of a definition is there, with whether it takes a value", async () => {
    const apply = (await (await import("../../src/cli/install.ts")).default.subCommands as Record<string, CommandDef>).apply!;
    const args = apply.args as Record<string, ArgDef>;
    const flags = at("install apply").flags;
    for (const [name, a] of Object.entries(args)) {
      const f = flags.find((x) => x.names[0] === `--${name}`);
      expect(f, name).toBeDefined();
      expect(f!.value, name).toBe(a.type === "string");
    }
    for (const g of ["--help", "-h", "--quiet", "-q", "--verbose"]) expect(flags.some((f) => f.names.includes(g))).toBe(true);
    expect(flags.some((f) => f.names.includes("--no-optimize"))).toBe(true);
  });

  test("values come from the definitions' value hints; profiles are looked up at completion time", () => {
    const f = (path: string, name: string) => at(path).flags.find((x) => x.names.includes(name))!;
    expect(f("install apply", "--preset").choices).toEqual(["persistent-service", "persistent-task", "persistent-docker"]);
    expect(f("install apply", "--os").choices).toEqual(["linux", "darwin", "windows"]);
    expect(f("proxy", "--mode").choices).toEqual(["auto", "token", "cache"]);
    expect(f("install status", "--profile").dynamic).toBe("profile");
    expect(f("install apply", "--port").choices).toBeUndefined();
    expect(at("wrap").positional?.choices).toEqual([...TOOL_NAMES]);
    expect(at("completion").positional?.choices).toEqual([...SHELLS]);
  });

  test("--target and the wrap tool offer exactly the registry's tools", () => {
    expect(TARGET_HINT.split("|")).toEqual([...TOOL_NAMES]);
  });
});

/** The PowerShell text outside its here-string, with string literals blanked. */
function powershellCode(script: string): { code: string; json: string } {
  const m = /@'\n([\s\S]*?)\n'@/.exec(script);
  if (!m) throw new Error("no here-string");
  const code = script.slice(0, m.index) + script.slice(m.index + m[0].length);
  return { code: code.replace(/^#.*$/gm, "").replace(/'[^'\n]*'/g, "''").replace(/"[^"\n]*"/g, '""'), json: m[1]! };
}

function balanced(code: string): boolean {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ")": "(", "}": "{", "]": "[" };
  for (const ch of code) {
    if ("({[".includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return false;
  }
  return stack.length === 0;
}

describe("the PowerShell script (parsed: Debian has no PowerShell)", () => {
  const script = renderCompletion("powershell", spec);

  test("registers a native completer for headroom and headroom.exe", () => {
    expect(script).toMatch(/^Register-ArgumentCompleter -Native -CommandName 'headroom', 'headroom\.exe' -ScriptBlock \{$/m);
    expect(script).toContain("param($wordToComplete, $commandAst, $cursorPosition)");
    expect(script).toContain("[System.Management.Automation.CompletionResult]::new(");
  });

  test("its embedded tree is the command tree, parsed as JSON", () => {
    const { json } = powershellCode(script);
    const tree = JSON.parse(json);
    expect(tree).toEqual(powershellTree(spec));
    expect(Object.keys(tree.commands.install.commands)).toEqual(at("install").subcommands.map((s) => s.name));
    const preset = tree.commands.install.commands.apply.options.find((o: { names: string[] }) => o.names.includes("--preset"));
    expect(preset).toMatchObject({ value: true, choices: ["persistent-service", "persistent-task", "persistent-docker"] });
    expect(tree.commands.wrap.positional).toEqual([...TOOL_NAMES]);
    // The here-string ends only at a line that starts with '@: the JSON is on one line.
    expect(json.includes("\n")).toBe(false);
  });

  test("braces, parentheses and brackets balance outside strings; every variable it reads is assigned or a parameter", () => {
    const { code } = powershellCode(script);
    expect(balanced(code)).toBe(true);
    const used = new Set([...code.matchAll(/\$([A-Za-z_][\w]*)/g)].map((x) => x[1]!));
    const assigned = new Set([...code.matchAll(/\$([A-Za-z_]\w*)\s*=(?!=)/g)].map((x) => x[1]!));
    for (const x of code.matchAll(/foreach \(\$(\w+) in/g)) assigned.add(x[1]!);
    const builtins = new Set(["_", "null", "true", "false", "env", "HOME", "wordToComplete", "commandAst", "cursorPosition", "PROFILE"]);
    for (const v of used) expect(assigned.has(v) || builtins.has(v), `$${v}`).toBe(true);
  });
});

describe("the command", () => {
  test("each shell's script on stdout; an unknown or missing shell is a usage error", async () => {
    for (const shell of SHELLS) {
      const r = await runBin(["completion", shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(renderCompletion(shell, spec as CommandSpec));
    }
    const bad = await runBin(["completion", "tcsh"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown shell "tcsh"');
    expect((await runBin(["completion"])).code).toBe(2);
  });
});
