// Help screens rendered from the citty definitions: the full usage line (`headroom install
// apply [options]`), options in two columns wrapped to the terminal (80 columns when not
// a terminal, never padded past the text), subcommands, two or three examples and, where
// a command has them, the exit codes. Colour only where src/cli/color.ts allows it.
import type { ArgDef, CommandDef, CommandMeta } from "citty";
import type { Env } from "../host/env.ts";
import { type Paint, colorEnabled, paint } from "./color.ts";
import { HELP } from "./examples.ts";
import { EXIT_TABLE } from "./exit-codes.ts";

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>);

async function resolve<T>(v: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

export interface HelpOptions {
  /** Total width to wrap to. */
  width?: number;
  color?: boolean;
}

/** Options every command accepts (src/cli/args.ts rejectUnknownFlags allows them). */
const GLOBAL_FLAGS: [string, string][] = [
  ["-q, --quiet", "Print only errors and warnings"],
  ["--verbose", "Also print debug lines, and a stack trace on failure"],
  ["-h, --help", "Show this help"],
];

/** Commands whose options they do not know go to another program (src/wrap/argv.ts). */
const PASS_THROUGH = new Set(["headroom wrap"]);

/**
 * The global options a command shows: all of them, less any the command defines itself
 * (wrap's own -v, --verbose); a command whose unknown options go to another program
 * (wrap) takes only --help.
 */
export function globalFlagsFor(path: string, own: Set<string>): [string, string][] {
  const passThrough = PASS_THROUGH.has(path);
  return GLOBAL_FLAGS.filter(([label]) => {
    const names = label.split(", ");
    if (names.some((n) => own.has(n))) return false;
    return !passThrough || names.includes("--help");
  });
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(/\s+/).filter(Boolean)) {
      if (line && line.length + 1 + word.length > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

/** `<name>` placeholder of a string flag: its valueHint when that is one word, else the flag's name. */
function placeholder(name: string, arg: ArgDef): string {
  const hint = (arg as { valueHint?: string }).valueHint;
  return hint && /^[A-Za-z][\w=-]*$/.test(hint) ? hint : name.replace(/^.*-/, "");
}

function flagLabel(name: string, arg: ArgDef): string {
  const alias = (arg as { alias?: string | string[] }).alias;
  const aliases = (Array.isArray(alias) ? alias : alias ? [alias] : []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`));
  const type = arg.type ?? "string";
  const value = type === "string" || type === "enum" ? ` <${placeholder(name, arg)}>` : "";
  return [...aliases, `--${name}`].join(", ") + value;
}

/** Two columns: labels padded to a shared width (at most `max`), descriptions wrapped; no trailing spaces. */
export function columns(rows: [string, string][], width: number, p: Paint, max = 28): string[] {
  const indent = 2;
  const labelWidth = Math.min(max, Math.max(0, ...rows.map(([l]) => l.length)));
  const descWidth = Math.max(20, width - indent - labelWidth - 2);
  const out: string[] = [];
  for (const [label, desc] of rows) {
    const lines = wrapText(desc, descWidth);
    const pad = " ".repeat(indent + labelWidth + 2);
    if (label.length > labelWidth) {
      out.push(`${" ".repeat(indent)}${p.cyan(label)}`);
      for (const l of lines) if (l) out.push(`${pad}${l}`);
      continue;
    }
    const first = lines[0] ?? "";
    out.push(`${" ".repeat(indent)}${p.cyan(label)}${first ? " ".repeat(labelWidth - label.length + 2) + first : ""}`);
    for (const l of lines.slice(1)) out.push(`${pad}${l}`);
  }
  return out;
}

/** The help screen of the last command in `chain` (root first), as text. */
export async function renderHelp(chain: CommandDef[], opts: HelpOptions = {}): Promise<string> {
  const width = Math.max(40, opts.width ?? 80);
  const p = paint(opts.color ?? false);
  const metas: CommandMeta[] = [];
  for (const c of chain) metas.push((await resolve(c.meta as Resolvable<CommandMeta>)) ?? {});
  const path = metas.map((m) => m.name ?? "").join(" ");
  const cmd = chain[chain.length - 1]!;
  const meta = metas[metas.length - 1]!;
  const args = Object.entries((await resolve(cmd.args as Resolvable<Record<string, ArgDef>>)) ?? {});
  const subs = Object.entries((await resolve(cmd.subCommands as Resolvable<Record<string, Resolvable<CommandDef>>>)) ?? {});
  const extra = HELP[path];
  const out: string[] = [];
  const head = (s: string) => out.push("", p.bold(s));

  const version = metas[0]?.version;
  for (const l of wrapText(meta.description ?? "", width)) out.push(l);
  if (chain.length === 1 && version) out.push(p.dim(`headroom ${version}`));

  const positionals = args.filter(([, a]) => a.type === "positional");
  const flags = args.filter(([, a]) => a.type !== "positional");
  const visibleSubs: [string, string][] = [];
  for (const [name, sub] of subs) {
    const def = await resolve(sub);
    const m = (await resolve(def?.meta as Resolvable<CommandMeta>)) ?? {};
    if (!m.hidden) visibleSubs.push([name, m.description ?? ""]);
  }
  const usage = extra?.usage ?? [path, ...(visibleSubs.length ? ["<command>"] : []), ...positionals.map(([n, a]) => ((a as { required?: boolean }).required === false ? `[${n}]` : `<${n}>`)), "[options]"].join(" ");
  head("USAGE");
  out.push(`  ${usage}`);

  if (positionals.length) {
    head("ARGUMENTS");
    out.push(...columns(positionals.map(([n, a]) => [`<${n}>`, a.description ?? ""]), width, p));
  }
  if (visibleSubs.length) {
    head("COMMANDS");
    out.push(...columns(visibleSubs, width, p, 12));
  }
  head("OPTIONS");
  const own = new Set(flags.flatMap(([n, a]) => flagLabel(n, a).split(" <")[0]!.split(", ")));
  out.push(...columns([...flags.map(([n, a]) => [flagLabel(n, a), a.description ?? ""] as [string, string]), ...globalFlagsFor(path, own)], width, p));

  if (extra?.examples.length) {
    head("EXAMPLES");
    for (const [command, comment] of extra.examples) {
      if (comment) out.push(`  ${p.dim(`# ${comment}`)}`);
      out.push(`  ${command}`);
    }
  }
  if (extra?.exitCodes) {
    head("EXIT CODES");
    out.push(...columns(EXIT_TABLE.map(([c, d]) => [String(c), d]), width, p, 2));
  }
  if (visibleSubs.length) out.push("", `Run \`${path} <command> --help\` for a command's options.`);
  return `${out.join("\n")}\n`;
}

/** The width and colour for help on this process's stdout. */
export function stdoutHelpOptions(env: Env = process.env): HelpOptions {
  const tty = process.stdout.isTTY === true;
  const cols = tty ? process.stdout.columns : Number(env.COLUMNS) || 0;
  return { width: Math.min(100, cols > 0 ? cols : 80), color: colorEnabled(process.stdout, env) };
}
