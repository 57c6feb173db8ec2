// How a failed command ends: the error as one sentence on stderr (a hint may follow),
// exit code 1 (2 for usage errors), and a stack trace only when debugging.
import { HeadroomError } from "../errors.ts";

export function isDebug(argv: string[]): boolean {
  return process.env.HEADROOM_DEBUG === "1" || argv.includes("--verbose");
}

export function reportError(err: unknown, debug: boolean): never {
  if (err instanceof HeadroomError) {
    console.error(`headroom: ${err.message}${err.hint ? `\n${err.hint}` : ""}`);
    if (debug && err.stack) console.error(err.stack);
    process.exit(err.exitCode);
  }
  console.error(`headroom: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
  if (debug && err instanceof Error && err.stack) console.error(err.stack);
  process.exit(1);
}
