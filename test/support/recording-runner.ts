// A CommandRunner that records every argument vector and answers from a script, the way
// the real tools would (launchctl's exit codes, schtasks' CSV and error text). Nothing is
// executed. Rules are tried in order; a rule with `times` is used up after that many
// answers, so "bootstrap answers 5 once, then 0" is two rules.
//
//   const rr = recordingRunner([
//     { match: ["launchctl", "kickstart"], code: 113, stderr: "Could not find service" },
//     { match: ["launchctl", "bootstrap"], code: 5, times: 1 },
//   ]);
//   await supervisor.start({ ...ctx, run: rr.run });
//   expect(rr.calls).toEqual([...]);
import type { CommandResult, CommandRunner, RunOptions } from "../../src/host/exec.ts";

export interface ScriptedAnswer {
  /** The argv must start with these words (a RegExp matches one word). */
  match: (string | RegExp)[];
  code?: number;
  stdout?: string;
  stderr?: string;
  /** How many calls this answer serves; unlimited when absent. */
  times?: number;
}

export interface RecordedCall {
  argv: string[];
  input?: string;
}

export interface RecordingRunner {
  run: CommandRunner;
  calls: RecordedCall[];
  /** Just the argument vectors, in order. */
  argvs(): string[][];
}

function matches(argv: string[], pattern: (string | RegExp)[]): boolean {
  if (pattern.length > argv.length) return false;
  return pattern.every((p, i) => (typeof p === "string" ? argv[i] === p : p.test(argv[i]!)));
}

/** Unscripted commands succeed with empty output (`fallback` changes that). */
export function recordingRunner(script: ScriptedAnswer[] = [], fallback: CommandResult = { code: 0, stdout: "", stderr: "" }): RecordingRunner {
  const rules = script.map((s) => ({ ...s, left: s.times ?? Number.POSITIVE_INFINITY }));
  const calls: RecordedCall[] = [];
  const run: CommandRunner = async (argv: string[], opts?: RunOptions) => {
    calls.push({ argv: [...argv], input: opts?.input });
    const rule = rules.find((r) => r.left > 0 && matches(argv, r.match));
    if (!rule) return { ...fallback };
    rule.left--;
    return { code: rule.code ?? 0, stdout: rule.stdout ?? "", stderr: rule.stderr ?? "" };
  };
  return { run, calls, argvs: () => calls.map((c) => c.argv) };
}
