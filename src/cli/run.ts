// Runs the citty command tree and turns every failure into one sentence and an exit
// code (src/cli/exit-codes.ts), or with --json into one JSON object on stdout. A stack
// trace only with --verbose or HEADROOM_DEBUG=1. Help screens come from src/cli/help.ts.
import { type CommandDef, runCommand } from "citty";
import { UsageError } from "../errors.ts";
import { stripAnsi } from "./color.ts";
import { renderHelp, stdoutHelpOptions } from "./help.ts";
import { isDebug, reportError, wantsJson } from "./report-error.ts";

function isCittyUsageError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && err.name === "CLIError";
}

/** The commands named by the words of `argv` (root first), as far as they name one. */
export async function resolveCommandPath(root: CommandDef, argv: string[]): Promise<CommandDef[]> {
  const chain: CommandDef[] = [root];
  let cmd: CommandDef = root;
  for (const arg of argv) {
    if (arg.startsWith("-")) continue;
    const subs = typeof cmd.subCommands === "function" ? await (cmd.subCommands as () => unknown)() : await cmd.subCommands;
    const entry = subs ? (subs as Record<string, unknown>)[arg] : undefined;
    if (!entry) break;
    const next = (typeof entry === "function" ? await (entry as () => Promise<CommandDef>)() : entry) as CommandDef;
    chain.push(next);
    cmd = next;
  }
  return chain;
}

export async function runCli(root: CommandDef, argv: string[]): Promise<void> {
  const debug = isDebug(argv);
  try {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
      const { VERSION } = await import("../version.ts");
      console.log(VERSION);
      return;
    }
    const dashdash = argv.indexOf("--");
    const flags = dashdash === -1 ? argv : argv.slice(0, dashdash);
    if (flags.includes("--help") || flags.includes("-h") || argv.length === 0) {
      const chain = await resolveCommandPath(root, flags);
      process.stdout.write(await renderHelp(chain, stdoutHelpOptions()));
      return;
    }
    await runCommand(root, { rawArgs: argv });
  } catch (err) {
    const e = isCittyUsageError(err) ? new UsageError(`${stripAnsi(err.message).replace(/\.?$/, ".")} Run with --help for usage.`) : err;
    reportError(e, debug, wantsJson(argv));
  }
}
