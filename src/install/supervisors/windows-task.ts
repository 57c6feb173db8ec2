// What the two Task Scheduler adapters share (windows-task-service.ts: one task at logon
// (user) or boot (system) that runs the runtime, restarted on failure, no time limit;
// windows-task-watchdog.ts: a logon/boot task and an every-N-minutes task, both running
// `agent ensure`). Tasks are registered from XML (`schtasks /Create /XML`). sc.exe is not
// used: a plain executable cannot answer the service control manager (error 1053).
import { existsSync, readdirSync } from "node:fs";
import { HeadroomError } from "../../errors.ts";
import { which } from "../../host/exec.ts";
import type { Plan, RunStep, Step } from "../steps.ts";
import { run } from "../steps.ts";
import { pausedOf, recordedPin } from "./state.ts";
import type { HostFacts, SupervisorContext, SupervisorStatus } from "./types.ts";
import {
  createArgv,
  deleteArgv,
  enableArgv,
  endArgv,
  hex,
  isAccessDenied,
  isFailureResult,
  isNotRunning,
  isTaskMissing,
  parseQueryCsv,
  parseRegisteredAction,
  queryCsvArgv,
  queryXmlArgv,
  runArgv,
  schtasksError,
} from "./windows-schtasks.ts";
import { type TaskDefinition, utf16leWithBom, winJoin } from "./windows-task-xml.ts";
import { pinPlan, readPinnedVar, releaseStep, samePath, workspacePin } from "./windows-workspace-pin.ts";

/** schtasks may write UTF-16 when its output is redirected; read as UTF-8 that leaves NULs between the characters. */
export function consoleText(s: string): string {
  return s.replace(/^\uFEFF/, "").replace(/\u0000/g, "");
}

/** HRESULT of ERROR_LOGON_TYPE_NOT_GRANTED (1385): an S4U task whose account may not log on as a batch job. */
export const ERROR_LOGON_TYPE_NOT_GRANTED = 0x80070569;

export type Definitions = (ctx: SupervisorContext) => TaskDefinition[];

export interface WindowsTaskOptions {
  /** Whether another profile's manifest lives in the same workspace (it may still need the pinned variable). */
  otherProfiles?: (ctx: SupervisorContext) => boolean;
}

export function otherProfilesInWorkspace(ctx: SupervisorContext): boolean {
  const root = winJoin(ctx.manifest.workspaceDir, "deploy");
  try {
    return readdirSync(root).some((p) => p !== ctx.manifest.profile && existsSync(winJoin(root, p, "manifest.json")));
  } catch {
    return false;
  }
}

/** A schtasks call whose failure is schtasks' own sentence for that task. */
export const schtasksStep = (argv: string[], name: string, more: Omit<RunStep, "do" | "argv"> = {}): RunStep => run(argv, { error: (r) => schtasksError(argv, name, r), ...more });

/** /End; a task that is not running (or not registered) is already stopped. */
export const endStep = (name: string): RunStep =>
  schtasksStep(endArgv(name), name, { alsoOk: { when: "the task is not running or not registered", test: (r) => isNotRunning(r) || (isTaskMissing(r) && !isAccessDenied(r)) } });

export const enableStep = (name: string, on: boolean): RunStep => schtasksStep(enableArgv(name, on), name);

export async function preflightWindows(ctx: SupervisorContext, defs: Definitions): Promise<void> {
  const m = ctx.manifest;
  if (m.scope === "system" && !ctx.isRoot) {
    throw new HeadroomError(
      '--scope system registers a task that runs at startup as LocalSystem, which needs administrator rights: run the command again from a terminal opened with "Run as administrator", or use --scope user.',
    );
  }
  if (m.scope !== "system" && !ctx.env.USERNAME) {
    throw new HeadroomError("Cannot tell which Windows account the task should run as, because USERNAME is not set.", "Run the command from a normal Windows session.");
  }
  if (!which("schtasks", ctx.env) && !which("schtasks.exe", ctx.env)) throw new HeadroomError("schtasks.exe was not found on PATH, so no scheduled task can be registered.", "Make sure C:\\Windows\\System32 is on PATH.");
  defs(ctx); // refuses what a task definition cannot carry before anything changes
}

/** What the variable that pins the workspace holds now, when the deployment needs one. */
export async function windowsFacts(ctx: SupervisorContext): Promise<HostFacts> {
  const pin = workspacePin(ctx);
  return pin ? { workspaceVar: await readPinnedVar(ctx, pin) } : {};
}

/**
 * Install: pin the workspace variable (when needed), write each task's XML (UTF-16 LE +
 * BOM), register each task (undone by ending and deleting it), then `then` (the
 * service's first run: its logon/boot trigger fires only next time).
 */
export function installPlan(ctx: SupervisorContext, defs: TaskDefinition[], then: Step[]): Plan {
  const pin = workspacePin(ctx);
  const pinned = pin ? pinPlan(ctx, pin, ctx.facts.workspaceVar ?? null) : null;
  const steps: Step[] = [
    ...(pinned?.steps ?? []),
    ...defs.map((d): Step => ({ do: "write", path: d.file, content: utf16leWithBom(d.xml), mode: 0o600 })),
    ...defs.map((d) => schtasksStep(createArgv(d.name, d.file), d.name, { undo: [{ ...endStep(d.name), onFail: "ignore" }, run(deleteArgv(d.name), { onFail: "ignore" })] })),
    ...then,
  ];
  return { steps, record: { kind: "windows-task", tasks: defs.map((d) => d.name), ...(pinned ? { workspacePin: pinned.state } : {}) } };
}

/** Removal: end and delete each task, `between` (a watchdog's runtime stops), the XML files, the pinned variable unless another profile needs it. */
export function uninstallPlan(ctx: SupervisorContext, defs: TaskDefinition[], between: Step[], opts: WindowsTaskOptions): Plan {
  const pinned = recordedPin(ctx.manifest.supervisorState);
  const steps: Step[] = [
    ...defs.flatMap((d) => [endStep(d.name), schtasksStep(deleteArgv(d.name), d.name, { alsoOk: { when: "the task is not registered", test: (r) => isTaskMissing(r) && !isAccessDenied(r) } })]),
    ...between,
    ...defs.map((d): Step => ({ do: "remove", path: d.file })),
    ...(pinned && !(opts.otherProfiles ?? otherProfilesInWorkspace)(ctx) ? [releaseStep(pinned)] : []),
  ];
  return { steps, bestEffort: "Removing the scheduled tasks was incomplete" };
}

/** Each task's registration, last result and action, against what this deployment would register. */
export async function tasksStatus(ctx: SupervisorContext, defs: TaskDefinition[], preset: "service" | "task"): Promise<SupervisorStatus> {
  const m = ctx.manifest;
  const problems: string[] = [];
  const details: Record<string, unknown> = {};
  let installed = true;
  let running = true;
  let state = "unknown";
  const schtasks = (argv: string[]) => ctx.run(argv, { env: ctx.env, timeoutMs: 30_000 });
  for (const d of defs) {
    const csv = await schtasks(queryCsvArgv(d.name));
    if (csv.code !== 0) {
      installed = false;
      running = false;
      problems.push(isAccessDenied(csv) ? schtasksError(queryCsvArgv(d.name), d.name, csv).message : `The scheduled task ${d.name} is not registered.`);
      continue;
    }
    const q = parseQueryCsv(consoleText(csv.stdout));
    const xml = await schtasks(queryXmlArgv(d.name));
    const action = xml.code === 0 ? parseRegisteredAction(consoleText(xml.stdout)) : {};
    details[d.name] = { status: q?.status, lastRunTime: q?.lastRunTime, lastResult: q?.lastResult, nextRunTime: q?.nextRunTime, command: action.command, arguments: action.arguments };
    const status = q?.status ?? "unknown";
    if (action.command !== undefined && !action.command.includes("\uFFFD") && (!samePath(action.command, d.command) || action.arguments !== d.arguments)) {
      problems.push(`The task ${d.name} runs \`${action.command} ${action.arguments ?? ""}\`, not this deployment's \`${d.command} ${d.arguments}\`; re-apply the profile.`);
    }
    const disabled = /disabled/i.test(status) || action.enabled === false;
    if (q?.lastResult === ERROR_LOGON_TYPE_NOT_GRANTED) {
      problems.push(`Windows refused to start ${d.name} because the account lacks the "Log on as a batch job" right; grant it, or re-apply with --scope system from a terminal opened with "Run as administrator".`);
    } else if (isFailureResult(q?.lastResult)) problems.push(`The last run of ${d.name} ended with ${hex(q!.lastResult!)}${q?.lastRunTime ? ` (${q.lastRunTime})` : ""}.`);
    if (d.role === "service") {
      state = disabled ? "disabled (stopped)" : status;
      running = /^running$/i.test(status);
      if (disabled) problems.push(`The task ${d.name} is disabled (stopped by \`install stop\`); \`headroom install start\` enables and runs it.`);
    } else {
      if (d.role === "watchdog") state = disabled ? "paused" : status;
      if (disabled) {
        running = false;
        problems.push(pausedOf(m.supervisorState) ? `The watchdog task ${d.name} is paused (\`install stop --pause\`); \`install start\` enables it again.` : `The watchdog task ${d.name} is disabled.`);
      }
    }
  }
  if (!installed) state = "not registered";
  return { kind: "windows-task", installed, state, running: installed && running, problems, details: { ...details, preset } };
}
