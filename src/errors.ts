// One error type for everything the user should read: a sentence saying what was wrong
// and, where useful, what to do next. The CLI turns it into stderr text and an exit code.
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
