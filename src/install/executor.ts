// The one executor: carries out a plan (steps.ts) in order, records what it did (the
// files it wrote with their previous bytes, what each step `sets`) and, when a step that
// must work fails, undoes what ran in reverse order before it throws. A plan that
// removes (`bestEffort`) tries every step and reports the failures together.
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { HeadroomError, errorMessage } from "../errors.ts";
import type { CommandResult, CommandRunner } from "../host/exec.ts";
import type { Env } from "../host/env.ts";
import { atomicWrite, ensureDir, readIfExists } from "../host/fs.ts";
import { waitPortFree } from "../host/net.ts";
import type { Manifest } from "./manifest.ts";
import type { FileChange } from "./supervisors/state.ts";
import type { Plan, RunStep, Step, WriteStep } from "./steps.ts";

export type { FileChange };

/** Where the steps act: the command runner, its environment and the deployment. */
export interface ExecContext {
  manifest: Manifest;
  env: Env;
  run: CommandRunner;
}

/** How the steps that are not commands are carried out (tests give quick ones). */
export interface ExecHooks {
  sleep?: (ms: number) => Promise<void>;
  portFree?: (port: number) => Promise<boolean>;
  stopRuntime?: (ctx: ExecContext) => Promise<unknown>;
  ensureRuntime?: (ctx: ExecContext) => Promise<unknown>;
}

export interface Outcome {
  /** plan.record with `files` (when it wrote any) and each step's `sets`/`keep`. */
  record: Record<string, unknown>;
  warnings: string[];
  files: FileChange[];
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function firstLine(r: CommandResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split(/\r?\n/)[0]?.trim() || `exit code ${r.code}`;
}

/** The error a failed run step is. */
export function runError(s: RunStep, r: CommandResult): HeadroomError {
  return s.error ? s.error(r) : new HeadroomError(`\`${s.argv.join(" ")}\` failed: ${firstLine(r)}`);
}

const succeeded = (s: RunStep, r: CommandResult) => (s.ok ?? [0]).includes(r.code) || (s.alsoOk?.test(r) ?? false);

/** Runs one command step (its retries and its `otherwise`); returns the result that counted. */
async function runStep(s: RunStep, ctx: ExecContext, hooks: ExecHooks): Promise<{ ok: boolean; r: CommandResult; step: RunStep }> {
  const sleep = hooks.sleep ?? sleepFor;
  let waited = 0;
  for (;;) {
    const r = await ctx.run(s.argv, { env: s.env ? { ...ctx.env, ...s.env } : ctx.env, input: s.stdin?.text, timeoutMs: s.timeoutMs ?? 30_000 });
    if (succeeded(s, r)) return { ok: true, r, step: s };
    if (s.otherwise?.codes.includes(r.code)) return runStep(s.otherwise.then, ctx, hooks);
    if (s.retry?.codes.includes(r.code) && waited < s.retry.forMs) {
      await sleep(s.retry.everyMs);
      waited += s.retry.everyMs;
      continue;
    }
    return { ok: false, r, step: s };
  }
}

function write(s: WriteStep): FileChange {
  const before = readIfExists(s.path);
  const bytes = typeof s.content === "string" ? Buffer.from(s.content, "utf8") : Buffer.from(s.content);
  ensureDir(dirname(s.path), 0o755);
  if (before && before.equals(bytes)) return { path: s.path, existed: true };
  atomicWrite(s.path, bytes, { mode: s.mode, forceMode: true });
  return { path: s.path, existed: before !== null, ...(before ? { previous: before.toString("base64") } : {}) };
}

/** Puts back a file a plan wrote: its previous bytes when it had some, else it goes. */
export function undoFile(c: FileChange): void {
  if (c.previous !== undefined) atomicWrite(c.path, Buffer.from(c.previous, "base64"));
  else if (!c.existed) rmSync(c.path, { force: true });
}

type Done = { step: Step; file?: FileChange };

async function undo(done: Done[], plan: Plan, ctx: ExecContext, hooks: ExecHooks): Promise<void> {
  for (const d of [...done].reverse()) {
    try {
      if (d.file) undoFile(d.file);
      else if (d.step.do === "run") for (const u of d.step.undo ?? []) await runStep(u, ctx, hooks);
    } catch {
      // Undo does what it can; the failure that started it is what the user hears.
    }
  }
  for (const s of plan.afterUndo ?? []) await runStep(s, ctx, hooks).catch(() => {});
}

/** Carries out `plan`. A failing step that must work undoes what ran and throws its error. */
export async function execute(plan: Plan, ctx: ExecContext, hooks: ExecHooks = {}): Promise<Outcome> {
  const record: Record<string, unknown> = { ...plan.record };
  const warnings = [...(plan.warnings ?? [])];
  const files: FileChange[] = [];
  const done: Done[] = [];
  const failures: string[] = [...(plan.failed ?? [])];
  let undone = false;
  const fail = async (err: unknown) => {
    if (plan.bestEffort) {
      failures.push(errorMessage(err).replace(/\.$/, ""));
      return;
    }
    undone = true;
    await undo(done, plan, ctx, hooks);
    throw err;
  };
  for (const step of plan.steps) {
    try {
      switch (step.do) {
        case "write": {
          const file = write(step);
          files.push(file);
          done.push({ step, file });
          break;
        }
        case "remove":
          rmSync(step.path, { force: true });
          done.push({ step });
          break;
        case "mkdir":
          ensureDir(step.path);
          done.push({ step });
          break;
        case "run": {
          const { ok, r, step: ran } = await runStep(step, ctx, hooks);
          if (!ok) {
            if (ran.onFail === "ignore") break;
            if (typeof ran.onFail === "object") {
              warnings.push(ran.onFail.warn);
              break;
            }
            await fail(runError(ran, r));
            break;
          }
          Object.assign(record, ran.sets);
          if (ran.keep) record[ran.keep] = r.stdout.trim().slice(0, 12);
          done.push({ step: ran });
          break;
        }
        case "stop-runtime":
          await (hooks.stopRuntime ?? defaultStopRuntime)(ctx);
          break;
        case "ensure-runtime":
          await (hooks.ensureRuntime ?? defaultEnsureRuntime)(ctx);
          break;
        case "wait-port-free":
          if (!(await (hooks.portFree ?? waitPortFree)(step.port))) await fail(new HeadroomError(step.failure));
          break;
      }
    } catch (err) {
      // A step that failed was undone already; anything else that threw (a file that cannot be written, a hook) is a failure of this step.
      if (undone) throw err;
      await fail(err instanceof HeadroomError ? err : new HeadroomError(step.do === "remove" ? `could not remove ${step.path}: ${errorMessage(err)}` : errorMessage(err)));
    }
  }
  if (failures.length) throw new HeadroomError(`${plan.bestEffort}: ${failures.join("; ")}.`);
  if (files.length) record.files = files;
  return { record, warnings, files };
}

async function defaultStopRuntime(ctx: ExecContext): Promise<void> {
  const { stopRuntimeProcess } = await import("./runtime-process.ts");
  await stopRuntimeProcess(ctx.manifest, { ...ctx.env, HEADROOM_WORKSPACE_DIR: ctx.manifest.workspaceDir });
}

async function defaultEnsureRuntime(ctx: ExecContext): Promise<void> {
  const { ensureRuntime } = await import("./agent.ts");
  await ensureRuntime(ctx.manifest, ctx.env);
}
