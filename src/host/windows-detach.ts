// How `agent ensure` starts the runtime on Windows so that it has no console window and
// outlives the ensure process (and the scheduled task that ran it). Pure: it returns the
// recipe; the caller spawns.
//
// Bun.spawn(argv, { detached: true, windowsHide: true, stdin: "ignore", stdout: fd, stderr: fd })
//   detached    -> UV_PROCESS_DETACHED: DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP. A console
//                  program started this way gets no console at all (so no window) and is not
//                  in the parent's process group, so it keeps running after the parent exits.
//   windowsHide -> CREATE_NO_WINDOW / SW_HIDE, in case a runtime without DETACHED_PROCESS
//                  (or a GUI subsystem program) is ever started through the same path.
//   stdio       -> stdin ignored, stdout and stderr to runner.log (an inherited console
//                  handle would tie the child to the parent's console).
// No cmd.exe /c and no `start`: each would open a console host of its own. The argument
// vector is handed over as is; the runtime turns it into one command line with the
// CommandLineToArgvW rules (windowsVerbatimArguments stays false), which is exactly
// `windowsCommandLine(argv)`, kept here so logs and tests can show what Windows receives.
import { windowsCommandLine } from "./windows-cmdline.ts";

export interface DetachedSpawnRecipe {
  argv: string[];
  /** The single command line the child process receives. */
  commandLine: string;
  options: {
    detached: true;
    windowsHide: true;
    windowsVerbatimArguments: false;
    stdin: "ignore";
  };
}

export function windowsDetachedSpawn(argv: readonly string[]): DetachedSpawnRecipe {
  return {
    argv: [...argv],
    commandLine: windowsCommandLine(argv),
    options: { detached: true, windowsHide: true, windowsVerbatimArguments: false, stdin: "ignore" },
  };
}
