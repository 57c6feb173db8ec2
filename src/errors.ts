// One error type for everything the user should read: a sentence saying what was wrong
// and, where useful, what to do next. The CLI turns it into stderr text and an exit code.

/**
 * The exit codes of every headroom command (documented with src/cli/exit-codes.ts's
 * table). Here, beside the errors that carry them, so that a failing `install status`
 * loads nothing more to know them.
 */
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

export class HeadroomError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = "HeadroomError";
  }
}

/** A usage error: bad flags or arguments. Exit code 2. */
export class UsageError extends HeadroomError {
  constructor(message: string, hint?: string) {
    super(message, hint, 2);
    this.name = "UsageError";
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
