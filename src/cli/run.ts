// Runs the citty command tree and turns every failure into one sentence and an exit
// code: 2 for usage errors, 1 otherwise. A stack trace only with --verbose or
// HEADROOM_DEBUG=1.
import { type CommandDef, runCommand, showUsage } from "citty";
import { isDebug, reportError } from "./report-error.ts";

function isCittyUsageError(err: unknown): err is Error & { code: string } {
  return err instanceof Error && err.name === "CLIError";
}

async function resolveCommandPath(root: CommandDef, argv: string[]): Promise<CommandDef[]> {
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
      await showUsage(chain[chain.length - 1]!, chain.length > 1 ? chain[chain.length - 2] : undefined);
      return;
    }
    await runCommand(root, { rawArgs: argv });
  } catch (err) {
    if (isCittyUsageError(err)) {
      console.error(`headroom: ${stripAnsi(err.message)} Run with --help for usage.`);
      process.exit(2);
    }
    reportError(err, debug);
  }
}

function stripAnsi(s: string): string {
  // biome-ignore lint: control character in regex is intended
  return s.replace(/\u001b\[[0-9;]*m/g, "");
}
