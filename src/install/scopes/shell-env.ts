// User and system scope on Linux and macOS: a marker-fenced block that exports the
// variables, in shell start-up files.
//
// User scope: ~/.bashrc and ~/.zshrc when they exist, and ~/.profile (created when
// missing: sh, dash and bash login shells read it). On macOS, where zsh is the login
// shell, ~/.zshrc is the one created and ~/.profile is edited only when it exists.
// fish: ~/.config/fish/conf.d/headroom.fish when fish's config folder exists.
// System scope: /etc/profile.d/headroom.sh (Linux); /etc/profile, /etc/zprofile and
// /etc/bashrc (macOS). Needs root.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { HeadroomError } from "../../errors.ts";
import type { OsName } from "../../host/platform.ts";
import { blockEdit } from "../../edits/block.ts";
import type { FileEdit } from "../../edits/types.ts";
import type { Env } from "../../host/env.ts";
import type { EnvRule } from "../../tools/env-rules.ts";

const NOTE = "# Routes coding tools through the headroom proxy; `headroom install remove` takes this out.";

function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function fishQuote(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

// A rule keeps the user's own value: it is tested when the shell starts, so a variable set
// earlier in the user's start-up files (or in the environment the shell inherits) wins.
function shRuleLine(r: EnvRule): string {
  const test = `[ -n "${r.unless.map((n) => `\${${n}-}`).join("")}" ]`;
  if (r.from !== undefined) return `${test} || [ -z "\${${r.from}-}" ] || export ${r.name}="$${r.from}"`;
  return `${test} || export ${r.name}=${shQuote(r.value)}`;
}

function fishRuleLine(r: EnvRule): string {
  const test = `test -n "${r.unless.map((n) => `$${n}`).join("")}"`;
  if (r.from !== undefined) return `${test}; or test -z "$${r.from}"; or set -gx ${r.name} $${r.from}`;
  return `${test}; or set -gx ${r.name} ${fishQuote(r.value)}`;
}

export function shellBlockLines(vars: Record<string, string>, rules: readonly EnvRule[] = []): string[] {
  return [NOTE, ...Object.entries(vars).map(([k, v]) => `export ${k}=${shQuote(v)}`), ...rules.map(shRuleLine)];
}

export function fishBlockLines(vars: Record<string, string>, rules: readonly EnvRule[] = []): string[] {
  return [NOTE, ...Object.entries(vars).map(([k, v]) => `set -gx ${k} ${fishQuote(v)}`), ...rules.map(fishRuleLine)];
}

export function userShellFiles(os: OsName, home: string, env: Env): { sh: string[]; fish: string | null } {
  const always = os === "darwin" ? ".zshrc" : ".profile";
  const candidates = [".bashrc", ".zshrc", ".profile"];
  const sh = candidates.filter((f) => f === always || existsSync(join(home, f))).map((f) => join(home, f));
  const fishDir = join(env.XDG_CONFIG_HOME || join(home, ".config"), "fish");
  return { sh, fish: existsSync(fishDir) ? join(fishDir, "conf.d", "headroom.fish") : null };
}

export function userShellEdits(os: OsName, home: string, env: Env, vars: Record<string, string>, rules: readonly EnvRule[] = []): FileEdit[] {
  const files = userShellFiles(os, home, env);
  const edits = files.sh.map((p) => blockEdit("shell-block", p, shellBlockLines(vars, rules)));
  if (files.fish) edits.push(blockEdit("fish-block", files.fish, fishBlockLines(vars, rules)));
  return edits;
}

export function systemShellFiles(os: OsName, root = "/"): string[] {
  if (os === "darwin") return ["etc/profile", "etc/zprofile", "etc/bashrc"].map((p) => join(root, p));
  return [join(root, "etc/profile.d/headroom.sh")];
}

export function systemShellEdits(os: OsName, isRoot: boolean, vars: Record<string, string>, root = "/", rules: readonly EnvRule[] = []): FileEdit[] {
  const files = systemShellFiles(os, root);
  if (!isRoot) {
    throw new HeadroomError(
      `System scope changes ${files.join(", ")}, which needs root; run the command with sudo, or use --scope user.`,
    );
  }
  return files.map((p) => blockEdit("shell-block", p, shellBlockLines(vars, rules)));
}
