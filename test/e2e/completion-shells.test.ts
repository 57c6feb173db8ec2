// `headroom completion bash|zsh|fish`, loaded into the real shells and asked for
// completions the way each shell asks: bash through `complete -p` and the registered
// function with COMP_WORDS/COMP_CWORD; zsh through its completion system, in a zsh on a
// pseudo-terminal (zsh/zpty) that types the words and a Tab; fish through
// `complete -C`. The scripts come from the compiled binary. In CI (CI=true) a missing
// shell is a failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../src/cli/commands.ts";
import { commandSpec } from "../../src/cli/completion.ts";
import { runBin } from "../support/bin.ts";

const TOOLS = ["claude", "codex", "aider", "copilot", "cursor", "opencode", "openclaw"];
// What the definitions say `install` has (the binary under test is built from the same source).
const INSTALL_SUBCOMMANDS = (await commandSpec(main, "headroom")).subcommands.find((s) => s.name === "install")!.subcommands.map((s) => s.name);

function shellSkip(name: string): boolean {
  if (Bun.which(name)) return false;
  if (process.env.CI === "true") throw new Error(`CI must run the ${name} completion tests: ${name} is not installed (apt-get install ${name})`);
  console.warn(`skipping ${name} completion tests: ${name} is not installed`);
  return true;
}

let dir: string;
let env: Record<string, string>;
const script = (shell: string) => join(dir, `headroom.${shell}`);

beforeAll(async () => {
  dir = mkdtempSync("/tmp/headroom-completion-");
  const ws = join(dir, "ws");
  for (const p of ["alpha", "beta"]) {
    mkdirSync(join(ws, "deploy", p), { recursive: true });
    writeFileSync(join(ws, "deploy", p, "manifest.json"), "{}");
  }
  mkdirSync(join(ws, "deploy", "no-manifest"), { recursive: true });
  env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, HEADROOM_WORKSPACE_DIR: ws, TERM: "xterm", LANG: "C.UTF-8" };
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runBin(["completion", shell]);
    expect(r.code).toBe(0);
    writeFileSync(script(shell), r.stdout);
  }
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[], timeoutMs = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(argv, { env, stdin: "ignore", stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, stdout, stderr };
}

const sorted = (xs: string[]) => [...new Set(xs.filter(Boolean))].sort();

// Cases: the words typed (the last one is being completed) and what must be offered.
const CASES: [typed: string, expected: string[]][] = [
  ["headroom inst", ["install"]],
  ["headroom ", ["completion", "doctor", "healthcheck", "install", "proxy", "unwrap", "version", "wrap"]],
  ["headroom install ", INSTALL_SUBCOMMANDS],
  ["headroom install apply --pre", ["--preset"]],
  ["headroom install apply --preset ", ["persistent-docker", "persistent-service", "persistent-task"]],
  ["headroom install apply --preset persistent-task --sc", ["--scope"]],
  ["headroom install apply --scope user --json --target c", ["claude", "codex", "copilot", "cursor"]],
  ["headroom install status --profile ", ["alpha", "beta"]],
  ["headroom wrap ", TOOLS],
  ["headroom completion ", ["bash", "fish", "powershell", "zsh"]],
  ["headroom install stop --pa", ["--pause"]],
  ["headroom doctor --", ["--help", "--json", "--profile", "--quiet", "--verbose"]],
];

describe.skipIf(shellSkip("bash"))("bash", () => {
  async function complete(typed: string): Promise<string[]> {
    const words = typed.split(" ");
    const arr = words.map((w) => `'${w}'`).join(" ");
    const r = await run(["bash", "--norc", "--noprofile", "-c", `source '${script("bash")}'; COMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; COMP_LINE='${typed}'; COMP_POINT=${typed.length}; $(complete -p headroom | sed -E 's/.*-F ([^ ]+) .*/\\1/') headroom; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect(r.stderr).toBe("");
    return sorted(r.stdout.split("\n"));
  }

  test("the script registers a function for headroom", async () => {
    const r = await run(["bash", "--norc", "--noprofile", "-c", `source '${script("bash")}'; complete -p headroom`]);
    expect(r.stdout.trim()).toBe("complete -F _headroom headroom");
  });

  for (const [typed, expected] of CASES) {
    test(JSON.stringify(typed), async () => {
      expect(await complete(typed)).toEqual(sorted(expected));
    });
  }

  test("--option=value, as bash splits it at '='", async () => {
    const r = await run(["bash", "--norc", "--noprofile", "-c", `source '${script("bash")}'; COMP_WORDS=(headroom install apply --scope = pro); COMP_CWORD=5; _headroom; printf '%s\\n' "\${COMPREPLY[@]}"`]);
    expect(sorted(r.stdout.split("\n"))).toEqual(["provider"]);
  });
});

describe.skipIf(shellSkip("zsh"))("zsh (its completion system, on a pseudo-terminal)", () => {
  // Starts an interactive zsh on a pty, loads compinit and the script, waits until the
  // line editor is reading, types the words and a Tab; compadd is wrapped to print every
  // match it is given, then the line is cleared and a marker printed, so the output ends
  // where it should. Reads are by whole lines (a pattern ending in a newline).
  const CAPTURE = `zmodload zsh/zpty || exit 3
zpty hc zsh -f -i
zpty -w hc "PS1=''; PROMPT=''; RPROMPT=''"
zpty -w hc "autoload -Uz compinit && compinit -u -D"
zpty -w hc "bindkey '^I' complete-word"
zpty -w hc "zle-line-init() { print -rn -- @@zle\\$((6*7)) >/dev/tty; }; zle -N zle-line-init"
zpty -w hc "compadd() { local -a __hc; builtin compadd -O __hc \\"\\$@\\"; { print; print -rl -- \\\${(@)^__hc/#/@@m }; } >/dev/tty; }"
zpty -w hc "source \${(q)1}"
zpty -w hc "print -r -- @@ready\\$((6*7))"
local line
while zpty -r hc line '*'$'\\n'; do [[ $line == *@@ready42* ]] && break; done
# Type only once the line editor reads the terminal (input sent earlier may be flushed).
zpty -r hc line '*@@zle42'
zpty -w -n hc "$2"$'\\t'
zpty -w -n hc $'\\C-u'
zpty -w hc "print -r -- @@done\\$((6*7))"
while zpty -r hc line '*'$'\\n'; do
  line=\${line//$'\\r'/}
  [[ $line == *@@done42* ]] && break
  [[ $line == @@m\\ * ]] && print -r -- "\${line#@@m }"
done
zpty -d hc
`;

  async function complete(typed: string): Promise<string[]> {
    const capture = join(dir, "capture.zsh");
    writeFileSync(capture, CAPTURE);
    const r = await run(["zsh", "-f", capture, script("zsh"), typed]);
    expect(r.code).toBe(0);
    return sorted(r.stdout.split("\n"));
  }

  test("the script is a #compdef file and registers _headroom when sourced", async () => {
    const r = await run(["zsh", "-f", "-c", `autoload -Uz compinit && compinit -u -D; source '${script("zsh")}'; print -r -- $_comps[headroom]`]);
    expect(r.stdout.trim()).toBe("_headroom");
  });

  for (const [typed, expected] of CASES) {
    test(JSON.stringify(typed), async () => {
      expect(await complete(typed)).toEqual(sorted(expected));
    });
  }

  test("--option=value", async () => {
    expect(await complete("headroom install apply --preset=persistent-t")).toEqual(["persistent-task"]);
  });
});

describe.skipIf(shellSkip("fish"))("fish", () => {
  async function complete(typed: string): Promise<string[]> {
    const r = await run(["fish", "--no-config", "-c", `source '${script("fish")}'; complete -C '${typed}'`]);
    expect(r.stderr).toBe("");
    return sorted(r.stdout.split("\n").map((l) => l.split("\t")[0]!));
  }

  for (const [typed, expected] of CASES) {
    test(JSON.stringify(typed), async () => {
      const got = await complete(typed);
      // fish also offers the short forms of matching options (-h, -q) after "--": only the asked-for ones count.
      expect(got.filter((x) => !/^-[a-zA-Z]$/.test(x) || expected.includes(x))).toEqual(sorted(expected));
    });
  }

  test("descriptions come with the subcommands", async () => {
    const r = await run(["fish", "--no-config", "-c", `source '${script("fish")}'; complete -C 'headroom install ap'`]);
    expect(r.stdout.trim()).toBe("apply\tCreate or update a deployment profile and start it.");
  });

  test("--option=value, and files after -- (wrap's arguments go to the tool)", async () => {
    expect(await complete("headroom install apply --preset=persistent-t")).toEqual(["--preset=persistent-task"]);
    writeFileSync(join(dir, "notes-for-tool.txt"), "x");
    const r = await run(["fish", "--no-config", "-c", `cd '${dir}'; source '${script("fish")}'; complete -C 'headroom wrap claude -- notes-for'`]);
    expect(r.stdout).toContain("notes-for-tool.txt");
  });
});
