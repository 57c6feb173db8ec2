// The exit codes of every headroom command, documented in `--help` and docs/install.md.
// Scripts can tell "not installed" from "stopped" from "unhealthy" without parsing text.

export const EXIT = {
  ok: 0,
  /** Anything that went wrong and is none of the below (a failed apply, Docker not running...). */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** No such deployment profile (no manifest). */
  notInstalled: 3,
  /** The deployment is installed, but its runtime is not running and nothing is starting it. */
  stopped: 4,
  /** The deployment runs but is not healthy: not ready, crash-looping, or another process holds its port. */
  unhealthy: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** One line per code, for help screens and docs. */
export const EXIT_TABLE: readonly [number, string][] = [
  [EXIT.ok, "success; for status and doctor: running and healthy"],
  [EXIT.failure, "failure (the message says what went wrong)"],
  [EXIT.usage, "usage error: an unknown option or a bad value"],
  [EXIT.notInstalled, "no such deployment profile"],
  [EXIT.stopped, "installed, but stopped (nothing runs on its port)"],
  [EXIT.unhealthy, "running, but not healthy (not ready, crash-looping, port held by another process)"],
];
