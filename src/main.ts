#!/usr/bin/env bun
// The headroom executable: proxy, wrap, unwrap, install, doctor, completion, version.
// `--version` and plain `install status` answer before the CLI library is loaded, and
// subcommands are loaded lazily, so neither pays for the proxy's modules.
// (The build splits the bundle at every dynamic import: a module behind one is read
// only when a command needs it.)
import { main } from "./cli/commands.ts";
import { VERSION } from "./version.ts";

export { main };

// `install status` in its plain forms is answered without citty (about 1.5 ms of the
// command's start-up); the same function serves it through citty otherwise.
async function plainStatus(argv: string[]): Promise<boolean> {
  if (argv[0] !== "install" || argv[1] !== "status") return false;
  const { parseStatusArgv, runInstallStatus } = await import("./cli/install-status.ts");
  const opts = parseStatusArgv(argv.slice(2));
  if (!opts) return false;
  try {
    await runInstallStatus(opts);
  } catch (err) {
    const { isDebug, reportError, wantsJson } = await import("./cli/report-error.ts");
    reportError(err, isDebug(argv), wantsJson(argv));
  }
  return true;
}

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  console.log(VERSION);
} else if (!(await plainStatus(argv))) {
  const { runCli } = await import("./cli/run.ts");
  await runCli(main, argv);
}
