// The exit codes of every headroom command, documented in `--help` and docs/install.md.
// Scripts can tell "not installed" from "stopped" from "unhealthy" without parsing text.
// The codes themselves live in src/errors.ts (the start-up path needs them without this table).

import { EXIT } from "../errors.ts";

/** One line per code, for help screens and docs. */
export const EXIT_TABLE: readonly [number, string][] = [
  [EXIT.ok, "success; for status and doctor: running and healthy"],
  [EXIT.failure, "failure (the message says what went wrong)"],
  [EXIT.usage, "usage error: an unknown option or a bad value"],
  [EXIT.notInstalled, "no such deployment profile"],
  [EXIT.stopped, "installed, but stopped (nothing runs on its port)"],
  [EXIT.unhealthy, "running, but not healthy (not ready, crash-looping, port held by another process)"],
];
