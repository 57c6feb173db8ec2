// A plan is a list of steps: what `install apply` (or start, stop, restart, remove) does,
// in order, as data. One executor (executor.ts) carries it out, records it and undoes it;
// `--dry-run` prints the very same list (dry-run.ts), so what is shown and what runs
// cannot drift. Adapters build plans; they never run a command of their own to act.
import type { HeadroomError } from "../errors.ts";
import type { CommandResult } from "../host/exec.ts";
import type { Env } from "../host/env.ts";
import type { StatePatch } from "./supervisors/state.ts";

/** Writes a file with its mode; undone by putting the previous bytes back, or removing it. */
export interface WriteStep {
  do: "write";
  path: string;
  /** Text, or raw bytes (Windows task XML is UTF-16 LE with a BOM). */
  content: string | Uint8Array;
  mode: number;
}

/** Removes a file (nothing there is fine). */
export interface RemoveStep {
  do: "remove";
  path: string;
}

/** Creates a folder (and its parents) when it is missing. */
export interface MkdirStep {
  do: "mkdir";
  path: string;
}

/** Runs an argument vector. */
export interface RunStep {
  do: "run";
  argv: string[];
  /** Exit codes that mean it worked; [0] when absent. */
  ok?: number[];
  /** A result that also counts as done, with the words the dry run prints for it. */
  alsoOk?: { when: string; test: (r: CommandResult) => boolean };
  /** While it answers one of these codes it is tried again, every `everyMs` for up to `forMs`. */
  retry?: { codes: number[]; forMs: number; everyMs: number };
  /** When it answers one of these codes, `then` runs in its place. */
  otherwise?: { codes: number[]; then: RunStep };
  /**
   * What a failure means: `stop` ends the plan and undoes what ran (the default), `ignore`
   * goes on, `warn` goes on and tells the user this sentence.
   */
  onFail?: "stop" | "ignore" | { warn: string };
  /** The error a failure is, when the default (`\`argv\` failed: first line`) says too little. */
  error?: (r: CommandResult) => HeadroomError;
  /** Text on its standard input (a crontab), and what it replaces, for the dry run's diff. */
  stdin?: { text: string; replaces: string | null; what: string };
  /** Variables beyond the context's environment (the docker client's); the dry run prints their names only. */
  env?: Env;
  timeoutMs?: number;
  /** What takes it back when a later step fails. */
  undo?: RunStep[];
  /** What the manifest records once it worked. */
  sets?: StatePatch;
  /** Keeps its trimmed standard output in the record under this name (a container id). */
  keep?: "containerId";
}

/** Stops the runtime a watchdog started (it has no supervisor of its own: its pid file names it). */
export interface StopRuntimeStep {
  do: "stop-runtime";
}

/** Starts the runtime the way the watchdog does (`agent ensure`), in this process. */
export interface EnsureRuntimeStep {
  do: "ensure-runtime";
}

/** Waits until nothing listens on the port; `failure` is the sentence when it stays taken. */
export interface WaitPortFreeStep {
  do: "wait-port-free";
  port: number;
  failure: string;
}

export type Step = WriteStep | RemoveStep | MkdirStep | RunStep | StopRuntimeStep | EnsureRuntimeStep | WaitPortFreeStep;

export interface Plan {
  steps: Step[];
  /** Run after the undo of a failed plan (e.g. `systemctl daemon-reload` once the unit files are gone). */
  afterUndo?: RunStep[];
  /** What the manifest keeps once the plan ran; the executor adds the files written and each step's `sets`. */
  record?: Record<string, unknown>;
  /** Sentences for the user that do not stop the plan (known before it runs). */
  warnings?: string[];
  /**
   * A plan that removes: every step is tried even when one fails, and the failures are
   * one error that begins with this sentence.
   */
  bestEffort?: string;
  /** What a removal already could not do while it was planned (a crontab that cannot be read); reported with the failures. */
  failed?: string[];
}

export const run = (argv: string[], more: Omit<RunStep, "do" | "argv"> = {}): RunStep => ({ do: "run", argv, ...more });

export const isRun = (s: Step): s is RunStep => s.do === "run";
export const isWrite = (s: Step): s is WriteStep => s.do === "write";

/** The files a plan writes. */
export const writesOf = (p: Plan): WriteStep[] => p.steps.filter(isWrite);

/** Every argument vector a plan runs, in order (the `otherwise` branch is not taken). */
export const commandsOf = (p: Plan): string[][] => p.steps.filter(isRun).map((s) => s.argv);

/** A step as JSON: what the dry run prints (functions become the words that describe them; env values are left out). */
export function stepJson(s: Step): Record<string, unknown> {
  if (s.do === "write") return { do: "write", path: s.path, mode: `0${s.mode.toString(8)}` };
  if (s.do !== "run") return { ...s };
  return {
    do: "run",
    argv: s.argv,
    ok: s.ok ?? [0],
    ...(s.alsoOk ? { alsoOk: s.alsoOk.when } : {}),
    ...(s.retry ? { retry: s.retry } : {}),
    ...(s.otherwise ? { otherwise: { codes: s.otherwise.codes, then: stepJson(s.otherwise.then) } } : {}),
    onFail: typeof s.onFail === "object" ? "warn" : s.onFail ?? "stop",
    ...(s.stdin ? { stdin: s.stdin.text } : {}),
    ...(s.env ? { env: Object.keys(s.env) } : {}),
    ...(s.undo?.length ? { undo: s.undo.map((u) => u.argv) } : {}),
    ...(s.sets ? { sets: s.sets } : {}),
  };
}
