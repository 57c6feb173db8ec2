// `headroom completion bash|zsh|fish|powershell`: a completion script generated from the
// citty command definitions (the tree src/cli/commands.ts hands to completionCommand, and
// the commands it loads), so a new command or option is completed as soon as it is defined. What is taken from a definition:
//   - subcommands (hidden ones, like `install agent`, are left out) and their descriptions;
//   - each option, whether it takes a value, and its values when its valueHint lists
//     them ("a|b|c"); a valueHint of "profile" completes the profile names found in
//     $HEADROOM_WORKSPACE_DIR/deploy (default ~/.headroom/deploy);
//   - a positional argument's values, from its valueHint the same way.
// The scripts themselves are rendered by src/cli/completion-scripts.ts.
import { type ArgDef, type CommandDef, type CommandMeta, defineCommand } from "citty";
import { UsageError } from "../errors.ts";
import { type CommandSpec, type FlagSpec, SHELLS, type Shell, renderCompletion } from "./completion-scripts.ts";
import { globalFlagsFor } from "./help.ts";

type Resolvable<T> = T | Promise<T> | (() => T) | (() => Promise<T>);

async function resolve<T>(v: Resolvable<T> | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

function choicesOf(hint: string | undefined): string[] | undefined {
  return hint?.includes("|") ? hint.split("|").filter(Boolean) : undefined;
}

/** The global options a command takes (help's globalFlagsFor), as flag specs. */
function globalFlags(path: string[], own: Set<string>): FlagSpec[] {
  return globalFlagsFor(["headroom", ...path].join(" "), own).map(([label, description]) => ({ names: label.split(", "), value: false, description }));
}

function flagSpec(name: string, arg: ArgDef): FlagSpec[] {
  const alias = (arg as { alias?: string | string[] }).alias;
  const aliases = (Array.isArray(alias) ? alias : alias ? [alias] : []).map((a) => (a.length === 1 ? `-${a}` : `--${a}`));
  const hint = (arg as { valueHint?: string }).valueHint;
  const value = arg.type === "string" || arg.type === "enum";
  const spec: FlagSpec = {
    names: [`--${name}`, ...aliases],
    value,
    description: arg.description ?? "",
    ...(value && choicesOf(hint) ? { choices: choicesOf(hint) } : {}),
    ...(value && arg.type === "enum" && (arg as { options?: string[] }).options ? { choices: (arg as { options?: string[] }).options } : {}),
    ...(value && hint === "profile" ? { dynamic: "profile" as const } : {}),
  };
  const out = [spec];
  // A boolean whose description offers --no-<name> (citty accepts it for every boolean).
  if (arg.type === "boolean" && arg.description?.includes(`--no-${name}`)) out.push({ names: [`--no-${name}`], value: false, description: `Turn off --${name}` });
  return out;
}

/** The completion tree of `cmd` (named `name`), its visible subcommands resolved. */
export async function commandSpec(cmd: CommandDef, name: string, path: string[] = []): Promise<CommandSpec> {
  const meta = (await resolve(cmd.meta as Resolvable<CommandMeta>)) ?? {};
  const args = Object.entries((await resolve(cmd.args as Resolvable<Record<string, ArgDef>>)) ?? {});
  const flags: FlagSpec[] = [];
  let positional: CommandSpec["positional"];
  for (const [n, a] of args) {
    if (a.type === "positional") positional ??= { name: n, choices: choicesOf((a as { valueHint?: string }).valueHint) ?? [] };
    else flags.push(...flagSpec(n, a));
  }
  flags.push(...globalFlags(path, new Set(flags.flatMap((f) => f.names))));
  if (path.length === 0) flags.push({ names: ["--version", "-V"], value: false, description: "Print the version" });
  const subcommands: CommandSpec[] = [];
  const subs = (await resolve(cmd.subCommands as Resolvable<Record<string, Resolvable<CommandDef>>>)) ?? {};
  for (const [subName, sub] of Object.entries(subs)) {
    const def = await resolve(sub);
    if (!def) continue;
    const m = (await resolve(def.meta as Resolvable<CommandMeta>)) ?? {};
    if (m.hidden) continue;
    subcommands.push(await commandSpec(def, subName, [...path, subName]));
  }
  return { name, path, description: meta.description ?? "", flags, subcommands, ...(positional ? { positional } : {}) };
}

/**
 * The `completion` command, completing the tree `root` (the executable's, which
 * src/cli/commands.ts passes in: this module does not import the tree it is part of).
 */
export function completionCommand(root: CommandDef) {
  return defineCommand({
    meta: { name: "completion", description: "Print a shell completion script: bash, zsh, fish or powershell." },
    args: {
      shell: { type: "positional", valueHint: SHELLS.join("|"), description: "bash, zsh, fish or powershell", required: false },
    },
    async run({ args }) {
      const shell = args.shell as string | undefined;
      if (!shell) throw new UsageError(`Name the shell: headroom completion ${SHELLS.join("|")}.`);
      if (!(SHELLS as readonly string[]).includes(shell)) throw new UsageError(`Unknown shell "${shell}"; headroom completes ${SHELLS.join(", ")}.`);
      process.stdout.write(renderCompletion(shell as Shell, await commandSpec(root, "headroom")));
    },
  });
}
