// How a failed command ends: the error as one sentence on stderr (a hint may follow),
// the error's exit code (src/cli/exit-codes.ts: 1 failure, 2 usage, 3 not installed...),
// and a stack trace only when debugging. With --json the same error is one object on
// stdout instead, {"ok":false,"error":"...","code":N}, so a script reads one document
// whatever happened.
//
// The last line is written here, in the format of the consola reporter's error lines
// (src/cli/log.ts uses errorLine too), without loading consola: the most frequent
// failure, `install status` with no deployment, is on the start-up path that must stay
// within 1.5x of a hello-world (bench/startup.ts; loading consola there cost about 0.7 ms).
// Its colour is Bun's: console.error prints red on a terminal, honours NO_COLOR and
// FORCE_COLOR, and asks the terminal without building process.stderr.
import { EXIT, HeadroomError } from "../errors.ts";

/** The error line of the CLI, "headroom: <message>", for console.error. */
export function errorLine(message: string): string {
  return `headroom: ${message}`;
}

export function isDebug(argv: string[]): boolean {
  return process.env.HEADROOM_DEBUG === "1" || argv.includes("--verbose");
}

/** True when the command line asks for JSON output (`--json` before any `--`). */
export function wantsJson(argv: string[]): boolean {
  const dashdash = argv.indexOf("--");
  return (dashdash === -1 ? argv : argv.slice(0, dashdash)).includes("--json");
}

interface ErrorReport {
  message: string;
  hint?: string;
  code: number;
  stack?: string;
}

function describeError(err: unknown): ErrorReport {
  if (err instanceof HeadroomError) return { message: err.message, ...(err.hint ? { hint: err.hint } : {}), code: err.exitCode, stack: err.stack };
  const message = `unexpected error: ${err instanceof Error ? err.message : String(err)}`;
  return { message, code: EXIT.failure, stack: err instanceof Error ? err.stack : undefined };
}

/** The one JSON object a failed `--json` command prints. */
function jsonFailure(r: Pick<ErrorReport, "message" | "hint" | "code">): string {
  return JSON.stringify({ ok: false, error: r.message, ...(r.hint ? { hint: r.hint } : {}), code: r.code });
}

export function reportError(err: unknown, debug: boolean, json = false): never {
  const r = describeError(err);
  if (json) console.log(jsonFailure(r));
  else console.error(errorLine(`${r.message}${r.hint ? `\n${r.hint}` : ""}`));
  if (debug && r.stack) console.error(r.stack);
  process.exit(r.code);
}
